package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The RC responder, packet by packet: a QP in RTS (QPN 0x12, expecting PSN 500 from QP 0x11,
 * path MTU 1024, min_rnr_timer 12), requests fed to it, and the exact ACKs, NAKs and responses it
 * sends, the completions it makes and what lands in its memory.
 */
class RcResponderTest {
    static final long IOVA = 0x10_0000L;

    final ManualClock clock = new ManualClock();
    final MemoryKeys keys = new MemoryKeys(16);
    final Capture wire = new Capture();
    final Completions scq = new Completions();
    final Completions rcq = new Completions();
    MemorySegment memory;
    int key;
    int readOnlyKey;
    SoftQp qp;
    final byte[] data = new byte[4096];

    @BeforeEach
    void setUp() {
        memory = MemorySegment.ofArray(new byte[16 * 1024]);
        key = keys.register(memory, IOVA, Access.ALL_REMOTE, TestQps.PD);
        readOnlyKey = keys.register(MemorySegment.ofArray(new byte[64]), 0x20_0000L, Access.REMOTE_READ, TestQps.PD);
        qp = TestQps.connect(QpType.RC, 0x12, 0x11, 7000, 500, keys, wire, scq, rcq, a -> {
            a.minRnrTimer = 12;
            a.maxDestRdAtomic = 2;
        });
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13 + 1);
        }
    }

    TransportPacket in(Opcode op, int psn, boolean ackReq, int payloadOffset, int payloadLength) {
        TransportPacket p = new TransportPacket();
        p.opcode = op;
        p.destQp = 0x12;
        p.psn = psn;
        p.ackRequest = ackReq;
        p.payload = MemorySegment.ofArray(data);
        p.payloadOffset = payloadOffset;
        p.payloadLength = payloadLength;
        return p;
    }

    void feed(TransportPacket p) {
        qp.receive(clock.nanos(), p);
    }


    byte[] memory(long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return b;
    }

    @Test
    void aSendFillsThePostedReceiveAndIsAckedWithItsPsnAndTheMsn() {
        TestQps.recv(qp, 77, IOVA, 4096, key);
        feed(in(Opcode.RC_SEND_FIRST, 500, false, 0, 1024));
        assertEquals("", Capture.shape(wire.take()), "no AckReq, no ACK");
        TransportPacket last = in(Opcode.RC_SEND_LAST_WITH_IMMEDIATE, 501, true, 1024, 100);
        last.imm = 0x01020304;
        feed(last);
        assertEquals("RC_ACKNOWLEDGE 501 aeth=0x1f msn=1\n", Capture.shape(wire.take()));
        assertEquals(List.of(new Completions.Wc(0x12, 77, WcStatus.SUCCESS, WcOpcode.RECV, 1124, 0x01020304, 0,
                CompletionSink.WC_WITH_IMM)), rcq.take());
        byte[] expected = new byte[1124];
        System.arraycopy(data, 0, expected, 0, 1124);
        assertArrayEquals(expected, memory(0, 1124));
        assertEquals(0, scq.count(), "no send completions on the responder");
    }

    @Test
    void noReceivePostedIsAnRnrNakWithMinRnrTimerAndTheRetryIsAccepted() {
        feed(in(Opcode.RC_SEND_ONLY, 500, true, 0, 10));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x2c msn=0\n", Capture.shape(wire.take()));
        feed(in(Opcode.RC_SEND_ONLY, 501, true, 0, 10));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x60 msn=0\n", Capture.shape(wire.take()),
                "the PSN after an RNR NAK is out of sequence");
        TestQps.recv(qp, 1, IOVA, 64, key);
        feed(in(Opcode.RC_SEND_ONLY, 500, true, 0, 10));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x1f msn=1\n", Capture.shape(wire.take()));
        assertEquals(WcStatus.SUCCESS, rcq.take().getFirst().status());
    }

    @Test
    void aPsnGapIsNakedOnceWithTheExpectedPsnAndLaterPacketsAreDroppedSilently() {
        TestQps.recv(qp, 1, IOVA, 4096, key);
        feed(in(Opcode.RC_SEND_FIRST, 501, false, 0, 1024));
        feed(in(Opcode.RC_SEND_LAST, 502, true, 0, 10));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x60 msn=0\n", Capture.shape(wire.take()));
        feed(in(Opcode.RC_SEND_ONLY, 500, true, 0, 10));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x1f msn=1\n", Capture.shape(wire.take()));
        feed(in(Opcode.RC_SEND_ONLY, 499, true, 0, 10));
        feed(in(Opcode.RC_SEND_ONLY, 500, false, 0, 10));
        assertEquals("""
                RC_ACKNOWLEDGE 500 aeth=0x1f msn=1
                RC_ACKNOWLEDGE 500 aeth=0x1f msn=1
                """, Capture.shape(wire.take()), "duplicates are ACKed with the last in-order PSN");
        assertEquals(1, rcq.take().size(), "and not delivered twice");
        assertEquals(2, qp.duplicates());
    }

    @Test
    void writeLandsAtTheRethAddressAndWriteWithImmediateConsumesAReceive() {
        TransportPacket first = in(Opcode.RC_RDMA_WRITE_FIRST, 500, false, 0, 1024);
        first.va = IOVA + 100;
        first.rkey = key;
        first.dmaLength = 1030;
        feed(first);
        feed(in(Opcode.RC_RDMA_WRITE_LAST, 501, true, 1024, 6));
        assertEquals("RC_ACKNOWLEDGE 501 aeth=0x1f msn=1\n", Capture.shape(wire.take()));
        byte[] expected = new byte[1030];
        System.arraycopy(data, 0, expected, 0, 1030);
        assertArrayEquals(expected, memory(100, 1030));
        assertEquals(0, rcq.pending(), "a WRITE without immediate completes nothing on the responder");

        TransportPacket imm = in(Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE, 502, true, 0, 8);
        imm.va = IOVA;
        imm.rkey = key;
        imm.dmaLength = 8;
        imm.imm = 42;
        feed(imm);
        assertEquals("RC_ACKNOWLEDGE 502 aeth=0x2c msn=1\n", Capture.shape(wire.take()), "no receive for the immediate: RNR");
        TestQps.recv(qp, 5, IOVA + 8000, 16, key);
        feed(imm);
        assertEquals("RC_ACKNOWLEDGE 502 aeth=0x1f msn=2\n", Capture.shape(wire.take()));
        assertEquals(List.of(new Completions.Wc(0x12, 5, WcStatus.SUCCESS, WcOpcode.RECV_RDMA_WITH_IMM, 8, 42, 0,
                CompletionSink.WC_WITH_IMM)), rcq.take());
    }

    @Test
    void aWriteOutsideTheRegionIsARemoteAccessNakAndTheResponderGoesToErr() {
        TestQps.recv(qp, 9, IOVA, 16, key);
        TransportPacket w = in(Opcode.RC_RDMA_WRITE_ONLY, 500, true, 0, 8);
        w.va = IOVA + 16 * 1024 - 4;
        w.rkey = key;
        w.dmaLength = 8;
        feed(w);
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x62 msn=0\n", Capture.shape(wire.take()));
        assertEquals(QpState.ERR, qp.state());
        assertEquals(WcStatus.WR_FLUSH_ERR, rcq.take().getFirst().status(), "the posted receive is flushed");
    }

    @Test
    void aWriteToARegionWithoutRemoteWriteOrWithAnUnknownKeyIsARemoteAccessNak() {
        TransportPacket w = in(Opcode.RC_RDMA_WRITE_ONLY, 500, true, 0, 8);
        w.va = 0x20_0000L;
        w.rkey = readOnlyKey;
        w.dmaLength = 8;
        feed(w);
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x62 msn=0\n", Capture.shape(wire.take()));
        setUp();
        w.rkey = 0x7777;
        w.va = IOVA;
        feed(w);
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x62 msn=0\n", Capture.shape(wire.take()));
    }

    @Test
    void aMiddleWithoutAFirstIsAnInvalidRequest() {
        feed(in(Opcode.RC_SEND_MIDDLE, 500, false, 0, 1024));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x61 msn=0\n", Capture.shape(wire.take()));
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void aReadIsAnsweredWithOneResponsePerPsnAndADuplicateIsAnsweredAgainFromItsPsn() {
        memory.asSlice(0, 4096).copyFrom(MemorySegment.ofArray(data));
        TransportPacket r = in(Opcode.RC_RDMA_READ_REQUEST, 500, true, 0, 0);
        r.va = IOVA + 10;
        r.rkey = key;
        r.dmaLength = 2100;
        feed(r);
        List<Capture.Sent> out = wire.take();
        assertEquals("""
                RC_RDMA_READ_RESPONSE_FIRST 500 aeth=0x1f msn=1 1024
                RC_RDMA_READ_RESPONSE_MIDDLE 501 1024
                RC_RDMA_READ_RESPONSE_LAST 502 aeth=0x1f msn=1 52
                """, Capture.shape(out));
        byte[] expected = new byte[52];
        System.arraycopy(data, 10 + 2048, expected, 0, 52);
        assertArrayEquals(expected, out.get(2).payload());
        TestQps.recv(qp, 1, IOVA + 8192, 64, key);
        feed(in(Opcode.RC_SEND_ONLY, 503, true, 0, 4));
        assertEquals("RC_ACKNOWLEDGE 503 aeth=0x1f msn=2\n", Capture.shape(wire.take()), "the READ took PSNs 500..502");
        // The requester lost 501 and asks again for the rest.
        TransportPacket again = in(Opcode.RC_RDMA_READ_REQUEST, 501, true, 0, 0);
        again.va = IOVA + 10 + 1024;
        again.rkey = key;
        again.dmaLength = 2100 - 1024;
        feed(again);
        out = wire.take();
        assertEquals("""
                RC_RDMA_READ_RESPONSE_FIRST 501 aeth=0x1f msn=2 1024
                RC_RDMA_READ_RESPONSE_LAST 502 aeth=0x1f msn=2 52
                """, Capture.shape(out));
        System.arraycopy(data, 10 + 1024, expected = new byte[1024], 0, 1024);
        assertArrayEquals(expected, out.get(0).payload());
    }

    @Test
    void atomicsExecuteOnceAndADuplicateGetsTheSavedResult() {
        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, 64, 1000);
        TransportPacket fa = in(Opcode.RC_FETCH_ADD, 500, true, 0, 0);
        fa.va = IOVA + 64;
        fa.rkey = key;
        fa.swapAdd = 5;
        feed(fa);
        List<Capture.Sent> out = wire.take();
        assertEquals("RC_ATOMIC_ACKNOWLEDGE 500 aeth=0x1f msn=1\n", Capture.shape(out));
        assertEquals(1000, out.getFirst().packet().atomicOriginal);
        assertEquals(1005, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 64));
        feed(fa);
        out = wire.take();
        assertEquals(1000, out.getFirst().packet().atomicOriginal, "the saved result, not a second add");
        assertEquals(1005, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 64));

        TransportPacket cas = in(Opcode.RC_COMPARE_SWAP, 501, true, 0, 0);
        cas.va = IOVA + 64;
        cas.rkey = key;
        cas.compare = 1005;
        cas.swapAdd = 77;
        feed(cas);
        assertEquals(1005, wire.take().getFirst().packet().atomicOriginal);
        assertEquals(77, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 64));
        cas.psn = 502;
        cas.compare = 1;
        cas.swapAdd = 99;
        feed(cas);
        assertEquals(77, wire.take().getFirst().packet().atomicOriginal);
        assertEquals(77, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 64), "compare failed: no swap");
    }

    @Test
    void duplicateAtomicsBeyondMaxDestRdAtomicAreDropped() {
        TransportPacket fa = in(Opcode.RC_FETCH_ADD, 500, true, 0, 0);
        fa.va = IOVA;
        fa.rkey = key;
        fa.swapAdd = 1;
        for (int psn = 500; psn < 503; psn++) {
            fa.psn = psn;
            feed(fa);
        }
        assertEquals(3, wire.take().size());
        fa.psn = 500; // max_dest_rd_atomic 2: the resource of 500 was reused by 502
        feed(fa);
        assertEquals(0, wire.take().size());
        fa.psn = 501;
        feed(fa);
        assertEquals(1, wire.take().getFirst().packet().atomicOriginal);
        assertEquals(3, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
    }

    @Test
    void misalignedAtomicsAreInvalidRequests() {
        TransportPacket fa = in(Opcode.RC_FETCH_ADD, 500, true, 0, 0);
        fa.va = IOVA + 4;
        fa.rkey = key;
        feed(fa);
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x61 msn=0\n", Capture.shape(wire.take()));
    }

    @Test
    void aSendLongerThanTheReceiveIsLocLenErrThereAndAnInvalidRequestNak() {
        TestQps.recv(qp, 3, IOVA, 100, key);
        feed(in(Opcode.RC_SEND_ONLY, 500, true, 0, 101));
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x61 msn=0\n", Capture.shape(wire.take()));
        assertEquals(List.of(new Completions.Wc(0x12, 3, WcStatus.LOC_LEN_ERR, WcOpcode.RECV, 0, 0, 0, 0)), rcq.take());
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void withMaxDestRdAtomicZeroAReadIsAnInvalidRequest() {
        qp = TestQps.connect(QpType.RC, 0x12, 0x11, 7000, 500, keys, wire, scq, rcq, a -> a.maxDestRdAtomic = 0);
        TransportPacket r = in(Opcode.RC_RDMA_READ_REQUEST, 500, true, 0, 0);
        r.va = IOVA;
        r.rkey = key;
        r.dmaLength = 8;
        feed(r);
        assertEquals("RC_ACKNOWLEDGE 500 aeth=0x61 msn=0\n", Capture.shape(wire.take()));
        assertEquals(QpState.ERR, qp.state());
    }
}
