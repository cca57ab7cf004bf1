package io.jverbs.soft.transport;

import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;

/**
 * Where a QP's completions go: the fields of {@code ibv_wc}, which the device layer writes into
 * its completion queue. One sink for the send queue and one for the receive queue (they may be the
 * same CQ).
 */
@FunctionalInterface
public interface CompletionSink {
    /** {@code ibv_wc.wc_flags}: the first 40 bytes of a UD receive buffer hold a GRH. */
    int WC_GRH = 1;
    /** {@code ibv_wc.wc_flags}: {@code imm} is valid. */
    int WC_WITH_IMM = 1 << 1;
    /** {@code ibv_wc.wc_flags}: a SEND with invalidate; {@code imm} is the {@code invalidated_rkey}. */
    int WC_WITH_INV = 1 << 3;

    /**
     * One completion.
     *
     * @param qpNum {@code qp_num}: the local QP
     * @param wrId the work request's {@code wr_id}
     * @param status how it ended
     * @param opcode what it was (undefined by verbs for error completions; set anyway)
     * @param byteLen bytes received (receives, READ) or 0
     * @param imm the immediate data when {@code flags} has {@link #WC_WITH_IMM}, the invalidated
     *            rkey when it has {@link #WC_WITH_INV}
     * @param srcQp the sender's QP (UD receives), else 0
     * @param flags {@link #WC_GRH}, {@link #WC_WITH_IMM}, {@link #WC_WITH_INV}
     */
    void complete(int qpNum, long wrId, WcStatus status, WcOpcode opcode, int byteLen, int imm, int srcQp, int flags);
}
