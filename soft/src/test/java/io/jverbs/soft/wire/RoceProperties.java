package io.jverbs.soft.wire;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What must hold for any bytes (the fuzz target): taking them apart as an IPv4 packet, a frame or
 * a UDP payload throws nothing; a packet that parses is laid out again from its fields into one that
 * parses the same, with a good ICRC, and byte for byte the same where nothing outside the views' reach
 * (IPv4 options, the reserved flag, bytes after the UDP datagram, pad contents) differs.
 */
final class RoceProperties {
    private RoceProperties() {
    }

    static void check(byte[] ip) {
        String where = HexFormat.of().formatHex(ip);
        MemorySegment s = MemorySegment.ofArray(ip);
        RocePacket p = new RocePacket();
        p.wrapFrame(s, 0, ip.length);
        if (p.wrapTransport(s, 0, ip.length) == RoceStatus.OK) {
            byte[] out = new byte[ip.length];
            RocePacket q = new RocePacket();
            q.layoutTransport(MemorySegment.ofArray(out), 0, p.opcode(), p.payloadLength());
            Layouts.copyTransport(p, q);
            MemorySegment.copy(s, p.payloadOffset(), MemorySegment.ofArray(out), q.payloadOffset(), p.payloadLength());
            int headersAndPayload = p.opcode().headerLength() + p.payloadLength();
            assertArrayEquals(Arrays.copyOf(ip, headersAndPayload), Arrays.copyOf(out, headersAndPayload), where);
        }
        if (p.wrapIpv4(s, 0, ip.length) != RoceStatus.OK) {
            return;
        }
        byte[] out = new byte[ip.length];
        MemorySegment o = MemorySegment.ofArray(out);
        RocePacket q = new RocePacket();
        int total = q.layoutIpv4(o, 0, p.opcode(), p.payloadLength());
        Layouts.copyFields(p, q);
        MemorySegment.copy(s, p.payloadOffset(), o, q.payloadOffset(), p.payloadLength());
        q.finishIpv4();
        RocePacket r = new RocePacket();
        assertEquals(RoceStatus.OK, r.wrapIpv4(o, 0, total), where);
        assertEquals(p.opcode(), r.opcode(), where);
        assertEquals(p.payloadLength(), r.payloadLength(), where);
        boolean plain = p.ipv4().headerLength() == 20 && (ip[6] & 0x80) == 0 && p.ipv4().totalLength() == ip.length
                && p.ipv4().payloadLength() == p.udp().datagramLength()
                && MemorySegment.mismatch(s, p.payloadOffset() + p.payloadLength(), p.payloadOffset() + p.payloadLength()
                        + p.padCount(), MemorySegment.ofArray(new byte[3]), 0, p.padCount()) == -1;
        if (plain) {
            assertArrayEquals(ip, out, where);
        }
    }
}
