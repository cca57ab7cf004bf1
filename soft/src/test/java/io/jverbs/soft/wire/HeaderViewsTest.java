package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The views' field layout (against hand-written IBTA bytes), 24-bit fields, the AETH syndrome, the opcode table and the source-port rules. */
class HeaderViewsTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void bthFieldsSitWhereIbtaPutsThem() {
        // opcode 0x0a, SE, M, PadCnt 3, TVer 0; P_Key 0xffff; resv8a 0xc0 (FECN, BECN); QP 0xabcdef; A; PSN 0xfffffe.
        byte[] b = hex("0a f0 ffff c0 abcdef 80 fffffe");
        Bth v = new Bth().wrapOrThrow(MemorySegment.ofArray(b), 0, b.length);
        assertEquals(0x0a, v.opcode());
        assertTrue(v.solicitedEvent());
        assertTrue(v.migReq());
        assertEquals(3, v.padCount());
        assertEquals(0, v.transportVersion());
        assertEquals(0xffff, v.partitionKey());
        assertTrue(v.fecn());
        assertTrue(v.becn());
        assertEquals(0xabcdef, v.destinationQp());
        assertTrue(v.ackRequest());
        assertEquals(0xfffffe, v.psn());
        byte[] out = new byte[12];
        new Bth().wrapUnchecked(MemorySegment.ofArray(out), 0, 12).setOpcode(0x0a).setFlags(true, true, 3, 0)
                .setPartitionKey(0xffff).setResv8a(0xc0).setDestinationQp(0xabcdef).setAckRequest(true).setPsn(0xfffffe);
        assertArrayEquals(b, out);
        // PadCnt alone leaves its neighbours; 24-bit fields refuse a 25th bit and leave the byte before them.
        v.setPadCount(1);
        assertEquals(0xd0, b[1] & 0xff);
        assertThrows(IllegalArgumentException.class, () -> v.setPsn(0x100_0000));
        assertThrows(IllegalArgumentException.class, () -> v.setDestinationQp(-1));
        v.setDestinationQp(0);
        assertEquals(0xc0, v.resv8a());
        assertEquals(WireStatus.IB_HEADER_TRUNCATED, new Bth().wrap(MemorySegment.ofArray(b), 0, 11));
    }

    @Test
    void extensionHeaderFields() {
        byte[] r = hex("0000558948afe000 0000061d 00000bbb");
        Reth reth = new Reth().wrapOrThrow(MemorySegment.ofArray(r), 0, 16);
        assertEquals(0x0000558948afe000L, reth.virtualAddress());
        assertEquals(0x61d, reth.rkey());
        assertEquals(3003, reth.dmaLength());
        reth.setDmaLength(0xffff_ffffL);
        assertEquals(0xffff_ffffL, reth.dmaLength());
        assertThrows(IllegalArgumentException.class, () -> reth.setDmaLength(1L << 32));

        byte[] a = hex("1122334455667788 99aabbcc 0000000000000001 fffffffffffffffe");
        AtomicEth at = new AtomicEth().wrapOrThrow(MemorySegment.ofArray(a), 0, 28);
        assertEquals(0x1122334455667788L, at.virtualAddress());
        assertEquals(0x99aabbcc, at.rkey());
        assertEquals(1, at.swapOrAdd());
        assertEquals(-2, at.compare());

        byte[] d = hex("80010000 00 000001");
        Deth deth = new Deth().wrapOrThrow(MemorySegment.ofArray(d), 0, 8);
        assertEquals(Deth.GSI_QKEY, deth.qkey());
        assertEquals(1, deth.sourceQp());

        assertEquals(0xdeadbeef, new ImmDt().wrapOrThrow(MemorySegment.ofArray(hex("deadbeef")), 0, 4).immediate());
        assertEquals(0x1234, new Ieth().wrapOrThrow(MemorySegment.ofArray(hex("00001234")), 0, 4).rkey());
        assertEquals(-1L, new AtomicAckEth().wrapOrThrow(MemorySegment.ofArray(hex("ffffffffffffffff")), 0, 8).originalData());
        Feth f = new Feth().wrapOrThrow(MemorySegment.ofArray(hex("00000013")), 0, 4);
        assertEquals(1, f.selectivityLevel());
        assertEquals(3, f.placementType());
    }

    @Test
    void aethSyndromes() {
        byte[] b = new byte[4];
        Aeth a = new Aeth().wrapOrThrow(MemorySegment.ofArray(b), 0, 4);
        a.setAck(Aeth.CREDITS_INVALID, 0xffffff);
        assertEquals(0x1f, a.syndrome(), "rxe's ACK");
        assertTrue(a.isAck());
        assertEquals(31, a.credits());
        assertEquals(0xffffff, a.msn());
        assertEquals(-1, a.rnrTimer());
        assertNull(a.nakCode());

        a.setRnrNak(14, 5);
        assertEquals(0x2e, a.syndrome());
        assertTrue(a.isRnrNak());
        assertEquals(14, a.rnrTimer());
        assertEquals(-1, a.credits());
        assertEquals(1_280_000, Aeth.rnrTimerNanos(14));
        assertEquals(655_360_000, Aeth.rnrTimerNanos(0), "0 is the longest wait");
        assertEquals(491_520_000, Aeth.rnrTimerNanos(31));
        assertThrows(IllegalArgumentException.class, () -> Aeth.rnrTimerNanos(32));

        // The NAK codes, as rxe sends 0x60 for a PSN sequence error.
        int[] syndromes = {0x60, 0x61, 0x62, 0x63, 0x64};
        for (Aeth.NakCode c : Aeth.NakCode.values()) {
            a.setNak(c, 7);
            assertEquals(syndromes[c.ordinal()], a.syndrome(), c.toString());
            assertTrue(a.isNak());
            assertEquals(c, a.nakCode());
            assertFalse(a.isAck() || a.isRnrNak());
        }
        a.setSyndrome(0x65);
        assertNull(a.nakCode(), "codes 5..31 are reserved");
        a.setSyndrome(0x40);
        assertEquals(Aeth.TYPE_RESERVED, a.type());
        assertFalse(a.isAck() || a.isNak() || a.isRnrNak());
        assertThrows(IllegalArgumentException.class, () -> a.setMsn(1 << 24));
        assertThrows(IllegalArgumentException.class, () -> a.setRnrNak(32, 0));
    }

    @Test
    void opcodeTable() {
        int rc = 0, uc = 0, ud = 0;
        for (int code = 0; code < 256; code++) {
            Opcode o = Opcode.of(code);
            if (o == null) {
                continue;
            }
            assertEquals(code, o.code());
            assertEquals(code >>> 5, o.transport().bits());
            switch (o.transport()) {
                case RC -> rc++;
                case UC -> uc++;
                case UD -> ud++;
            }
            // Only requests that start a message carry the RETH, except WRITE's; only an ending packet may pad.
            if (o.hasPayload() && o.position() == Opcode.Position.MIDDLE) {
                assertEquals(Bth.LENGTH, o.headerLength(), o.toString());
            }
        }
        assertEquals(25, rc, "RC: 0x00..0x14, 0x16, 0x17, FLUSH, ATOMIC WRITE");
        assertEquals(12, uc);
        assertEquals(2, ud);
        assertNull(Opcode.of(0x15));
        assertNull(Opcode.of(-1));
        assertNull(Opcode.of(256));
        // Header lengths: BTH 12 + RETH 16 + ImmDt 4; DETH 8; AETH 4 + AtomicAckETH 8; AtomicETH 28; FETH 4 + RETH 16.
        assertEquals(32, Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE.headerLength());
        assertEquals(24, Opcode.UD_SEND_ONLY_WITH_IMMEDIATE.headerLength());
        assertEquals(24, Opcode.RC_ATOMIC_ACKNOWLEDGE.headerLength());
        assertEquals(40, Opcode.RC_FETCH_ADD.headerLength());
        assertEquals(32, Opcode.RC_FLUSH.headerLength());
        assertEquals(28, Opcode.RC_RDMA_READ_REQUEST.headerLength());
        assertEquals(16, Opcode.RC_RDMA_READ_RESPONSE_FIRST.headerLength());
        assertEquals(12, Opcode.RC_RDMA_READ_RESPONSE_MIDDLE.headerLength());
        assertTrue(Opcode.RC_RDMA_READ_RESPONSE_LAST.isResponse() && !Opcode.RC_RDMA_READ_RESPONSE_LAST.isAck());
        assertTrue(Opcode.RC_ATOMIC_ACKNOWLEDGE.isAck());
        assertFalse(Opcode.RC_RDMA_READ_REQUEST.hasPayload());
        assertTrue(Opcode.UC_RDMA_WRITE_LAST.endsMessage() && !Opcode.UC_RDMA_WRITE_LAST.startsMessage());
    }

    @Test
    void sourcePortsOfRocev2mdsWorkedValues() {
        assertEquals(49441, SourcePort.rc(0x11, 0x11), "RC QP 0x11 with itself");
        assertEquals(55410, SourcePort.ud(1), "QP1");
        assertEquals(SourcePort.rc(0x11, 0x2345), SourcePort.rc(0x2345, 0x11), "the same both ways");
        for (int q = 0; q < 1 << 24; q += 4099) {
            int rc = SourcePort.rc(q, 0xffffff - q);
            int u = SourcePort.ud(q);
            assertTrue(rc >= 0xc000 && rc <= 0xffff && u >= 0xc000 && u <= 0xffff, q + ": " + rc + ", " + u);
        }
        // rdma_cm: the CM ports' flow label folded alike (not in the capture: perftest ran without -R).
        assertEquals(SourcePort.fold((1000 * 31 + 2000) & 0xfffff), SourcePort.rdmaCm(1000, 2000));
    }
}
