package io.jverbs.raweth.linux;

import io.jverbs.core.NativeException;
import io.jverbs.core.ffi.Native;
import io.jverbs.raweth.linux.ffi.LinuxLibc;
import io.jverbs.raweth.linux.ffi.ifreq;
import io.jverbs.raweth.wire.MacAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** netdevice(7) lookups by interface name and socket option helpers shared by the ports. */
final class Netdev {
    private Netdev() {}

    /** Checks an interface name as the kernel will (1 to 15 bytes, no '/', ':' or whitespace). */
    static String checkName(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length >= LinuxLibc.IFNAMSIZ
                || name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("bad interface name '" + name + "': 1 to " + (LinuxLibc.IFNAMSIZ - 1)
                    + " bytes without '/', ':' or spaces");
        }
        return name;
    }

    /** A zeroed {@code struct ifreq} naming {@code name}. */
    static MemorySegment ifreq(Arena arena, String name) {
        MemorySegment req = arena.allocate(ifreq.layout());
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, req, java.lang.foreign.ValueLayout.JAVA_BYTE, ifreq.ifr_ifrn_ifrn_name$offset(), b.length);
        return req;
    }

    /** {@code ioctl(fd, request, req)}, throwing with the interface's name on failure. */
    static void ioctl(int fd, long request, MemorySegment req, LinuxCall call, String name) {
        if (LinuxLibc.ioctl(fd, request, req) != 0) {
            int errno = Native.lastErrno();
            throw new NativeException(call, errno, "interface " + name + ": "
                    + (call.hint(errno) == null ? "" : call.hint(errno)));
        }
    }

    static int ifindex(int fd, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = ifreq(a, name);
            ioctl(fd, LinuxLibc.SIOCGIFINDEX, req, LinuxCall.GET_IFINDEX, name);
            return ifreq.ifr_ifru_ifru_ivalue(req);
        }
    }

    static MacAddress mac(int fd, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = ifreq(a, name);
            ioctl(fd, LinuxLibc.SIOCGIFHWADDR, req, LinuxCall.GET_HWADDR, name);
            byte[] six = new byte[6];
            MemorySegment.copy(req, java.lang.foreign.ValueLayout.JAVA_BYTE, ifreq.ifr_ifru_ifru_hwaddr_sa_data$offset(), six, 0, 6);
            return MacAddress.of(six);
        }
    }

    static int mtu(int fd, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = ifreq(a, name);
            ioctl(fd, LinuxLibc.SIOCGIFMTU, req, LinuxCall.GET_MTU, name);
            return ifreq.ifr_ifru_ifru_mtu(req);
        }
    }

    /** {@code setsockopt(fd, level, option, &value, 4)}; throws naming the call. */
    static void setInt(int fd, long level, long option, int value, LinuxCall call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            if (LinuxLibc.setsockopt(fd, (int) level, (int) option, v, 4) != 0) {
                throw new NativeException(call, Native.lastErrno());
            }
        }
    }

    /** {@code setsockopt} with a struct argument. */
    static void setStruct(int fd, long level, long option, MemorySegment value, LinuxCall call) {
        if (LinuxLibc.setsockopt(fd, (int) level, (int) option, value, (int) value.byteSize()) != 0) {
            throw new NativeException(call, Native.lastErrno());
        }
    }

    /** Closes a descriptor on a failure path; a second failure would hide the first, so it is ignored. */
    static void closeQuietly(int fd) {
        if (fd >= 0) {
            LinuxLibc.close(fd);
        }
    }
}
