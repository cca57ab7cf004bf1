package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RC requester and completer, packet by packet on a virtual clock: a QP in RTS (QPN 0x11 to
 * 0x12, first PSN 100, path MTU 1024), requests posted, the exact packets it sends, and the
 * completions that the ACKs, NAKs and responses fed to it produce.
 */
class RcRequesterTest {
    static final long IOVA = 0x7f00_0000_0000L;
    static final int ACK = 0x1F;          // AETH: ACK, 31 credits
    static final int NAK_SEQ = 0x60;
    static final int NAK_INVALID = 0x61;
    static final int NAK_ACCESS = 0x62;

    final ManualClock clock = new ManualClock(1_000);
    final MemoryKeys keys = new MemoryKeys(16);
    final Capture wire = new Capture();
    final Completions scq = new Completions();
    final Completions rcq = new Completions();
    MemorySegment memory;
    int lkey;
    SoftQp qp;

    @BeforeEach
    void setUp() {
        memory = TestQps.region(64 * 1024, 7);
        lkey = keys.register(memory, IOVA, Access.LOCAL_WRITE, TestQps.PD);
        qp = TestQps.connect(QpType.RC, 0x11, 0x12, 100, 900, keys, wire, scq, rcq, a -> {
            a.retryCnt = 2;
            a.rnrRetry = 1;
            a.timeout = 14;
        });
    }

    void post(long wrId, WrOpcode op, int length) {
        TestQps.post(qp, clock.nanos(), wrId, op, SendFlags.SIGNALED, IOVA, length, lkey);
        TestQps.commit(qp, clock.nanos());
    }

    TransportPacket in(Opcode op, int psn, int syndrome) {
        TransportPacket p = new TransportPacket();
        p.opcode = op;
        p.destQp = 0x11;
        p.psn = psn;
        p.syndrome = syndrome;
        return p;
    }

    void feed(TransportPacket p) {
        qp.receive(clock.nanos(), p);
    }


