package io.jverbs.raweth.linux;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;

/** The Linux calls the AF_PACKET and TAP ports make, with the usual fix for their failures. */
public enum LinuxCall implements NativeCall {
    /** {@code socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)}. */
    PACKET_SOCKET("socket(AF_PACKET, SOCK_RAW)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.EPERM || errno == Errno.EACCES
                    ? "AF_PACKET sockets need CAP_NET_RAW: run as root, or grant it to the JVM"
                    + " (setcap cap_net_raw+ep $JAVA_HOME/bin/java)"
                    : null;
        }
    },
    /** {@code ioctl(SIOCGIFINDEX)}: the interface's index, by name. */
    GET_IFINDEX("ioctl(SIOCGIFINDEX)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENODEV ? "no network interface of that name in this process's network namespace"
                    + " (ip link shows them)" : null;
        }
    },
    GET_HWADDR("ioctl(SIOCGIFHWADDR)"),
    GET_MTU("ioctl(SIOCGIFMTU)"),
    SET_VERSION("setsockopt(PACKET_VERSION)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.EINVAL ? "TPACKET_V3 needs Linux 3.2 (its TX ring Linux 4.11), TPACKET_V2 Linux 2.6.27" : null;
        }
    },
    RX_RING("setsockopt(PACKET_RX_RING)") {
        @Override
        public String hint(int errno) {
            return ringHint(errno);
        }
    },
    TX_RING("setsockopt(PACKET_TX_RING)") {
        @Override
        public String hint(int errno) {
            return ringHint(errno);
        }
    },
    SET_LOSS("setsockopt(PACKET_LOSS)"),
    IGNORE_OUTGOING("setsockopt(PACKET_IGNORE_OUTGOING)"),
    QDISC_BYPASS("setsockopt(PACKET_QDISC_BYPASS)"),
    ADD_MEMBERSHIP("setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)"),
    STATISTICS("getsockopt(PACKET_STATISTICS)"),
    MMAP_RING("mmap(packet rings)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENOMEM || errno == Errno.EAGAIN
                    ? "the rings do not fit: use fewer or smaller blocks, or raise the memlock limit" : null;
        }
    },
    BIND("bind(AF_PACKET)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENODEV || errno == ENXIO ? "the interface went away" : null;
        }
    },
    /** The kick that makes the kernel send the TX ring's requested frames. */
    SENDTO("sendto(TX ring kick)") {
        @Override
        public String hint(int errno) {
            return errno == ENETDOWN ? "the interface is down: ip link set <if> up" : null;
        }
    },
    DATAGRAM_SOCKET("socket(AF_INET, SOCK_DGRAM)"),
    OPEN_TUN("open(/dev/net/tun)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENOENT || errno == Errno.ENODEV
                    ? "the tun driver is not loaded: modprobe tun (and mknod /dev/net/tun c 10 200 in a container)"
                    : errno == Errno.EPERM || errno == Errno.EACCES ? "opening /dev/net/tun needs access to the device node" : null;
        }
    },
    TUNSETIFF("ioctl(TUNSETIFF, IFF_TAP | IFF_NO_PI)") {
        @Override
        public String hint(int errno) {
            return errno == Errno.EPERM ? "creating a TAP device needs CAP_NET_ADMIN: run as root, or create it first"
                    + " with `ip tuntap add dev <name> mode tap user <you>`"
                    : errno == Errno.EBUSY ? "another process holds this TAP device, or a non-TAP interface has this name"
                    : errno == Errno.EINVAL ? "an interface of this name exists and is not a TAP device" : null;
        }
    },
    TUNSETOFFLOAD("ioctl(TUNSETOFFLOAD)"),
    PACKET_VNET_HDR("setsockopt(PACKET_VNET_HDR)"),
    READ("read(TAP)"),
    WRITE("write(TAP)");

    // not (yet) in core's Errno
    private static final int ENXIO = 6, ENETDOWN = 100;

    private final String function;

    LinuxCall(String function) {
        this.function = function;
    }

    @Override
    public String function() {
        return function;
    }

    private static String ringHint(int errno) {
        return errno == Errno.EINVAL ? "the ring geometry is refused: the block size must be a multiple of the page size and"
                + " hold a frame, the frame size a multiple of 16, and the retire timeout and private size 0 for TX"
                : errno == Errno.ENOMEM ? "the kernel cannot allocate the ring: use fewer or smaller blocks" : null;
    }
}
