package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpAttrMask;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Two RC responders taking their receives from one shared receive queue. */
class SharedReceiveQueueTest {
    final ManualClock clock = new ManualClock();
    final MemoryKeys keys = new MemoryKeys(4);
    final MemorySegment memory = TestQps.region(16 * 1024, 5);
    final int key = keys.register(memory, 0x1000, Access.ALL_REMOTE, TestQps.PD);
    final Capture wire = new Capture();
    final Completions scq = new Completions();
    final Completions rcq = new Completions();
    final ReceiveQueue srq = new ReceiveQueue(8, 1);

    SoftQp qp(int qpn) {
        SoftQp qp = new SoftQp(qpn, QpType.RC, TestQps.PD, keys, wire, scq, rcq, false, 16, 1, 1, 0, srq);
        QpAttributes a = new QpAttributes();
        a.accessFlags = Access.ALL_REMOTE;
        a.destQpn = 0x11;
        a.rqPsn = 100;
        a.sqPsn = 1;
        for (QpState s : new QpState[] {QpState.INIT, QpState.RTR, QpState.RTS}) {
            a.state = s;
            qp.modify(a, QpAttrMask.STATE | QpAttrMask.DEST_QPN | QpAttrMask.RQ_PSN | QpAttrMask.SQ_PSN
                    | QpAttrMask.ACCESS_FLAGS | QpAttrMask.MAX_DEST_RD_ATOMIC | QpAttrMask.MIN_RNR_TIMER);
        }
        return qp;
    }

    void post(long wrId, long offset) {
        RecvWqe r = srq.nextRecv();
        r.wrId = wrId;
        r.sges.set(0, 0x1000 + offset, 1024, key);
        assertEquals(0, srq.postRecv());
    }

    TransportPacket send(int qpn, int psn) {
        TransportPacket p = new TransportPacket();
        p.opcode = Opcode.RC_SEND_ONLY;
        p.destQp = qpn;
        p.psn = psn;
        p.ackRequest = true;
        p.payload = memory;
        p.payloadOffset = 8192;
        p.payloadLength = 16;
        return p;
    }

    @Test
    void respondersTakeReceivesInPostingOrderAndAnEmptySrqIsAnRnrNak() {
        SoftQp b1 = qp(0x21);
        SoftQp b2 = qp(0x22);
        post(1, 0);
        post(2, 1024);
        b2.receive(0, send(0x22, 100));
        b1.receive(0, send(0x21, 100));
        b1.receive(0, send(0x21, 101));
        assertEquals(List.of(new Completions.Wc(0x22, 1, WcStatus.SUCCESS, WcOpcode.RECV, 16, 0, 0, 0),
                new Completions.Wc(0x21, 2, WcStatus.SUCCESS, WcOpcode.RECV, 16, 0, 0, 0)), rcq.take());
        assertEquals("""
                RC_ACKNOWLEDGE 100 aeth=0x1f msn=1
                RC_ACKNOWLEDGE 100 aeth=0x1f msn=1
                RC_ACKNOWLEDGE 101 aeth=0x2c msn=1
                """, Capture.shape(wire.take()), "the SRQ ran dry: RNR NAK (min_rnr_timer 12)");
        assertEquals(-1, memory.asSlice(0, 16).mismatch(memory.asSlice(8192, 16)), "b2's SEND landed in receive 1");
        assertThrows(IllegalStateException.class, b1::nextRecv);
        assertEquals(22, b1.postRecv());
    }

    @Test
    void aQpGoingToErrDoesNotFlushTheSharedReceives() {
        SoftQp b1 = qp(0x21);
        post(1, 0);
        QpAttributes a = new QpAttributes();
        a.state = QpState.ERR;
        b1.modify(a, QpAttrMask.STATE);
        assertEquals(0, rcq.pending());
        assertEquals(1, srq.size());
    }
}
