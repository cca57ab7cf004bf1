package io.jverbs.raweth.dpdk;

import io.jverbs.raweth.wire.Checksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Frames written byte by byte into a port's memory, for the tests that talk to a kernel. */
final class TestFrames {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final int IP = 14, L4 = 34;

    private TestFrames() {}

    static void mac(MemorySegment m, long at, long mac) {
        for (int i = 0; i < 6; i++) m.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (40 - 8 * i)));
    }

    static long mac(MemorySegment m, long at) {
        long v = 0;
        for (int i = 0; i < 6; i++) v = v << 8 | (m.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        return v;
    }

    static void ethernet(MemorySegment m, long at, long dst, long src, int type) {
        mac(m, at, dst);
        mac(m, at + 6, src);
        m.set(U16, at + 12, (short) type);
    }

    /** An ARP request (RFC 826) from {@code mac}/{@code ip} for {@code target}, padded to 60 bytes. */
    static int arpRequest(MemorySegment m, long at, long mac, int ip, int target) {
        m.asSlice(at, 60).fill((byte) 0);
        ethernet(m, at, 0xFFFF_FFFF_FFFFL, mac, 0x0806);
        m.set(U16, at + 14, (short) 1);       // Ethernet
        m.set(U16, at + 16, (short) 0x0800);  // IPv4
        m.set(ValueLayout.JAVA_BYTE, at + 18, (byte) 6);
        m.set(ValueLayout.JAVA_BYTE, at + 19, (byte) 4);
        m.set(U16, at + 20, (short) 1);       // request
        mac(m, at + 22, mac);
        m.set(U32, at + 28, ip);
        m.set(U32, at + 38, target);
        return 60;
    }

    /** An IPv4 header with DF and TTL 64; its checksum filled when {@code checksum}, else 0. */
    static void ipv4(MemorySegment m, long at, int protocol, int payload, int src, int dst, boolean checksum) {
        m.set(ValueLayout.JAVA_BYTE, at, (byte) 0x45);
        m.set(ValueLayout.JAVA_BYTE, at + 1, (byte) 0);
        m.set(U16, at + 2, (short) (20 + payload));
        m.set(U16, at + 4, (short) 0x1234);
        m.set(U16, at + 6, (short) 0x4000);
        m.set(ValueLayout.JAVA_BYTE, at + 8, (byte) 64);
        m.set(ValueLayout.JAVA_BYTE, at + 9, (byte) protocol);
        m.set(U16, at + 10, (short) 0);
        m.set(U32, at + 12, src);
        m.set(U32, at + 16, dst);
        if (checksum) m.set(U16, at + 10, (short) Checksum.finish(Checksum.sum(m, at, 20)));
    }

    /** An ICMP echo request with 32 data bytes; the IP checksum filled only when {@code ipChecksum}. */
    static int echoRequest(MemorySegment m, long at, long dstMac, long srcMac, int src, int dst, int id, int seq, boolean ipChecksum) {
        int icmp = 8 + 32;
        ethernet(m, at, dstMac, srcMac, 0x0800);
        ipv4(m, at + IP, 1, icmp, src, dst, ipChecksum);
        long p = at + L4;
        m.set(ValueLayout.JAVA_BYTE, p, (byte) 8);
        m.set(ValueLayout.JAVA_BYTE, p + 1, (byte) 0);
        m.set(U16, p + 2, (short) 0);
        m.set(U16, p + 4, (short) id);
        m.set(U16, p + 6, (short) seq);
        for (int i = 0; i < 32; i++) m.set(ValueLayout.JAVA_BYTE, p + 8 + i, (byte) (seq + i));
        m.set(U16, p + 2, (short) Checksum.finish(Checksum.sum(m, p, icmp)));
        return L4 + icmp;
    }

    /**
     * A UDP datagram with {@code payload} pattern bytes. {@code full}: the checksum finished;
     * otherwise the field holds the pseudo-header sum (what a TX_L4_CHECKSUM frame carries).
     */
    static int udp(MemorySegment m, long at, long dstMac, long srcMac, int src, int dst, int srcPort, int dstPort, int payload,
                   boolean full) {
        int len = 8 + payload;
        ethernet(m, at, dstMac, srcMac, 0x0800);
        ipv4(m, at + IP, 17, len, src, dst, true);
        long p = at + L4;
        m.set(U16, p, (short) srcPort);
        m.set(U16, p + 2, (short) dstPort);
        m.set(U16, p + 4, (short) len);
        m.set(U16, p + 6, (short) 0);
        for (int i = 0; i < payload; i++) m.set(ValueLayout.JAVA_BYTE, p + 8 + i, (byte) (i * 7));
        int pseudo = Checksum.pseudoHeader(src, dst, 17, len);
        m.set(U16, p + 6, (short) (full ? Checksum.finish(Checksum.add(pseudo, Checksum.sum(m, p, len))) : pseudo));
        return L4 + len;
    }

    static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8 | Integer.parseInt(p[3]);
    }
}
