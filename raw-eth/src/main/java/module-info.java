/**
 * Raw Ethernet for Java. {@code io.jverbs.raweth.wire} is the pure-Java layer of wire formats:
 * checked flyweight views and parsed representations of Ethernet II, 802.1Q, ARP, IPv4, ICMPv4, UDP
 * and TCP headers over {@link java.lang.foreign.MemorySegment}s, with the Internet checksum; it and
 * {@code io.jverbs.raweth.port} (the packet-port SPI, an in-memory pair, pcap and fault-injecting
 * wrappers) call no native code, nor do the stack's {@code io.jverbs.raweth.iface} (a polled IPv4
 * host: ARP, ICMP, routing) and {@code io.jverbs.raweth.socket} (UDP and TCP sockets). The native
 * ports implement the SPI: {@code io.jverbs.raweth.linux} on Linux interfaces (AF_PACKET, TAP) over the
 * generated bindings in {@code io.jverbs.raweth.linux.ffi}, {@code io.jverbs.raweth.dpdk} on a DPDK
 * ethdev queue pair, and {@code io.jverbs.raweth.verbs} on an ibverbs RAW_PACKET QP with flow steering.
 */
module io.jverbs.raweth {
    requires transitive io.jverbs.core;
    requires io.jverbs.dpdk;
    requires io.jverbs.verbs;
    exports io.jverbs.raweth.wire;
    exports io.jverbs.raweth.port;
    exports io.jverbs.raweth.iface;
    exports io.jverbs.raweth.socket;
    exports io.jverbs.raweth.linux;
    exports io.jverbs.raweth.linux.ffi;
    exports io.jverbs.raweth.dpdk;
    exports io.jverbs.raweth.verbs;
    uses io.jverbs.raweth.port.PortOpener;
    provides io.jverbs.raweth.port.PortOpener with io.jverbs.raweth.linux.AfPacketOpener,
            io.jverbs.raweth.linux.TapOpener, io.jverbs.raweth.dpdk.DpdkOpener, io.jverbs.raweth.verbs.VerbsOpener;
}
