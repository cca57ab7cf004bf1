/**
 * Raw Ethernet for Java. {@code io.jverbs.raweth.wire} is the pure-Java layer of wire formats:
 * checked flyweight views and parsed representations of Ethernet II, 802.1Q, ARP, IPv4, ICMPv4, UDP
 * and TCP headers over {@link java.lang.foreign.MemorySegment}s, with the Internet checksum. It
 * calls no native code; {@code io.jverbs.core} is read for the exception root only.
 * {@code io.jverbs.raweth.port} is the pure-Java packet-port SPI; {@code io.jverbs.raweth.dpdk}
 * (a DPDK ethdev queue pair) and {@code io.jverbs.raweth.verbs} (an ibverbs RAW_PACKET QP with flow
 * steering) implement it over the dpdk and verbs modules.
 */
module io.jverbs.raweth {
    requires transitive io.jverbs.core;
    requires io.jverbs.dpdk;
    requires io.jverbs.verbs;
    exports io.jverbs.raweth.wire;
    exports io.jverbs.raweth.port;
    exports io.jverbs.raweth.dpdk;
    exports io.jverbs.raweth.verbs;
}
