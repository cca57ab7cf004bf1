package io.jverbs.dpdk;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Ethernet/ARP/IPv4/ICMP/UDP frames built and parsed by hand for the vdev tests (the raw-eth
 * wire module is a separate piece of work; these tests must not depend on it). Checksums are
 * the RFC 1071 one's-complement sum, computed here.
 */
final class Frames {
    static final int ETH_IPV4 = 0x0800, ETH_ARP = 0x0806;
    static final int PROTO_ICMP = 1, PROTO_UDP = 17;

    private Frames() {}

    static Inet4Address ip(String dotted) {
        try {
            return (Inet4Address) InetAddress.getByName(dotted);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(dotted, e);
        }
    }

    /** RFC 1071: the one's complement of the one's-complement sum of 16-bit words. */
    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) sum += ((b[off + i] & 0xFF) << 8) | (b[off + i + 1] & 0xFF);
        if ((len & 1) != 0) sum += (b[off + len - 1] & 0xFF) << 8;
        while ((sum >>> 16) != 0) sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) (~sum & 0xFFFF);
    }

    private static ByteBuffer eth(int length, MacAddress dst, MacAddress src, int type) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(length, 60)); // pad to the 60-byte minimum
        b.put(dst.bytes()).put(src.bytes()).putShort((short) type);
        return b;
    }

    /** An ARP request (RFC 826) from {@code mac}/{@code ip} asking for {@code target}. */
    static byte[] arpRequest(MacAddress mac, Inet4Address ip, Inet4Address target) {
        ByteBuffer b = eth(42, MacAddress.parse("ff:ff:ff:ff:ff:ff"), mac, ETH_ARP);
        b.putShort((short) 1).putShort((short) ETH_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(mac.bytes()).put(ip.getAddress()).put(new byte[6]).put(target.getAddress());
        return b.array();
    }

    /** An ARP reply to {@code to}/{@code toIp}: {@code ip} is at {@code mac}. */
    static byte[] arpReply(MacAddress mac, Inet4Address ip, MacAddress to, Inet4Address toIp) {
        ByteBuffer b = eth(42, to, mac, ETH_ARP);
        b.putShort((short) 1).putShort((short) ETH_IPV4).put((byte) 6).put((byte) 4).putShort((short) 2);
        b.put(mac.bytes()).put(ip.getAddress()).put(to.bytes()).put(toIp.getAddress());
        return b.array();
    }

    /** An IPv4 packet (RFC 791, no options, DF) carrying {@code payload} in an Ethernet frame. */
    static byte[] ipv4(MacAddress dstMac, MacAddress srcMac, Inet4Address src, Inet4Address dst, int proto, byte[] payload) {
        int total = 20 + payload.length;
        ByteBuffer b = eth(14 + total, dstMac, srcMac, ETH_IPV4);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) proto).putShort((short) 0).put(src.getAddress()).put(dst.getAddress());
        byte[] f = b.array();
        int c = checksum(f, 14, 20, 0);
        f[24] = (byte) (c >>> 8);
        f[25] = (byte) c;
        System.arraycopy(payload, 0, f, 34, payload.length);
        return f;
    }

    /** An ICMP echo request (RFC 792) with {@code id}, {@code seq} and {@code data}. */
    static byte[] icmpEcho(MacAddress dstMac, MacAddress srcMac, Inet4Address src, Inet4Address dst, int id, int seq, byte[] data) {
        byte[] icmp = new byte[8 + data.length];
        icmp[0] = 8;
        icmp[4] = (byte) (id >>> 8);
        icmp[5] = (byte) id;
        icmp[6] = (byte) (seq >>> 8);
        icmp[7] = (byte) seq;
        System.arraycopy(data, 0, icmp, 8, data.length);
        int c = checksum(icmp, 0, icmp.length, 0);
        icmp[2] = (byte) (c >>> 8);
        icmp[3] = (byte) c;
        return ipv4(dstMac, srcMac, src, dst, PROTO_ICMP, icmp);
    }

    /** A UDP datagram (RFC 768) with its checksum over the IPv4 pseudo-header. */
    static byte[] udp(MacAddress dstMac, MacAddress srcMac, Inet4Address src, Inet4Address dst, int srcPort, int dstPort, byte[] data) {
        int len = 8 + data.length;
        byte[] u = new byte[len];
        u[0] = (byte) (srcPort >>> 8);
        u[1] = (byte) srcPort;
        u[2] = (byte) (dstPort >>> 8);
        u[3] = (byte) dstPort;
        u[4] = (byte) (len >>> 8);
        u[5] = (byte) len;
        System.arraycopy(data, 0, u, 8, data.length);
        int c = checksum(u, 0, len, pseudoHeaderSum(src, dst, PROTO_UDP, len));
        if (c == 0) c = 0xFFFF; // RFC 768: a computed zero is sent as all ones
        u[6] = (byte) (c >>> 8);
        u[7] = (byte) c;
        return ipv4(dstMac, srcMac, src, dst, PROTO_UDP, u);
    }

    private static long pseudoHeaderSum(Inet4Address src, Inet4Address dst, int proto, int len) {
        byte[] s = src.getAddress(), d = dst.getAddress();
        long sum = 0;
        for (int i = 0; i < 4; i += 2) {
            sum += ((s[i] & 0xFF) << 8) | (s[i + 1] & 0xFF);
            sum += ((d[i] & 0xFF) << 8) | (d[i + 1] & 0xFF);
        }
        return sum + proto + len;
    }

    // --- parsing received frames -----------------------------------------------------------------

    static int etherType(byte[] f) {
        return f.length < 14 ? -1 : ((f[12] & 0xFF) << 8) | (f[13] & 0xFF);
    }

    static MacAddress srcMac(byte[] f) {
        return MacAddress.of(Arrays.copyOfRange(f, 6, 12));
    }

    /** True for an ARP reply saying {@code ip} is at some MAC, addressed to {@code to}. */
    static boolean isArpReply(byte[] f, Inet4Address ip, MacAddress to) {
        return etherType(f) == ETH_ARP && f.length >= 42 && f[21] == 2
                && Arrays.equals(Arrays.copyOfRange(f, 28, 32), ip.getAddress())
                && Arrays.equals(Arrays.copyOfRange(f, 32, 38), to.bytes());
    }

    /** True for an ARP request asking for {@code target}. */
    static boolean isArpRequestFor(byte[] f, Inet4Address target) {
        return etherType(f) == ETH_ARP && f.length >= 42 && f[21] == 1 && Arrays.equals(Arrays.copyOfRange(f, 38, 42), target.getAddress());
    }

    static int ipProto(byte[] f) {
        return etherType(f) == ETH_IPV4 && f.length >= 34 ? f[23] & 0xFF : -1;
    }

    static int ipHeaderLength(byte[] f) {
        return (f[14] & 0x0F) * 4;
    }

    /** The IPv4 header's checksum verifies (sums to zero with the stored value). */
    static boolean ipChecksumOk(byte[] f) {
        return checksum(f, 14, ipHeaderLength(f), 0) == 0;
    }

    /** The ICMP message of an IPv4 frame (without padding). */
    static byte[] l4(byte[] f) {
        int ihl = ipHeaderLength(f);
        int total = ((f[16] & 0xFF) << 8) | (f[17] & 0xFF);
        return Arrays.copyOfRange(f, 14 + ihl, 14 + total);
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }
}
