/**
 * Raw Ethernet for Java. {@code io.jverbs.raweth.wire} is the pure-Java layer of wire formats:
 * checked flyweight views and parsed representations of Ethernet II, 802.1Q, ARP, IPv4, ICMPv4, UDP
 * and TCP headers over {@link java.lang.foreign.MemorySegment}s, with the Internet checksum; it and
 * {@code io.jverbs.raweth.port} (the packet-port SPI) call no native code. {@code io.jverbs.raweth.linux}
 * holds the native ports on Linux interfaces (AF_PACKET, TAP) over the generated bindings in
 * {@code io.jverbs.raweth.linux.ffi}.
 */
module io.jverbs.raweth {
    requires transitive io.jverbs.core;
    exports io.jverbs.raweth.wire;
    exports io.jverbs.raweth.port;
    exports io.jverbs.raweth.linux;
    exports io.jverbs.raweth.linux.ffi;
}