    @Test
    void sendIsSegmentedByPathMtuWithAckReqOnTheLastPacketAndCompletesOnItsAck() {
        post(1, WrOpcode.SEND, 2500);
        qp.poll(clock.nanos());
        List<Capture.Sent> out = wire.take();
        assertEquals("""
                RC_SEND_FIRST 100 1024
                RC_SEND_MIDDLE 101 1024
                RC_SEND_LAST 102 A 452
                """, Capture.shape(out));
        assertEquals(0x12, out.get(0).packet().destQp);
        byte[] expected = new byte[2500];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, 0, expected, 0, 2500);
        byte[] got = new byte[2500];
        System.arraycopy(out.get(0).payload(), 0, got, 0, 1024);
        System.arraycopy(out.get(1).payload(), 0, got, 1024, 1024);
        System.arraycopy(out.get(2).payload(), 0, got, 2048, 452);
        assertArrayEquals(expected, got);
        // The PadCnt the wire layout gives the LAST packet: 452 % 4 == 0, so none; 2501 would give 3.
        feed(in(Opcode.RC_ACKNOWLEDGE, 101, ACK));
        assertEquals(0, scq.pending(), "an ACK of the MIDDLE does not complete the SEND");
        feed(in(Opcode.RC_ACKNOWLEDGE, 102, ACK));
        List<Completions.Wc> wc = scq.take();
        assertEquals(List.of(new Completions.Wc(0x11, 1, WcStatus.SUCCESS, WcOpcode.SEND, 2500, 0, 0, 0)), wc);
    }

    @Test
    void writeWithImmediateCarriesRethFirstAndImmDtLast() {
        SendWqe w = TestQps.post(qp, clock.nanos(), 5, WrOpcode.RDMA_WRITE_WITH_IMM, SendFlags.SIGNALED | SendFlags.SOLICITED,
                IOVA + 8, 1500, lkey);
        w.remoteAddress = 0x5000;
        w.rkey = 0x4242;
        w.imm = 0xCAFE;
        TestQps.commit(qp, clock.nanos());
        qp.poll(clock.nanos());
        List<Capture.Sent> out = wire.take();
        assertEquals("""
                RC_RDMA_WRITE_FIRST 100 1024
                RC_RDMA_WRITE_LAST_WITH_IMMEDIATE 101 A 476
                """, Capture.shape(out));
        TransportPacket first = out.get(0).packet();
        assertEquals(0x5000, first.va);
        assertEquals(0x4242, first.rkey);
        assertEquals(1500, first.dmaLength);
        assertFalse(first.solicited);
        TransportPacket last = out.get(1).packet();
        assertEquals(0xCAFE, last.imm);
        assertTrue(last.solicited, "SE on the last packet of a solicited request");
        feed(in(Opcode.RC_ACKNOWLEDGE, 101, ACK));
        assertEquals(WcOpcode.RDMA_WRITE, scq.take().getFirst().opcode());
    }

    /** At path MTU 256, a 200-packet WRITE (wr_id 1), posted and polled: the window lets 128 packets out. */
    void postLongWrite() {
        QpAttributes a = new QpAttributes();
        a.pathMtu = 256;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.PATH_MTU);
        post(1, WrOpcode.RDMA_WRITE, 200 * 256);
        qp.poll(clock.nanos());
    }

    @Test
    void ackReqCadenceInsideOneMessageIsEvery66thPacket() {
        postLongWrite();
        List<Capture.Sent> out = wire.take();
        assertEquals(128, out.size(), "the window: 128 PSNs unacknowledged");
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i == 65, out.get(i).packet().ackRequest, "packet " + i);
        }
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 65, ACK));
        qp.poll(clock.nanos());
        out = wire.take();
        assertEquals(66, out.size(), "the ACK of PSN 165 moves the window's end to 166 + 128");
        assertEquals(228, out.getFirst().packet().psn);
        for (int i = 0; i < out.size(); i++) {
            int index = 128 + i;
            assertEquals(index == 131, out.get(i).packet().ackRequest, "packet " + index);
        }
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 131, ACK));
        qp.poll(clock.nanos());
        out = wire.take();
        assertEquals(6, out.size(), "the rest of the message");
        for (int i = 0; i < out.size(); i++) {
            int index = 194 + i;
            assertEquals(index == 197 || index == 199, out.get(i).packet().ackRequest, "packet " + index);
        }
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 199, ACK));
        assertEquals(WcStatus.SUCCESS, scq.take().getFirst().status());
    }

    @Test
    void psnSequenceNakGoesBackNFromItsPsnEvenMidMessageAndASecondNakIsIgnored() {
        post(1, WrOpcode.SEND, 3000);
        post(2, WrOpcode.SEND, 10);
        qp.poll(clock.nanos());
        assertEquals(4, wire.take().size());
        feed(in(Opcode.RC_ACKNOWLEDGE, 101, NAK_SEQ)); // the responder expects 101: 100 arrived, 101 did not
        assertEquals("""
                RC_SEND_MIDDLE 101 1024
                RC_SEND_LAST 102 A 952
                RC_SEND_ONLY 103 A 10
                """, Capture.shape(wire.take()));
        assertEquals(3, qp.retransmissions());
        feed(in(Opcode.RC_ACKNOWLEDGE, 101, NAK_SEQ));
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size(), "a second NAK during the retry waits for progress or a timeout");
        feed(in(Opcode.RC_ACKNOWLEDGE, 103, ACK));
        assertEquals(2, scq.take().size());
    }

    @Test
    void retransmitTimerResendsFromTheOldestUnackedAndRetryCountEndsInRetryExcErr() {
        post(1, WrOpcode.SEND, 100);
        post(2, WrOpcode.SEND, 100);
        qp.poll(clock.nanos());
        assertEquals(2, wire.take().size());
        long timeout = 4096L << 14; // 67.1 ms
        clock.advance(timeout - 1);
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size(), "not before 4.096 us * 2^14");
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, ACK)); // progress restarts the timer
        clock.advance(timeout - 1);
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size());
        clock.advance(1);
        qp.poll(clock.nanos());
        assertEquals("RC_SEND_ONLY 101 A 100\n", Capture.shape(wire.take()));
        clock.advance(timeout);
        qp.poll(clock.nanos());
        assertEquals("RC_SEND_ONLY 101 A 100\n", Capture.shape(wire.take()), "retry 2 of retry_cnt 2");
        clock.advance(timeout);
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size());
        List<Completions.Wc> wc = scq.take();
        assertEquals(2, wc.size());
        assertEquals(WcStatus.SUCCESS, wc.get(0).status());
        assertEquals(new Completions.Wc(0x11, 2, WcStatus.RETRY_EXC_ERR, WcOpcode.SEND, 0, 0, 0, 0), wc.get(1));
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void rnrNakWaitsTheTimerThenResendsAndRnrRetryExhaustedFails() {
        post(1, WrOpcode.SEND, 100);
        post(2, WrOpcode.SEND, 100);
        qp.poll(clock.nanos());
        wire.take();
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, 0x20 | 14)); // RNR NAK, timer 14 = 1.28 ms
        clock.advance(1_280_000 - 1);
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size(), "nothing before the RNR timer");
        clock.advance(1);
        qp.poll(clock.nanos());
        assertEquals("""
                RC_SEND_ONLY 100 A 100
                RC_SEND_ONLY 101 A 100
                """, Capture.shape(wire.take()));
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, 0x20 | 1)); // rnr_retry 1 is used up
        List<Completions.Wc> wc = scq.take();
        assertEquals(List.of(new Completions.Wc(0x11, 1, WcStatus.RNR_RETRY_EXC_ERR, WcOpcode.SEND, 0, 0, 0, 0),
                new Completions.Wc(0x11, 2, WcStatus.WR_FLUSH_ERR, WcOpcode.SEND, 0, 0, 0, 0)), wc);
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void remoteAccessNakIsRemAccessErrAndFlushesTheRest() {
        post(1, WrOpcode.RDMA_WRITE, 16);
        post(2, WrOpcode.SEND, 16);
        qp.poll(clock.nanos());
        wire.take();
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, NAK_ACCESS));
        List<Completions.Wc> wc = scq.take();
        assertEquals(WcStatus.REM_ACCESS_ERR, wc.get(0).status());
        assertEquals(WcStatus.WR_FLUSH_ERR, wc.get(1).status());
        assertEquals(QpState.ERR, qp.state());
        TestQps.recv(qp, 9, IOVA, 64, lkey);
        assertEquals(new Completions.Wc(0x11, 9, WcStatus.WR_FLUSH_ERR, WcOpcode.RECV, 0, 0, 0, 0), rcq.take().getFirst(),
                "a receive posted in ERR is flushed at once");
    }

    @Test
    void invalidRequestNakIsRemInvReqErr() {
        post(1, WrOpcode.SEND, 16);
        qp.poll(clock.nanos());
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, NAK_INVALID));
        assertEquals(WcStatus.REM_INV_REQ_ERR, scq.take().getFirst().status());
    }

    @Test
    void readConsumesAPsnPerResponseAndALostResponseIsRequestedAgainForTheRest() {
        SendWqe w = TestQps.post(qp, clock.nanos(), 1, WrOpcode.RDMA_READ, SendFlags.SIGNALED, IOVA, 3000, lkey);
        w.remoteAddress = 0x9000;
        w.rkey = 0x77;
        TestQps.commit(qp, clock.nanos());
        post(2, WrOpcode.SEND, 8);
        qp.poll(clock.nanos());
        List<Capture.Sent> out = wire.take();
        assertEquals("""
                RC_RDMA_READ_REQUEST 100 A
                RC_SEND_ONLY 103 A 8
                """, Capture.shape(out));
        assertEquals(3000, out.getFirst().packet().dmaLength);
        byte[] remote = new byte[3000];
        for (int i = 0; i < remote.length; i++) {
            remote[i] = (byte) (i ^ 0x5A);
        }
        TransportPacket r0 = in(Opcode.RC_RDMA_READ_RESPONSE_FIRST, 100, ACK);
        r0.payload = MemorySegment.ofArray(remote);
        r0.payloadLength = 1024;
        feed(r0);
        TransportPacket r2 = in(Opcode.RC_RDMA_READ_RESPONSE_LAST, 102, ACK);
        r2.payload = MemorySegment.ofArray(remote);
        r2.payloadOffset = 2048;
        r2.payloadLength = 952;
        feed(r2); // 101 was lost
        out = wire.take();
        assertEquals("""
                RC_RDMA_READ_REQUEST 101 A
                RC_SEND_ONLY 103 A 8
                """, Capture.shape(out), "a new READ request for the rest, then go-back-N");
        assertEquals(0x9000 + 1024, out.getFirst().packet().va);
        assertEquals(3000 - 1024, out.getFirst().packet().dmaLength);
        TransportPacket r1 = in(Opcode.RC_RDMA_READ_RESPONSE_FIRST, 101, ACK);
        r1.payload = MemorySegment.ofArray(remote);
        r1.payloadOffset = 1024;
        r1.payloadLength = 1024;
        feed(r1);
        feed(r2);
        List<Completions.Wc> wc = scq.take();
        assertEquals(List.of(new Completions.Wc(0x11, 1, WcStatus.SUCCESS, WcOpcode.RDMA_READ, 3000, 0, 0, 0)), wc);
        byte[] got = new byte[3000];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, 0, got, 0, 3000);
        assertArrayEquals(remote, got);
        feed(in(Opcode.RC_ACKNOWLEDGE, 103, ACK));
        assertEquals(WcOpcode.SEND, scq.take().getFirst().opcode());
    }

    @Test
    void aReadResponseIsAnImpliedAckOfTheSendsBeforeIt() {
        post(1, WrOpcode.SEND, 8);
        SendWqe w = TestQps.post(qp, clock.nanos(), 2, WrOpcode.RDMA_READ, SendFlags.SIGNALED, IOVA, 8, lkey);
        w.remoteAddress = 0x9000;
        w.rkey = 0x77;
        TestQps.commit(qp, clock.nanos());
        qp.poll(clock.nanos());
        wire.take();
        TransportPacket r = in(Opcode.RC_RDMA_READ_RESPONSE_ONLY, 101, ACK);
        r.payload = MemorySegment.ofArray(new byte[8]);
        r.payloadLength = 8;
        feed(r); // the SEND's ACK was lost
        List<Completions.Wc> wc = scq.take();
        assertEquals(2, wc.size());
        assertEquals(WcOpcode.SEND, wc.get(0).opcode());
        assertEquals(WcOpcode.RDMA_READ, wc.get(1).opcode());
    }

    @Test
    void atomicsCarryTheirOperandsAndTheAckWritesTheOriginalValue() {
        SendWqe w = TestQps.post(qp, clock.nanos(), 1, WrOpcode.ATOMIC_CMP_AND_SWP, SendFlags.SIGNALED, IOVA + 16, 8, lkey);
        w.remoteAddress = 0x8008;
        w.rkey = 0x99;
        w.compareAdd = 5;
        w.swap = 9;
        TestQps.commit(qp, clock.nanos());
        qp.poll(clock.nanos());
        TransportPacket p = wire.take().getFirst().packet();
        assertEquals(Opcode.RC_COMPARE_SWAP, p.opcode);
        assertTrue(p.ackRequest);
        assertEquals(0x8008, p.va);
        assertEquals(9, p.swapAdd);
        assertEquals(5, p.compare);
        TransportPacket ack = in(Opcode.RC_ATOMIC_ACKNOWLEDGE, 100, ACK);
        ack.atomicOriginal = 0x1234_5678_9ABCL;
        feed(ack);
        assertEquals(new Completions.Wc(0x11, 1, WcStatus.SUCCESS, WcOpcode.COMP_SWAP, 8, 0, 0, 0), scq.take().getFirst());
        assertEquals(0x1234_5678_9ABCL, memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 16));
    }

    @Test
    void maxRdAtomicLimitsOutstandingReads() {
        QpAttributes a = new QpAttributes();
        a.maxRdAtomic = 1;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.MAX_QP_RD_ATOMIC);
        for (int i = 0; i < 2; i++) {
            SendWqe w = TestQps.post(qp, clock.nanos(), i, WrOpcode.RDMA_READ, SendFlags.SIGNALED, IOVA, 8, lkey);
            w.remoteAddress = 0x9000;
            w.rkey = 0x77;
            TestQps.commit(qp, clock.nanos());
        }
        qp.poll(clock.nanos());
        assertEquals("RC_RDMA_READ_REQUEST 100 A\n", Capture.shape(wire.take()));
        TransportPacket r = in(Opcode.RC_RDMA_READ_RESPONSE_ONLY, 100, ACK);
        r.payload = MemorySegment.ofArray(new byte[8]);
        r.payloadLength = 8;
        feed(r);
        qp.poll(clock.nanos());
        assertEquals("RC_RDMA_READ_REQUEST 101 A\n", Capture.shape(wire.take()));
    }

    @Test
    void aBadLkeyCompletesWithLocProtErr() {
        TestQps.post(qp, clock.nanos(), 1, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 100, lkey + 1);
        TestQps.commit(qp, clock.nanos());
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size());
        assertEquals(WcStatus.LOC_PROT_ERR, scq.take().getFirst().status());
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void psnsWrapAt24Bits() {
        SoftQp q = TestQps.connect(QpType.RC, 0x11, 0x12, 0xFFFFFE, 0, keys, wire, scq, rcq, null);
        TestQps.post(q, clock.nanos(), 1, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 3000, lkey);
        TestQps.commit(q, clock.nanos());
        q.poll(clock.nanos());
        assertEquals("""
                RC_SEND_FIRST 16777214 1024
                RC_SEND_MIDDLE 16777215 1024
                RC_SEND_LAST 0 A 952
                """, Capture.shape(wire.take()));
        TransportPacket ack = in(Opcode.RC_ACKNOWLEDGE, 0, ACK);
        q.receive(clock.nanos(), ack);
        assertEquals(WcStatus.SUCCESS, scq.take().getFirst().status());
    }

    @Test
    void inlineDataIsSentFromTheRequestNotFromRegisteredMemory() {
        SendWqe w = qp.nextSend();
        w.wrId = 1;
        w.opcode = WrOpcode.SEND.code();
        w.flags = SendFlags.SIGNALED | SendFlags.INLINE;
        w.inlineData.asSlice(0, 5).copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5}));
        w.inlineLength = 5;
        w.sges.set(0, 0xdead, 5, 0x999); // ignored: no lkey is needed for inline data
        TestQps.commit(qp, clock.nanos());
        qp.poll(clock.nanos());
        List<Capture.Sent> out = wire.take();
        assertEquals("RC_SEND_ONLY 100 A 5\n", Capture.shape(out));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, out.getFirst().payload());
        w = qp.nextSend();
        w.opcode = WrOpcode.SEND.code();
        w.flags = SendFlags.INLINE;
        w.inlineLength = 65;
        assertEquals(22, qp.postSend(clock.nanos()), "more than max_inline_data: EINVAL");
    }

    @Test
    void aLateNakForAnAcknowledgedPsnIsIgnored() {
        post(1, WrOpcode.SEND, 100);
        post(2, WrOpcode.SEND, 100);
        qp.poll(clock.nanos());
        wire.take();
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, ACK));
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, NAK_SEQ)); // sent before the ACK, delivered after it
        assertEquals(0, wire.take().size(), "nothing to go back for");
        assertEquals(QpState.RTS, qp.state());
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, NAK_ACCESS));
        assertEquals(QpState.RTS, qp.state(), "nor an error for a request already completed");
        assertEquals(1, scq.take().size());
    }

    @Test
    void aLocalErrorCompletesAfterTheRequestsBeforeIt() {
        post(1, WrOpcode.SEND, 100);
        qp.poll(clock.nanos());
        TestQps.post(qp, clock.nanos(), 2, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 100, lkey ^ 0x55);
        TestQps.commit(qp, clock.nanos());
        post(3, WrOpcode.SEND, 100);
        qp.poll(clock.nanos());
        assertEquals("RC_SEND_ONLY 100 A 100\n", Capture.shape(wire.take()), "nothing after the bad request is sent");
        assertEquals(0, scq.pending(), "the bad request waits for the one before it");
        feed(in(Opcode.RC_ACKNOWLEDGE, 100, ACK));
        List<Completions.Wc> wc = scq.take();
        assertEquals(List.of(WcStatus.SUCCESS, WcStatus.LOC_PROT_ERR, WcStatus.WR_FLUSH_ERR),
                wc.stream().map(Completions.Wc::status).toList());
        assertEquals(List.of(1L, 2L, 3L), wc.stream().map(Completions.Wc::wrId).toList());
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void memoryDeregisteredUnderAStartedRequestIsLocProtErrNotACrash() {
        post(1, WrOpcode.SEND, 3000);
        qp.poll(clock.nanos());
        assertEquals(3, wire.take().size());
        feed(in(Opcode.RC_ACKNOWLEDGE, 101, NAK_SEQ)); // go back to 101...
        wire.take();
        keys.deregister(lkey);
        clock.advance(4096L << 14);
        qp.poll(clock.nanos()); // ...and again after a timeout, with the region gone
        assertEquals(0, wire.take().size());
        assertEquals(WcStatus.LOC_PROT_ERR, scq.take().getFirst().status());
        assertEquals(QpState.ERR, qp.state());
    }

    @Test
    void timeoutZeroMeansNoRetransmitTimer() {
        QpAttributes a = new QpAttributes();
        a.timeout = 0;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.TIMEOUT);
        post(1, WrOpcode.SEND, 10);
        qp.poll(clock.nanos());
        wire.take();
        clock.advance(3_600_000_000_000L); // an hour
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size(), "IBTA: timeout 0 waits forever");
        assertEquals(QpState.RTS, qp.state());
    }

    @Test
    void sqdFinishesTheStartedMessageButStartsNoNewOne() {
        postLongWrite();
        post(2, WrOpcode.SEND, 8);
        qp.poll(clock.nanos());
        assertEquals(128, wire.take().size());
        QpAttributes a = new QpAttributes();
        a.state = QpState.SQD;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.STATE);
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 127, ACK));
        qp.poll(clock.nanos());
        List<Capture.Sent> out = wire.take();
        assertEquals(72, out.size(), "the rest of the WRITE");
        assertEquals(Opcode.RC_RDMA_WRITE_LAST, out.getLast().packet().opcode);
        clock.advance(4096L << 14);
        qp.poll(clock.nanos());
        assertEquals(72, wire.take().size(), "and again after a timeout, in SQD too");
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 199, ACK));
        qp.poll(clock.nanos());
        assertEquals(0, wire.take().size(), "the SEND does not start in SQD");
        assertEquals(1, scq.take().size());
        a.state = QpState.RTS;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.STATE);
        qp.poll(clock.nanos());
        assertEquals("RC_SEND_ONLY 300 A 8\n", Capture.shape(wire.take()));
    }

    /** At path MTU 256, {@code n} WRITEs of 200 packets each (wr_id 1..n), posted and polled. */
    void postLongWrites(int n) {
        QpAttributes a = new QpAttributes();
        a.pathMtu = 256;
        qp.modify(a, io.jverbs.verbs.QpAttrMask.PATH_MTU);
        for (int i = 1; i <= n; i++) {
            post(i, WrOpcode.RDMA_WRITE, 200 * 256);
        }
        qp.poll(clock.nanos());
    }

    @Test
    void aSmallerSendWindowLetsFewerPacketsOut() {
        qp.sendWindow(64);
        postLongWrite();
        assertEquals(64, wire.take().size(), "64 PSNs unacknowledged");
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 63, ACK));
        qp.poll(clock.nanos());
        assertEquals(64, wire.take().size(), "a fixed window below 128 does not grow");
        assertEquals(64, qp.sendWindow());
    }

    @Test
    void aWindowAbove128GrowsWithAcksAndHalvesBackTo128OnLoss() {
        qp.sendWindow(1024);
        postLongWrites(4);
        assertEquals(128, wire.take().size(), "it starts at rxe's 128");
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 127, ACK));
        qp.poll(clock.nanos());
        assertEquals(144, qp.sendWindow(), "128 packets acknowledged: one more per 8");
        List<Capture.Sent> out = wire.take();
        assertEquals(144, out.size());
        assertEquals(228, out.getFirst().packet().psn);
        feed(in(Opcode.RC_ACKNOWLEDGE, 100 + 128 + 143, ACK));
        qp.poll(clock.nanos());
        assertEquals(162, qp.sendWindow());
        assertEquals(162, wire.take().size());
        // A PSN sequence NAK: the window halves, but not below 128, and go-back-N resends from the NAK's PSN.
        feed(in(Opcode.RC_ACKNOWLEDGE, 500, NAK_SEQ));
        assertEquals(128, qp.sendWindow());
        out = wire.take();
        assertEquals(500, out.getFirst().packet().psn, "go-back-N from the NAK's PSN");
        assertEquals(128, out.size(), "within the halved window from the oldest unacknowledged PSN 500");
        // Grown again, a retransmission timeout halves it too.
        feed(in(Opcode.RC_ACKNOWLEDGE, 500 + 127, ACK));
        qp.poll(clock.nanos());
        assertEquals(144, qp.sendWindow());
        wire.take();
        clock.advance(Ib.ackTimeoutNanos(14) + 1);
        qp.poll(clock.nanos());
        assertEquals(128, qp.sendWindow());
    }

    @Test
    void aSendWindowOutsideItsRangeIsRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> qp.sendWindow(SoftQp.MIN_WINDOW - 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> qp.sendWindow(SoftQp.MAX_WINDOW + 1));
    }
}
