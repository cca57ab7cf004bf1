package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.MalformedPacketException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every captured packet goes through the reprs (parse from the views, emit into a fresh layout) and comes out byte for byte. */
class ReprRoundTripTest {
    @Test
    void capturedPacketsSurviveParseAndEmitOfTheirReprs() {
        RocePacket in = new RocePacket();
        RocePacket out = new RocePacket();
        int n = 0;
        for (byte[] frame : RxeCapture.frames()) {
            assertEquals(RoceStatus.OK, in.wrapFrame(MemorySegment.ofArray(frame), 0, frame.length));
            Opcode op = in.opcode();
            byte[] copy = new byte[frame.length];
            MemorySegment o = MemorySegment.ofArray(copy);
            out.layoutIpv4(o, EthernetFrame.HEADER_LENGTH, op, in.payloadLength());
            Layouts.copyIpv4(in, out);
            BthRepr bth = BthRepr.parse(in.bth());
            assertEquals(op.code(), bth.opcode());
            bth.emit(out.bth());
            if (op.hasReth()) {
                RethRepr.parse(in.reth()).emit(out.reth());
            }
            if (op.hasAeth()) {
                AethRepr a = AethRepr.parse(in.aeth());
                assertEquals(AethRepr.ack(a.msn()), a, "rxe's ACK syndrome");
                a.emit(out.aeth());
            }
            if (op.hasAtomicEth()) {
                AtomicEthRepr.parse(in.atomicEth()).emit(out.atomicEth());
            }
            if (op.hasDeth()) {
                DethRepr.parse(in.deth()).emit(out.deth());
            }
            if (op.hasAtomicAckEth()) {
                out.atomicAckEth().setOriginalData(in.atomicAckEth().originalData());
            }
            MemorySegment.copy(in.segment(), in.payloadOffset(), o, out.payloadOffset(), in.payloadLength());
            out.finishIpv4();
            System.arraycopy(frame, 0, copy, 0, EthernetFrame.HEADER_LENGTH);
            assertArrayEquals(frame, copy, in.toString());
            n++;
        }
        assertEquals(155, n);
    }

    @Test
    void reprsRefuseFieldsOutOfRangeAndUncheckedViews() {
        assertThrows(IllegalArgumentException.class, () -> new BthRepr(0, false, false, 4, 0, 0xffff, false, false, 1, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new BthRepr(0, false, false, 0, 0, 0xffff, false, false, 1 << 24, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new BthRepr(0, false, false, 0, 0, 0xffff, false, false, 1, false, -1));
        assertThrows(IllegalArgumentException.class, () -> new BthRepr(256, false, false, 0, 0, 0, false, false, 1, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new RethRepr(0, 0, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new AethRepr(0x1f, 1 << 24));
        assertThrows(IllegalArgumentException.class, () -> new DethRepr(0, 1 << 24));
        // parse needs a view checked by wrap: one pointed by wrapUnchecked, or refused, is not.
        Bth b = new Bth().wrapUnchecked(MemorySegment.ofArray(new byte[12]), 0, 12);
        assertThrows(IllegalStateException.class, () -> BthRepr.parse(b));
        Reth r = new Reth();
        r.wrap(MemorySegment.ofArray(new byte[15]), 0, 15);
        assertThrows(MalformedPacketException.class, () -> RethRepr.parse(r));
    }
}
