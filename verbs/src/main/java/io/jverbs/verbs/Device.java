package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_device;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.Hints;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * An RDMA device as {@code ibv_get_device_list} reports it. A snapshot: it holds no native
 * memory, so it needs no closing; {@link Context#open(String)} gives the {@link Context} that does.
 *
 * @param name          kernel device name, e.g. {@code mlx5_0} or {@code rxe0}
 * @param guid          node GUID in host order
 * @param nodeType      {@code enum ibv_node_type}: 1 = CA, 4 = RNIC
 * @param transportType {@code enum ibv_transport_type}: 0 = IB (also RoCE), 1 = iWARP
 */
public record Device(String name, long guid, int nodeType, int transportType) {

    /**
     * The device of an adopted context whose {@code device} pointer is NULL ({@link Context#adopt}):
     * named {@code (adopted)}, node and transport type unknown (-1).
     */
    public static final Device ADOPTED = new Device("(adopted)", 0, -1, -1);

    /**
     * The RDMA devices of this machine, libibverbs' first, then those of the
     * {@link io.jverbs.verbs.spi.Provider}s (the soft device {@code jsoft0}, docs/soft-device.md):
     * a real NIC stays first. Empty when there are none (see {@link #first()}).
     */
    public static List<Device> list() {
        List<Device> all;
        try {
            all = withList(Device::readList);
        } catch (io.jverbs.core.NativeLibraryException e) {
            // Without libibverbs, the provided devices are still devices; with none, say what to install.
            List<Device> provided = Context.Providers.devices();
            if (provided.isEmpty()) throw e;
            return provided;
        }
        List<Device> provided = Context.Providers.devices();
        if (provided.isEmpty()) return all;
        List<Device> out = new ArrayList<>(all);
        out.addAll(provided);
        return List.copyOf(out);
    }

    /** The first device, or an exception that says why there is none and how to get one. */
    public static Device first() {
        List<Device> all = list();
        if (all.isEmpty()) {
            throw noDevice(null);
        }
        return all.getFirst();
    }

    /** The device with this name; the exception lists the names that exist. */
    public static Device byName(String name) {
        List<Device> all = list();
        for (Device d : all) {
            if (d.name.equals(name)) return d;
        }
        throw notFound(name, all);
    }

    /** Why {@code name} is not among {@code all}: no device at all, or the names there are. */
    static RuntimeException notFound(String name, List<Device> all) {
        if (all.isEmpty()) return noDevice(name);
        return new IllegalArgumentException("No RDMA device named " + name + "; this machine has "
                + all.stream().map(Device::name).toList());
    }

    /**
     * Runs {@code body} on the device list, freed afterwards. ENOSYS (no RDMA in this kernel)
     * reads as an empty list; other failures throw.
     */
    static <T> T withList(Function<MemorySegment, T> body) {
        IbVerbs.LIBRARY.lookup();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment list = IbVerbs.ibv_get_device_list(count);
            if (Native.isNull(list)) {
                int errno = Native.lastErrno();
                if (errno == Errno.ENOSYS || errno == Errno.ENOENT || errno == 0) {
                    lastListErrno = errno;
                    return body.apply(MemorySegment.NULL);
                }
                throw Checks.error(VerbsCall.GET_DEVICE_LIST, errno);
            }
            lastListErrno = 0;
            try {
                return body.apply(list.reinterpret((count.get(ValueLayout.JAVA_INT, 0) + 1L) * ValueLayout.ADDRESS.byteSize()));
            } finally {
                IbVerbs.ibv_free_device_list(list);
            }
        }
    }

    private static volatile int lastListErrno;

    private static List<Device> readList(MemorySegment list) {
        List<Device> out = new ArrayList<>();
        if (Native.isNull(list)) {
            return out;
        }
        for (long i = 0; ; i++) {
            MemorySegment dev = list.getAtIndex(ValueLayout.ADDRESS, i);
            if (Native.isNull(dev)) break;
            out.add(read(dev.reinterpret(ibv_device.sizeof())));
        }
        return out;
    }

    static Device read(MemorySegment dev) {
        return new Device(ibv_device.name(dev).getString(0), Long.reverseBytes(IbVerbs.ibv_get_device_guid(dev)),
                ibv_device.node_type(dev), ibv_device.transport_type(dev));
    }

    static VerbsException noDevice(String wanted) {
        int errno = lastListErrno;
        String what = wanted == null ? "No RDMA device found" : "No RDMA device found (looking for " + wanted + ")";
        if (errno == Errno.ENOSYS) {
            what += ": this kernel has no RDMA support (ibv_get_device_list: ENOSYS)";
        }
        return new VerbsException(VerbsCall.GET_DEVICE_LIST, errno == 0 ? Errno.ENODEV : errno, what + ". " + Hints.HOW_TO_GET_A_DEVICE);
    }
}
