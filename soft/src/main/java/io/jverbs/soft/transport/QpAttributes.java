package io.jverbs.soft.transport;

import io.jverbs.verbs.QpAttrMask;
import io.jverbs.verbs.QpState;

/**
 * The {@code ibv_qp_attr} fields the transport uses, for {@link SoftQp#modify}: which of them a call
 * applies is given by a {@link QpAttrMask} mask, as with {@code ibv_modify_qp}.
 */
public final class QpAttributes {
    /** {@code qp_state}. */
    public QpState state = QpState.RESET;
    /** {@code qp_access_flags}: which remote operations the responder allows. */
    public int accessFlags;
    /** {@code qkey} (UD). */
    public int qkey;
    /** {@code path_mtu} in bytes (256..4096). */
    public int pathMtu = 1024;
    /** {@code dest_qp_num} (RC, UC). */
    public int destQpn;
    /** The peer's address ({@code ah_attr}; opaque to the transport). */
    public long destAddress;
    /** {@code rq_psn}: the first PSN the responder expects. */
    public int rqPsn;
    /** {@code sq_psn}: the first PSN the requester sends. */
    public int sqPsn;
    /** {@code timeout}: local ACK timeout 4.096 us * 2^timeout; 0 waits forever. */
    public int timeout = 14;
    /** {@code retry_cnt}: retransmissions after a timeout or NAK before RETRY_EXC_ERR; 7 retries forever (rxe). */
    public int retryCnt = 7;
    /** {@code rnr_retry}: retries after RNR NAKs before RNR_RETRY_EXC_ERR; 7 retries forever. */
    public int rnrRetry = 7;
    /** {@code min_rnr_timer}: the 5-bit code the responder puts in its RNR NAKs. */
    public int minRnrTimer = 12;
    /** {@code max_rd_atomic}: READs and atomics this requester has outstanding at once. */
    public int maxRdAtomic = 16;
    /** {@code max_dest_rd_atomic}: READs and atomics the responder keeps for replay. */
    public int maxDestRdAtomic = 16;
}
