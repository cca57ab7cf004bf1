package io.jverbs.soft.transport;

import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpAttrMask;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.WrOpcode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/** Making soft QPs and posting to them in tests. */
final class TestQps {
    static final int PD = 1;

    private TestQps() {
    }

    /** A QP taken RESET -> INIT -> RTR -> RTS (UD: no destination) with the attributes {@code tweak} sets. */
    static SoftQp connect(QpType type, int qpn, int destQpn, int sqPsn, int rqPsn, MemoryKeys keys, PacketSink out,
                          CompletionSink scq, CompletionSink rcq, Consumer<QpAttributes> tweak) {
        SoftQp qp = new SoftQp(qpn, type, PD, keys, out, scq, rcq, false, 256, 256, 4, 64, null);
        QpAttributes a = new QpAttributes();
        a.accessFlags = Access.ALL_REMOTE;
        a.qkey = 0x11111111;
        a.destQpn = destQpn;
        a.destAddress = 0x0A000002L;
        a.rqPsn = rqPsn;
        a.sqPsn = sqPsn;
        a.pathMtu = 1024;
        if (tweak != null) {
            tweak.accept(a);
        }
        a.state = QpState.INIT;
        qp.modify(a, QpAttrMask.STATE | QpAttrMask.ACCESS_FLAGS | QpAttrMask.QKEY);
        a.state = QpState.RTR;
        int rtr = QpAttrMask.STATE | QpAttrMask.PATH_MTU;
        if (type != QpType.UD) {
            rtr |= QpAttrMask.AV | QpAttrMask.DEST_QPN | QpAttrMask.RQ_PSN;
        }
        if (type == QpType.RC) {
            rtr |= QpAttrMask.MAX_DEST_RD_ATOMIC | QpAttrMask.MIN_RNR_TIMER;
        }
        qp.modify(a, rtr);
        a.state = QpState.RTS;
        int rts = QpAttrMask.STATE | QpAttrMask.SQ_PSN;
        if (type == QpType.RC) {
            rts |= QpAttrMask.TIMEOUT | QpAttrMask.RETRY_CNT | QpAttrMask.RNR_RETRY | QpAttrMask.MAX_QP_RD_ATOMIC;
        }
        qp.modify(a, rts);
        return qp;
    }

    /** Posts a one-SGE send request; fails the test if the post is refused. */
    static SendWqe post(SoftQp qp, long now, long wrId, WrOpcode op, int flags, long address, int length, int lkey) {
        SendWqe w = qp.nextSend();
        w.wrId = wrId;
        w.opcode = op.code();
        w.flags = flags;
        w.sges.set(0, address, length, lkey);
        return w;
    }

    static void commit(SoftQp qp, long now) {
        int rc = qp.postSend(now);
        if (rc != 0) {
            throw new AssertionError("postSend returned " + rc);
        }
    }

    static void recv(SoftQp qp, long wrId, long address, int length, int lkey) {
        RecvWqe r = qp.nextRecv();
        r.wrId = wrId;
        r.sges.set(0, address, length, lkey);
        int rc = qp.postRecv();
        if (rc != 0) {
            throw new AssertionError("postRecv returned " + rc);
        }
    }

    /** A region of {@code size} bytes of native memory (as registered memory is), filled with a pattern from {@code seed}. */
    static MemorySegment region(int size, int seed) {
        MemorySegment m = Arena.ofAuto().allocate(size);
        for (int i = 0; i < size; i++) {
            m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
        }
        return m;
    }
}
