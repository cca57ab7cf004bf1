package io.jverbs.dpdk;

import java.net.Inet4Address;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One item of a flow rule's pattern ({@code struct rte_flow_item}): a protocol layer with a spec
 * and a mask, both in the layer's wire layout (network byte order, the layout of
 * {@code struct rte_ether_hdr}/{@code rte_ipv4_hdr}/{@code rte_udp_hdr}/{@code rte_tcp_hdr}). A
 * field that is set is matched exactly (its mask bits are all ones; an IPv4 address may take a
 * prefix length); an item with no field set matches any packet of that protocol (spec and mask
 * are NULL). Items stack from the lowest layer up, as in {@code testpmd}'s
 * {@code pattern eth / ipv4 / udp dst is 9000 / end}.
 *
 * <p>Pure Java; {@link Flows} writes the native structures. Mutable while the rule is built:
 * {@link FlowRule.Builder#pattern} copies each item.
 */
public final class FlowItem {
    /** The protocol layer; {@code headerLength} is its wire header's size. */
    public enum Kind {
        ETH(14), IPV4(20), UDP(8), TCP(20);

        private final int headerLength;

        Kind(int headerLength) {
            this.headerLength = headerLength;
        }

        /** Bytes of the wire header (and of spec and mask). */
        public int headerLength() {
            return headerLength;
        }
    }

    // Wire offsets (IEEE 802.3, RFC 791, RFC 768, RFC 793). DPDK's rte_ipv4/udp/tcp_hdr are packed
    // copies of these headers, so the bytes go to the item's hdr unchanged (FlowTest's refusals
    // name the right item, and the isolation test matches a real dst port through them).
    static final int ETH_DST = 0, ETH_SRC = 6, ETH_TYPE = 12;
    static final int IPV4_TOS = 1, IPV4_TTL = 8, IPV4_PROTO = 9, IPV4_SRC = 12, IPV4_DST = 16;
    static final int L4_SRC_PORT = 0, L4_DST_PORT = 2;
    static final int TCP_FLAGS = 13;

    private final Kind kind;
    private final byte[] spec;
    private final byte[] mask;
    private final StringBuilder text;

    private FlowItem(Kind kind) {
        this.kind = kind;
        this.spec = new byte[kind.headerLength];
        this.mask = new byte[kind.headerLength];
        this.text = new StringBuilder(kind.name().toLowerCase());
    }

    private FlowItem(FlowItem other) {
        this.kind = other.kind;
        this.spec = other.spec.clone();
        this.mask = other.mask.clone();
        this.text = new StringBuilder(other.text);
    }

    /** Any Ethernet frame, narrowed by {@link #dst(MacAddress)}, {@link #src(MacAddress)}, {@link #etherType(int)}. */
    public static FlowItem eth() {
        return new FlowItem(Kind.ETH);
    }

    /** Any IPv4 packet, narrowed by {@link #src(Inet4Address, int)}, {@link #dst(Inet4Address, int)}, {@link #protocol(int)}. */
    public static FlowItem ipv4() {
        return new FlowItem(Kind.IPV4);
    }

    /** Any UDP datagram, narrowed by {@link #srcPort(int)}, {@link #dstPort(int)}. */
    public static FlowItem udp() {
        return new FlowItem(Kind.UDP);
    }

    /** Any TCP segment, narrowed by {@link #srcPort(int)}, {@link #dstPort(int)}, {@link #tcpFlags(int)}. */
    public static FlowItem tcp() {
        return new FlowItem(Kind.TCP);
    }

    public Kind kind() {
        return kind;
    }

    /** True when a field is set: the native item gets spec and mask, else both are NULL. */
    public boolean hasSpec() {
        for (byte b : mask) {
            if (b != 0) return true;
        }
        return false;
    }

    /** The spec in wire layout (a copy). */
    public byte[] spec() {
        return spec.clone();
    }

    /** The mask in wire layout (a copy). */
    public byte[] mask() {
        return mask.clone();
    }

    FlowItem copy() {
        return new FlowItem(this);
    }

    // --- Ethernet ------------------------------------------------------------------------------

    /** Destination MAC address. */
    public FlowItem dst(MacAddress mac) {
        require(Kind.ETH, "dst(MacAddress)");
        return set(ETH_DST, mac.bytes(), "dst " + mac);
    }

    /** Source MAC address. */
    public FlowItem src(MacAddress mac) {
        require(Kind.ETH, "src(MacAddress)");
        return set(ETH_SRC, mac.bytes(), "src " + mac);
    }

    /** EtherType, e.g. {@code 0x0800} for IPv4. */
    public FlowItem etherType(int type) {
        require(Kind.ETH, "etherType");
        return set(ETH_TYPE, u16(type, "etherType"), String.format("type 0x%04x", type));
    }

    // --- IPv4 ----------------------------------------------------------------------------------

    /** Source address, exactly. */
    public FlowItem src(Inet4Address addr) {
        return src(addr, 32);
    }

    /** Source address under a prefix of {@code prefixLength} bits. */
    public FlowItem src(Inet4Address addr, int prefixLength) {
        require(Kind.IPV4, "src(Inet4Address)");
        return prefix(IPV4_SRC, addr, prefixLength, "src");
    }

    /** Destination address, exactly. */
    public FlowItem dst(Inet4Address addr) {
        return dst(addr, 32);
    }

    /** Destination address under a prefix of {@code prefixLength} bits. */
    public FlowItem dst(Inet4Address addr, int prefixLength) {
        require(Kind.IPV4, "dst(Inet4Address)");
        return prefix(IPV4_DST, addr, prefixLength, "dst");
    }

    /** The protocol field ({@code next_proto_id}), e.g. 17 for UDP. */
    public FlowItem protocol(int protocol) {
        require(Kind.IPV4, "protocol");
        return set(IPV4_PROTO, new byte[] {u8(protocol, "protocol")}, "proto " + protocol);
    }

    /** Type of service (DSCP and ECN bits). */
    public FlowItem typeOfService(int tos) {
        require(Kind.IPV4, "typeOfService");
        return set(IPV4_TOS, new byte[] {u8(tos, "typeOfService")}, "tos " + tos);
    }

    /** Time to live. */
    public FlowItem timeToLive(int ttl) {
        require(Kind.IPV4, "timeToLive");
        return set(IPV4_TTL, new byte[] {u8(ttl, "timeToLive")}, "ttl " + ttl);
    }

    // --- UDP and TCP ---------------------------------------------------------------------------

    /** Source port. */
    public FlowItem srcPort(int port) {
        requireL4("srcPort");
        return set(L4_SRC_PORT, u16(port, "srcPort"), "src " + port);
    }

    /** Destination port. */
    public FlowItem dstPort(int port) {
        requireL4("dstPort");
        return set(L4_DST_PORT, u16(port, "dstPort"), "dst " + port);
    }

    /** TCP flags, all eight matched exactly (e.g. {@code 0x02} for a bare SYN). */
    public FlowItem tcpFlags(int flags) {
        require(Kind.TCP, "tcpFlags");
        return set(TCP_FLAGS, new byte[] {u8(flags, "tcpFlags")}, String.format("flags 0x%02x", flags));
    }

    // -------------------------------------------------------------------------------------------

    private FlowItem prefix(int offset, Inet4Address addr, int prefixLength, String name) {
        if (prefixLength < 1 || prefixLength > 32) {
            throw new IllegalArgumentException("an IPv4 prefix length is 1..32, got " + prefixLength);
        }
        int m = (int) (0xFFFF_FFFFL << (32 - prefixLength));
        byte[] a = addr.getAddress();
        for (int i = 0; i < 4; i++) {
            byte mb = (byte) (m >>> (24 - 8 * i));
            spec[offset + i] = (byte) (a[i] & mb);
            mask[offset + i] = mb;
        }
        text.append(' ').append(name).append(' ').append(addr.getHostAddress()).append(prefixLength == 32 ? "" : "/" + prefixLength);
        return this;
    }

    private FlowItem set(int offset, byte[] value, String what) {
        System.arraycopy(value, 0, spec, offset, value.length);
        Arrays.fill(mask, offset, offset + value.length, (byte) 0xFF);
        text.append(' ').append(what);
        return this;
    }

    private void require(Kind k, String method) {
        if (kind != k) {
            throw new IllegalStateException(method + " is a field of a " + k + " item, this is a " + kind + " item");
        }
    }

    private void requireL4(String method) {
        if (kind != Kind.UDP && kind != Kind.TCP) {
            throw new IllegalStateException(method + " is a field of a UDP or TCP item, this is a " + kind + " item");
        }
    }

    private static byte[] u16(int v, String name) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(name + " is 16 bits, got " + v);
        }
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    private static byte u8(int v, String name) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException(name + " is 8 bits, got " + v);
        }
        return (byte) v;
    }

    /** testpmd-like text, e.g. {@code udp dst 9000}; with {@code spec}/{@code mask} bytes when asked for. */
    @Override
    public String toString() {
        return text.toString();
    }

    /** The spec and mask bytes in hex, for debugging a rule a PMD refuses. */
    public String toHexString() {
        HexFormat hex = HexFormat.of();
        return kind + " spec " + hex.formatHex(spec) + " mask " + hex.formatHex(mask);
    }
}
