package io.jverbs.soft.transport;

import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.soft.wire.Aeth;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpAttrMask;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WrOpcode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One soft queue pair: its verbs state machine, its send and receive rings, and the RC, UC and UD
 * requester, completer and responder, as rxe runs them on the wire (ROCEV2.md). Driven from one
 * thread: {@link #postSend}, {@link #postRecv}, {@link #receive} (a packet for this QP) and
 * {@link #poll} (transmit what the window allows, run the timers) all take the current time from
 * the caller's clock, so a test replays the same run on a virtual clock. Packets leave through a
 * {@link PacketSink}, completions through {@link CompletionSink}s. Nothing here allocates per packet.
 */
public final class SoftQp implements ReceivePosting {
    /** rxe's RXE_MAX_UNACKED_PSNS: the requester stays within this many PSNs of the oldest unacknowledged. */
    static final int WINDOW = 128;
    /** The smallest window {@link #sendWindow} accepts: what a device with a tiny socket buffer still gets. */
    public static final int MIN_WINDOW = 8;
    /** The largest: far inside the 2^23 PSNs a responder tells ahead from behind. */
    public static final int MAX_WINDOW = 1 << 14;
    /** rxe sets AckReq on the packet after 65 without (RXE_MAX_PKT_PER_ACK 64, post-incremented). */
    static final int MAX_PACKETS_PER_ACK = 64;
    /** Bytes of GRH verbs reserves at the start of every UD receive buffer. */
    public static final int GRH_BYTES = 40;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[GRH_BYTES]);
    private static final int RETRY_FOREVER = 7;
    private static final ValueLayout.OfLong ATOMIC = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int EINVAL = 22;
    private static final int ACK = Aeth.TYPE_ACK << 5 | Aeth.CREDITS_INVALID;
    private static final int RNR_NAK = Aeth.TYPE_RNR_NAK << 5;
    private static final int NAK = Aeth.TYPE_NAK << 5;
    private static final int ENOMEM = 12;

    private final int qpNum;
    private final QpType type;
    private final Opcode.Transport transport;
    private final int pd;
    private final MemoryKeys keys;
    private final PacketSink out;
    private final CompletionSink sendCq;
    private final CompletionSink recvCq;
    private final boolean signalAll;
    private final int maxSge;

    private final SendWqe[] sq;
    private final ReceiveQueue rq;     // its own, or a shared receive queue
    private final boolean sharedRq;
    private Runnable lastWqeReached;
    // Absolute counters; slot = counter % length. completed <= next <= started... <= posted.
    private long sqPosted;
    private long sqCompleted;
    private long sqNext;     // the WQE the requester sends from
    private long sqStarted;  // the first WQE that never had a packet sent

    private QpState state = QpState.RESET;
    private int accessFlags;
    private int qkey;
    private int mtu = 1024;
    private int destQpn;
    private long destAddress;
    private int timeout;
    private int retryCnt;
    private int rnrRetry;
    private int minRnrTimer;
    private int maxRdAtomic = 1;
    /** RC: the most PSNs sent and not yet acknowledged now; {@link #WINDOW} unless the device set another limit. */
    private int window = WINDOW;
    /** The most {@link #window} may grow to ({@link #sendWindow}). */
    private int maxWindow = WINDOW;
    /** Packets acknowledged since the window last grew by one. */
    private int windowCredit;

    // Requester.
    private final TransportPacket tx = new TransportPacket();
    private final MemorySegment gather;
    private int reqPsn;
    private int sentEnd;             // the PSN after the newest packet ever sent
    private long reqOffset;          // bytes of sq[sqNext] already sent
    private int noAckPackets;
    private int compPsn;             // the oldest PSN not yet acknowledged
    private int rdAtomicOutstanding;
    private int retriesLeft;
    private int rnrRetriesLeft;
    private boolean timerArmed;
    private long timerDeadline;
    private boolean rnrWaiting;
    private long rnrDeadline;
    private int rnrPsn;
    private boolean nakRetrying;     // a NAK rewound us: later NAKs wait for progress or a timeout

    // Responder.
    private final TransportPacket ack = new TransportPacket();
    private int ePsn;
    private int msn;
    private boolean nakSent;
    private Opcode inMessage;        // null, or RC_SEND_FIRST / RC_RDMA_WRITE_FIRST while a message is under way
    private boolean ucDropping;      // UC: the rest of a message whose packet was lost is dropped
    private long respOffset;
    private MemoryKeys.Region writeRegion;
    private long writeVa;            // the WRITE's first byte as an offset into writeRegion's memory
    private long writeLength;
    private Resource[] resources = new Resource[0];
    private int nextResource;

    private long retransmissions;
    private long localOperations;
    private long duplicates;
    private long drops;

    /** A READ or atomic the responder executed, kept for replaying duplicates (max_dest_rd_atomic of them). */
    private static final class Resource {
        boolean valid;
        boolean atomic;
        int firstPsn;
        int lastPsn;
        long original;
    }

    /**
     * A QP in RESET.
     *
     * @param qpNum its number (24 bits)
     * @param type RC, UC or UD
     * @param pd its protection domain's id (regions must match it)
     * @param keys the device's memory keys
     * @param out where its packets go
     * @param sendCq completions of send requests
     * @param recvCq completions of receive requests
     * @param signalAll {@code sq_sig_all}: every send request completes, signaled or not
     * @param sendDepth send ring slots
     * @param recvDepth receive ring slots (unused with {@code srq})
     * @param maxSge SGEs per request
     * @param maxInline {@code max_inline_data}: bytes a request may carry inline
     * @param srq the shared receive queue its responder takes receives from, or null for its own
     */
    public SoftQp(int qpNum, QpType type, int pd, MemoryKeys keys, PacketSink out, CompletionSink sendCq,
                  CompletionSink recvCq, boolean signalAll, int sendDepth, int recvDepth, int maxSge, int maxInline,
                  ReceiveQueue srq) {
        if (type != QpType.RC && type != QpType.UC && type != QpType.UD) {
            throw new IllegalArgumentException("the soft transport runs RC, UC and UD queue pairs, not " + type);
        }
        if ((qpNum & ~Ib.PSN_MASK) != 0 || sendDepth < 1 || recvDepth < 1 || maxSge < 1 || maxInline < 0) {
            throw new IllegalArgumentException("qpNum must fit 24 bits, depths and maxSge be positive, maxInline not negative");
        }
        this.qpNum = qpNum;
        this.type = type;
        this.transport = type == QpType.RC ? Opcode.Transport.RC : type == QpType.UC ? Opcode.Transport.UC : Opcode.Transport.UD;
        this.pd = pd;
        this.keys = keys;
        this.out = out;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.signalAll = signalAll;
        this.maxSge = maxSge;
        sq = new SendWqe[sendDepth];
        for (int i = 0; i < sendDepth; i++) {
            sq[i] = new SendWqe(maxSge, maxInline);
        }
        sharedRq = srq != null;
        rq = sharedRq ? srq : new ReceiveQueue(recvDepth, maxSge);
        gather = MemorySegment.ofArray(new byte[4096]);
    }

    /** The QP number. */
    public int qpNum() {
        return qpNum;
    }

    /** The destination QP number (RC, UC), as the last {@code ibv_modify_qp} with it set it. */
    public int destQpn() {
        return destQpn;
    }

    /** The verbs state. */
    public QpState state() {
        return state;
    }

    /**
     * Limits an RC requester to {@code packets} PSNs beyond the oldest unacknowledged one (rxe:
     * 128, the default). A device whose receiver keeps datagrams in a socket buffer sets fewer
     * when a full window would not fit there: every datagram the buffer drops costs a go-back-N
     * round. Above 128 the window adapts: it starts at 128, grows by one per 8 packets
     * acknowledged (an eighth per round trip) up to {@code packets}, and halves, never below 128,
     * at every sign of loss (a PSN sequence NAK acted on, a retransmission timeout). Loss thus
     * finds rxe's window again, and a loss-free path fills the time the peer takes to answer.
     *
     * @throws IllegalArgumentException outside {@link #MIN_WINDOW}..{@link #MAX_WINDOW}
     */
    public void sendWindow(int packets) {
        if (packets < MIN_WINDOW || packets > MAX_WINDOW) {
            throw new IllegalArgumentException("a send window is " + MIN_WINDOW + " to " + MAX_WINDOW + " packets, got " + packets);
        }
        maxWindow = packets;
        window = Math.min(WINDOW, packets);
        windowCredit = 0;
    }

    /** The send window now, in packets ({@link #sendWindow}). */
    public int sendWindow() {
        return window;
    }

    /** {@code n} more PSNs acknowledged: the window grows (only above rxe's, when allowed). */
    private void windowAcknowledged(int n) {
        if (window < maxWindow) {
            windowCredit += n;
            window = Math.min(maxWindow, window + windowCredit / 8);
            windowCredit &= 7;
        }
    }

    /** A sign of loss: an adaptive window halves, down to rxe's. */
    private void windowLoss() {
        if (maxWindow > WINDOW) {
            window = Math.max(WINDOW, window >>> 1);
            windowCredit = 0;
        }
    }

    /** Packets sent again by go-back-N (after a NAK, a timeout, an RNR wait, or a lost READ response). */
    public long retransmissions() {
        return retransmissions;
    }

    /** BIND_MW and LOCAL_INV requests the requester executed (once each, whatever go-back-N resends around them). */
    public long localOperations() {
        return localOperations;
    }

    /** Duplicate requests the responder received. */
    public long duplicates() {
        return duplicates;
    }

    /** Packets the responder or completer dropped (out of sequence, wrong state, bad Q_Key, no receive for UC/UD). */
    public long drops() {
        return drops;
    }

    // ---------------------------------------------------------------- state machine

    /**
     * {@code ibv_modify_qp}: applies the attributes {@code mask} selects and moves to
     * {@code attr.state} when the mask has {@link QpAttrMask#STATE}. Entering ERR flushes every
     * outstanding request with {@link WcStatus#WR_FLUSH_ERR}; RESET empties the rings silently.
     *
     * @throws IllegalArgumentException for a transition verbs does not allow or a bad value
     *         (the device layer returns EINVAL)
     */
    public void modify(QpAttributes attr, int mask) {
        QpState to = (mask & QpAttrMask.STATE) != 0 ? attr.state : state;
        if (!allowed(state, to)) {
            throw new IllegalArgumentException("QP " + qpNum + ": ibv_modify_qp from " + state + " to " + to + " is not a verbs transition");
        }
        if ((mask & QpAttrMask.PATH_MTU) != 0) {
            int m = attr.pathMtu;
            if (m != 256 && m != 512 && m != 1024 && m != 2048 && m != 4096) {
                throw new IllegalArgumentException("path MTU must be 256, 512, 1024, 2048 or 4096, got " + m);
            }
            mtu = m;
        }
        if ((mask & QpAttrMask.ACCESS_FLAGS) != 0) accessFlags = attr.accessFlags;
        if ((mask & QpAttrMask.QKEY) != 0) qkey = attr.qkey;
        if ((mask & QpAttrMask.DEST_QPN) != 0) destQpn = attr.destQpn & Ib.PSN_MASK;
        if ((mask & QpAttrMask.AV) != 0) destAddress = attr.destAddress;
        if ((mask & QpAttrMask.RQ_PSN) != 0) {
            ePsn = attr.rqPsn & Ib.PSN_MASK;
        }
        if ((mask & QpAttrMask.SQ_PSN) != 0) {
            reqPsn = attr.sqPsn & Ib.PSN_MASK;
            compPsn = reqPsn;
            sentEnd = reqPsn;
        }
        if ((mask & QpAttrMask.TIMEOUT) != 0) timeout = check(attr.timeout, 31, "timeout");
        if ((mask & QpAttrMask.RETRY_CNT) != 0) retryCnt = check(attr.retryCnt, 7, "retry_cnt");
        if ((mask & QpAttrMask.RNR_RETRY) != 0) rnrRetry = check(attr.rnrRetry, 7, "rnr_retry");
        if ((mask & QpAttrMask.MIN_RNR_TIMER) != 0) minRnrTimer = check(attr.minRnrTimer, 31, "min_rnr_timer");
        if ((mask & QpAttrMask.MAX_QP_RD_ATOMIC) != 0) maxRdAtomic = Math.max(1, check(attr.maxRdAtomic, 255, "max_rd_atomic"));
        if ((mask & QpAttrMask.MAX_DEST_RD_ATOMIC) != 0) {
            int n = check(attr.maxDestRdAtomic, 255, "max_dest_rd_atomic");
            resources = new Resource[n];
            for (int i = 0; i < n; i++) {
                resources[i] = new Resource();
            }
            nextResource = 0;
        }
        retriesLeft = retryCnt;
        rnrRetriesLeft = rnrRetry;
        if (to == state) {
            return;
        }
        if (to == QpState.RESET) {
            reset();
        } else if (to == QpState.ERR) {
            enterError();
        } else {
            state = to;
        }
    }

    private static int check(int v, int max, String name) {
        if (v < 0 || v > max) {
            throw new IllegalArgumentException(name + " must be 0.." + max + ", got " + v);
        }
        return v;
    }

    private static boolean allowed(QpState from, QpState to) {
        if (to == QpState.RESET || to == QpState.ERR) {
            return true;
        }
        return switch (from) {
            case RESET -> to == QpState.INIT;
            case INIT -> to == QpState.INIT || to == QpState.RTR;
            case RTR -> to == QpState.RTS;
            case RTS -> to == QpState.RTS || to == QpState.SQD;
            case SQD -> to == QpState.SQD || to == QpState.RTS;
            case SQE -> to == QpState.RTS;
            default -> false;
        };
    }

    private void reset() {
        state = QpState.RESET;
        sqPosted = sqCompleted = sqNext = sqStarted = 0;
        if (!sharedRq) {
            rq.clear();
        }
        reqOffset = 0;
        noAckPackets = 0;
        rdAtomicOutstanding = 0;
        timerArmed = rnrWaiting = nakRetrying = nakSent = ucDropping = false;
        inMessage = null;
        msn = 0;
        for (Resource r : resources) {
            r.valid = false;
        }
    }

    /**
     * Runs when this QP, taking receives from a shared receive queue, enters ERR: rxe's
     * IBV_EVENT_QP_LAST_WQE_REACHED (no receive of the SRQ will complete on this QP any more).
     */
    public void onLastWqeReached(Runnable listener) {
        this.lastWqeReached = listener;
    }

    /** Moves to ERR and completes every outstanding request with WR_FLUSH_ERR, sends first. */
    private void enterError() {
        boolean entering = state != QpState.ERR;
        state = QpState.ERR;
        timerArmed = false;
        rnrWaiting = false;
        flush();
        if (entering && sharedRq && lastWqeReached != null) {
            lastWqeReached.run();
        }
    }

    private void flush() {
        while (sqCompleted != sqPosted) {
            SendWqe w = sq[slot(sqCompleted, sq.length)];
            sqCompleted++;
            sendCq.complete(qpNum, w.wrId, WcStatus.WR_FLUSH_ERR, wcOpcode(w.opcode), 0, 0, 0, 0);
        }
        sqNext = sqStarted = sqCompleted;
        // A shared receive queue is not flushed: its receives belong to the SRQ, not to this QP.
        while (!sharedRq && !rq.isEmpty()) {
            RecvWqe r = rq.consume();
            recvCq.complete(qpNum, r.wrId, WcStatus.WR_FLUSH_ERR, WcOpcode.RECV, 0, 0, 0, 0);
        }
    }

    private static int slot(long counter, int length) {
        return (int) (counter % length);
    }

    // ---------------------------------------------------------------- posting

    /**
     * The next free send slot, to fill and then {@link #postSend}; its SGE count is cleared.
     *
     * @return the slot, or null if the send ring is full
     */
    public SendWqe nextSend() {
        if (sqPosted - sqCompleted >= sq.length) {
            return null;
        }
        SendWqe w = sq[slot(sqPosted, sq.length)];
        w.sges.count = 0;
        w.flags = 0;
        return w;
    }

    /**
     * {@code ibv_post_send} of the slot {@link #nextSend} returned. In ERR it completes with
     * WR_FLUSH_ERR at once, as verbs says.
     *
     * @return 0, or an errno as {@code ibv_post_send} returns it: EINVAL for an opcode the QP type
     *         does not have, too many SGEs or a state that cannot send; ENOMEM when the ring is full
     */
    public int postSend(long now) {
        if (sqPosted - sqCompleted >= sq.length) {
            return ENOMEM;
        }
        SendWqe w = sq[slot(sqPosted, sq.length)];
        if (state == QpState.RESET || state == QpState.INIT || state == QpState.RTR) {
            return EINVAL;
        }
        if (w.sges.count > maxSge || !opcodeAllowed(w.opcode)) {
            return EINVAL;
        }
        long length = w.isLocal() ? 0 : w.sges.totalLength();
        if (w.isInline() && !w.isLocal()) {
            if (w.isRead() || w.isAtomic() || w.inlineLength < 0 || w.inlineLength > w.inlineData.byteSize()) {
                return EINVAL;
            }
            length = w.inlineLength;
        }
        if (w.isAtomic() && (w.sges.count != 1 || length != 8)) {
            return EINVAL;
        }
        w.length = length;
        w.started = false;
        w.localError = null;
        sqPosted++;
        if (state == QpState.ERR) {
            flush();
        }
        return 0;
    }

    private boolean opcodeAllowed(int op) {
        if (op == WrOpcode.SEND.code() || op == WrOpcode.SEND_WITH_IMM.code()) {
            return true;
        }
        if (op == WrOpcode.RDMA_WRITE.code() || op == WrOpcode.RDMA_WRITE_WITH_IMM.code()) {
            return type != QpType.UD;
        }
        if (op == WrOpcode.SEND_WITH_INV.code()) {
            return type == QpType.RC; // IBTA has SEND with invalidate opcodes for RC (and XRC) only
        }
        if (op == WrOpcode.RDMA_READ.code() || op == WrOpcode.ATOMIC_CMP_AND_SWP.code()
                || op == WrOpcode.ATOMIC_FETCH_AND_ADD.code()) {
            return type == QpType.RC;
        }
        if (op == WrOpcode.BIND_MW.code() || op == WrOpcode.LOCAL_INV.code()) {
            return type != QpType.UD; // a window is reached by RDMA, which UD has not
        }
        return false;
    }

    /**
     * The next free slot of the QP's receive queue, to fill and then {@link #postRecv}.
     *
     * @return the slot, or null if the ring is full
     * @throws IllegalStateException if the QP uses a shared receive queue (post to it instead)
     */
    @Override
    public RecvWqe nextRecv() {
        if (sharedRq) {
            throw new IllegalStateException("QP " + qpNum + " takes its receives from a shared receive queue: post there");
        }
        return rq.nextRecv();
    }

    /**
     * {@code ibv_post_recv} of the slot {@link #nextRecv} returned.
     *
     * @return 0; EINVAL in RESET, with too many SGEs, or on a QP with a shared receive queue;
     *         ENOMEM when the ring is full
     */
    @Override
    public int postRecv() {
        if (state == QpState.RESET || sharedRq) {
            return EINVAL;
        }
        int rc = rq.postRecv();
        if (rc == 0 && state == QpState.ERR) {
            flush();
        }
        return rc;
    }

    // ---------------------------------------------------------------- requester

    /**
     * Runs the requester: the RNR and retransmit timers, then as many packets as the window, the
     * QP's max_rd_atomic and the posted requests allow.
     */
    public void poll(long now) {
        if (state != QpState.RTS && state != QpState.SQD) {
            return;
        }
        if (rnrWaiting) {
            if (now - rnrDeadline < 0) {
                return;
            }
            rnrWaiting = false;
            rewind(rnrPsn);
            armTimer(now);
        }
        if (timerArmed && now - timerDeadline >= 0) {
            onTimeout(now);
        }
        transmit(now);
    }

    private void onTimeout(long now) {
        if (retryCnt != RETRY_FOREVER) {
            if (retriesLeft == 0) {
                failOldest(WcStatus.RETRY_EXC_ERR);
                return;
            }
            retriesLeft--;
        }
        nakRetrying = false;
        windowLoss();
        rewind(compPsn);
        armTimer(now);
    }

    private void armTimer(long now) {
        long t = Ib.ackTimeoutNanos(timeout);
        if (t == 0 || type != QpType.RC) {
            timerArmed = false;
            return;
        }
        timerArmed = true;
        timerDeadline = now + t;
    }

    private void transmit(long now) {
        if (rnrWaiting) {
            return;
        }
        while (sqNext != sqPosted && (state == QpState.RTS || state == QpState.SQD)) {
            SendWqe w = sq[slot(sqNext, sq.length)];
            if (w.localError != null) {
                return; // waits for the requests before it to complete
            }
            if (w.isLocal()) {
                // Executed once, when the requester reaches it; a go-back-N pass steps over it.
                if (!w.started) {
                    if (state == QpState.SQD) {
                        return;
                    }
                    if (!executeLocal(w)) {
                        continue;
                    }
                }
                sqNext++;
                if (type == QpType.RC) {
                    retireLocal();
                } else {
                    completeUnreliable();
                }
                continue;
            }
            if (!w.started) {
                if (state == QpState.SQD) {
                    return; // SQD drains: what has started is finished (and resent), nothing new starts
                }
                if (type == QpType.RC && Ib.psnDiff(reqPsn, compPsn) >= window) {
                    return;
                }
                if ((w.isRead() || w.isAtomic()) && rdAtomicOutstanding >= maxRdAtomic) {
                    return;
                }
                if ((w.flags & SendFlags.FENCE) != 0 && rdAtomicOutstanding > 0) {
                    return;
                }
                if (!start(w)) {
                    continue; // failed: the QP is in ERR now (the loop ends), or UD goes on
                }
            } else if (type == QpType.RC && Ib.psnDiff(reqPsn, compPsn) >= window && !w.isRead()) {
                return;
            }
            if (w.isRead()) {
                sendRead(w);
            } else if (w.isAtomic()) {
                sendAtomic(w);
            } else {
                sendSegment(w);
            }
            if (!timerArmed) {
                armTimer(now);
            }
            if (type != QpType.RC && sqNext != sqCompleted) {
                completeUnreliable();
            }
        }
    }

    /** Assigns PSNs to a request about to send its first packet and checks its local keys. */
    private boolean start(SendWqe w) {
        boolean keysOk = true;
        int need = w.isRead() || w.isAtomic() ? Access.LOCAL_WRITE : 0; // a READ's data lands in its SGEs
        for (int i = 0; i < (w.isInline() ? 0 : w.sges.count); i++) {
            keysOk &= keys.check(w.sges.lkey[i], pd, w.sges.address[i], w.sges.length[i] & 0xFFFFFFFFL, need) == MemoryKeys.OK;
        }
        if (!keysOk) {
            failNext(w, WcStatus.LOC_PROT_ERR);
            return false;
        }
        if (type == QpType.UD && w.length > mtu) {
            failNext(w, WcStatus.LOC_LEN_ERR);
            return false;
        }
        int n = w.isAtomic() ? 1 : (int) Math.max(1, (w.length + mtu - 1) / mtu);
        w.firstPsn = reqPsn;
        w.lastPsn = Ib.psnAdd(reqPsn, n - 1);
        w.nextPsn = reqPsn;
        w.started = true;
        sqStarted = sqNext + 1;
        reqOffset = 0;
        if (w.isRead() || w.isAtomic()) {
            rdAtomicOutstanding++;
        }
        return true;
    }

    /**
     * BIND_MW or LOCAL_INV, as rxe's requester runs them (rxe_do_local_ops): now, in send-queue
     * order, before the requests after it go out. It takes no PSN: its last PSN is the one before
     * the next request's, so it completes once everything before it is acknowledged.
     */
    private boolean executeLocal(SendWqe w) {
        localOperations++;
        int r;
        WcStatus error;
        if (w.opcode == WrOpcode.BIND_MW.code()) {
            r = keys.bind(qpNum, pd, w.mwKey, w.rkey, w.mrKey, w.remoteAddress, w.bindLength, w.bindAccess);
            error = WcStatus.MW_BIND_ERR;
        } else {
            r = keys.invalidate(w.rkey);
            error = WcStatus.LOC_QP_OP_ERR;
        }
        if (r != MemoryKeys.OK) {
            failNext(w, error);
            return false;
        }
        w.firstPsn = reqPsn;
        w.lastPsn = Ib.psnAdd(reqPsn, -1);
        w.nextPsn = reqPsn;
        w.started = true;
        sqStarted = sqNext + 1;
        reqOffset = 0;
        return true;
    }

    /** RC: completes the local requests at the head of the queue whose predecessors are all acknowledged. */
    private void retireLocal() {
        while (sqCompleted != sqStarted) {
            SendWqe w = sq[slot(sqCompleted, sq.length)];
            if (!w.isLocal() || Ib.psnDiff(w.lastPsn, compPsn) >= 0) {
                return;
            }
            sqCompleted++;
            if (w.signaled() || signalAll) {
                sendCq.complete(qpNum, w.wrId, WcStatus.SUCCESS, wcOpcode(w.opcode), 0, 0, 0, 0);
            }
        }
    }

    /** A request that cannot start: an error completion; RC and UC QPs go to ERR (verbs), UD goes on. */
    private void failNext(SendWqe w, WcStatus status) {
        if (type == QpType.UD) {
            // UD completes in order; only requests already sent can be ahead of this one.
            sqNext++;
            sqStarted = sqNext;
            sqCompleted = sqNext;
            sendCq.complete(qpNum, w.wrId, status, wcOpcode(w.opcode), 0, 0, 0, 0);
            return;
        }
        // Completions come in order: it fails when the requests before it have completed.
        w.localError = status;
        failOldestIfFirst(w);
    }

    private void failOldestIfFirst(SendWqe w) {
        if (sq[slot(sqCompleted, sq.length)] == w) {
            failOldest(w.localError);
        }
    }

    /** The opcode of this QP's transport for an operation given as its RC opcode. */
    private Opcode opcode(Opcode rcOperation) {
        return Opcode.of(transport.bits() << 5 | rcOperation.code());
    }

    /** Sends the next packet of a SEND or WRITE. */
    private void sendSegment(SendWqe w) {
        long offset = reqOffset;
        int len = (int) Math.min(mtu, w.length - offset);
        boolean first = offset == 0;
        boolean last = offset + len >= w.length;
        boolean write = w.opcode == WrOpcode.RDMA_WRITE.code() || w.opcode == WrOpcode.RDMA_WRITE_WITH_IMM.code();
        boolean withImm = w.opcode == WrOpcode.SEND_WITH_IMM.code() || w.opcode == WrOpcode.RDMA_WRITE_WITH_IMM.code();
        boolean withInv = w.opcode == WrOpcode.SEND_WITH_INV.code();
        Opcode op;
        if (write) {
            op = first && last ? (withImm ? Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE : Opcode.RC_RDMA_WRITE_ONLY)
                    : first ? Opcode.RC_RDMA_WRITE_FIRST : last ? (withImm ? Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE : Opcode.RC_RDMA_WRITE_LAST) : Opcode.RC_RDMA_WRITE_MIDDLE;
        } else if (withInv) {
            op = first && last ? Opcode.RC_SEND_ONLY_WITH_INVALIDATE
                    : first ? Opcode.RC_SEND_FIRST : last ? Opcode.RC_SEND_LAST_WITH_INVALIDATE : Opcode.RC_SEND_MIDDLE;
        } else {
            op = first && last ? (withImm ? Opcode.RC_SEND_ONLY_WITH_IMMEDIATE : Opcode.RC_SEND_ONLY)
                    : first ? Opcode.RC_SEND_FIRST : last ? (withImm ? Opcode.RC_SEND_LAST_WITH_IMMEDIATE : Opcode.RC_SEND_LAST) : Opcode.RC_SEND_MIDDLE;
        }
        TransportPacket p = tx;
        p.clearHeaders();
        p.opcode = opcode(op);
        p.psn = reqPsn;
        if (type == QpType.UD) {
            p.address = w.udAddress;
            p.destQp = w.udRemoteQpn & Ib.PSN_MASK;
            p.qkey = w.udRemoteQkey < 0 ? qkey : w.udRemoteQkey;
            p.srcQp = qpNum;
        } else {
            p.address = destAddress;
            p.destQp = destQpn;
        }
        if (last) {
            p.solicited = (w.flags & SendFlags.SOLICITED) != 0;
            if (withImm) {
                p.imm = w.imm;
            }
            if (withInv) {
                p.rkey = w.rkey; // IETH
            }
        }
        if (write && first) {
            p.va = w.remoteAddress;
            p.rkey = w.rkey;
            p.dmaLength = (int) w.length;
        }
        if (type == QpType.RC) {
            p.ackRequest = last || noAckPackets++ > MAX_PACKETS_PER_ACK;
            if (p.ackRequest) {
                noAckPackets = 0;
            }
        }
        if (!gatherPayload(w, offset, len, p)) {
            // Its memory was deregistered since it started: the error completes in turn.
            w.localError = WcStatus.LOC_PROT_ERR;
            failOldestIfFirst(w);
            return;
        }
        emit(p, Ib.psnAdd(reqPsn, 1));
        reqPsn = Ib.psnAdd(reqPsn, 1);
        if (last) {
            reqOffset = 0;
            sqNext++;
        } else {
            reqOffset = offset + len;
        }
    }

    /** Sends a request packet; {@code end} is the PSN after the last one it consumes. */
    private void emit(TransportPacket p, int end) {
        if (Ib.psnDiff(p.psn, sentEnd) < 0) {
            retransmissions++;
        }
        if (Ib.psnDiff(end, sentEnd) > 0) {
            sentEnd = end;
        }
        out.send(p);
    }

    /**
     * Points the packet's payload at the request's bytes: in place if one SGE holds them, else
     * gathered; false if an lkey no longer names its region.
     */
    private boolean gatherPayload(SendWqe w, long offset, int len, TransportPacket p) {
        p.payloadLength = len;
        if (len == 0) {
            return true;
        }
        if (w.isInline()) {
            p.payload = w.inlineData;
            p.payloadOffset = offset;
            return true;
        }
        long skip = offset;
        int i = 0;
        while (i < w.sges.count && skip >= (w.sges.length[i] & 0xFFFFFFFFL)) {
            skip -= w.sges.length[i] & 0xFFFFFFFFL;
            i++;
        }
        MemoryKeys.Region r = keys.find(w.sges.lkey[i]);
        if (r == null) {
            return false;
        }
        if (skip + len <= (w.sges.length[i] & 0xFFFFFFFFL)) {
            p.payload = r.memory();
            p.payloadOffset = w.sges.address[i] - r.iova() + skip;
            return true;
        }
        int done = 0;
        while (done < len) {
            r = keys.find(w.sges.lkey[i]);
            if (r == null) {
                return false;
            }
            int n = (int) Math.min(len - done, (w.sges.length[i] & 0xFFFFFFFFL) - skip);
            MemorySegment.copy(r.memory(), w.sges.address[i] - r.iova() + skip, gather, done, n);
            done += n;
            skip = 0;
            i++;
        }
        p.payload = gather;
        p.payloadOffset = 0;
        return true;
    }

    /** Sends a READ request for whatever of the READ has not arrived yet (all of it the first time). */
    private void sendRead(SendWqe w) {
        long offset = (long) Ib.psnDiff(w.nextPsn, w.firstPsn) * mtu;
        TransportPacket p = tx;
        p.clearHeaders();
        p.address = destAddress;
        p.destQp = destQpn;
        p.opcode = Opcode.RC_RDMA_READ_REQUEST;
        p.psn = w.nextPsn;
        p.ackRequest = true;
        p.va = w.remoteAddress + offset;
        p.rkey = w.rkey;
        p.dmaLength = (int) (w.length - offset);
        noAckPackets = 0;
        emit(p, Ib.psnAdd(w.lastPsn, 1));
        reqPsn = Ib.psnAdd(w.lastPsn, 1);
        sqNext++;
    }

    private void sendAtomic(SendWqe w) {
        TransportPacket p = tx;
        p.clearHeaders();
        p.address = destAddress;
        p.destQp = destQpn;
        boolean cas = w.opcode == WrOpcode.ATOMIC_CMP_AND_SWP.code();
        p.opcode = (cas ? Opcode.RC_COMPARE_SWAP : Opcode.RC_FETCH_ADD);
        p.psn = w.firstPsn;
        p.ackRequest = true;
        p.va = w.remoteAddress;
        p.rkey = w.rkey;
        p.swapAdd = cas ? w.swap : w.compareAdd;
        p.compare = cas ? w.compareAdd : 0;
        noAckPackets = 0;
        emit(p, Ib.psnAdd(w.firstPsn, 1));
        reqPsn = Ib.psnAdd(w.firstPsn, 1);
        sqNext++;
    }

    /** UC and UD: a request completes once its last packet is out. */
    private void completeUnreliable() {
        while (sqCompleted != sqNext) {
            SendWqe c = sq[slot(sqCompleted, sq.length)];
            sqCompleted++;
            if (c.signaled() || signalAll) {
                sendCq.complete(qpNum, c.wrId, WcStatus.SUCCESS, wcOpcode(c.opcode), (int) c.length, 0, 0, 0);
            }
        }
    }

    /**
     * Go-back-N: the next packet sent is {@code psn}'s, in whichever started request holds it; a
     * READ holding it is asked again for the rest of its data.
     */
    private void rewind(int psn) {
        long i = sqCompleted;
        while (i != sqStarted) {
            SendWqe w = sq[slot(i, sq.length)];
            if (Ib.psnDiff(psn, w.lastPsn) <= 0) {
                break;
            }
            i++;
        }
        sqNext = i;
        if (i == sqStarted) {
            reqOffset = 0;
            return; // nothing started holds it: carry on with the next new request
        }
        SendWqe w = sq[slot(i, sq.length)];
        if (Ib.psnDiff(psn, w.firstPsn) < 0) {
            psn = w.firstPsn;
        }
        if (w.isRead()) {
            reqPsn = w.nextPsn; // the first response not yet received
            reqOffset = 0;
        } else {
            reqPsn = psn;
            reqOffset = w.isAtomic() ? 0 : (long) Ib.psnDiff(psn, w.firstPsn) * mtu;
        }
    }

    // ---------------------------------------------------------------- receive

    /**
     * A packet addressed to this QP (its BTH destination QP), already parsed and checked by the wire
     * package. Requests go to the responder, ACKs and responses to the completer; either may send
     * packets (ACKs, NAKs, READ responses) and complete requests before it returns.
     */
    public void receive(long now, TransportPacket p) {
        if (p.opcode == null || p.opcode.transport() != transport) {
            drops++;
            return;
        }
        // The operation as its RC opcode: UC and UD opcodes share RC's low five bits.
        Opcode op = Opcode.of(p.opcode.code() & 0x1F);
        if (type == QpType.RC && p.opcode.isResponse()) {
            if (state == QpState.RTS || state == QpState.SQD) {
                complete(now, p, op);
            } else {
                drops++;
            }
            return;
        }
        if (state != QpState.RTR && state != QpState.RTS && state != QpState.SQD) {
            drops++;
            return;
        }
        switch (type) {
            case RC -> respondRc(p, op);
            case UC -> respondUc(p, op);
            default -> respondUd(p, op);
        }
    }

    // ---------------------------------------------------------------- completer (RC)

    private void complete(long now, TransportPacket p, Opcode op) {
        int psn = p.psn;
        // A response for a PSN we have not sent (or long acknowledged) is stale: drop it.
        if (Ib.psnDiff(psn, sentEnd) >= 0 || Ib.psnDiff(psn, compPsn) < -maxWindow) {
            drops++;
            return;
        }
        if (op == Opcode.RC_ACKNOWLEDGE && (p.syndrome >>> 5) != Aeth.TYPE_ACK && Ib.psnDiff(psn, compPsn) < 0) {
            drops++; // a NAK for a PSN already acknowledged: late or duplicated, it asks for nothing now
            return;
        }
        if (op == Opcode.RC_ACKNOWLEDGE) {
            int type = p.syndrome >>> 5;
            if (type == Aeth.TYPE_ACK) {
                acknowledge(now, psn, true);
            } else if (type == Aeth.TYPE_RNR_NAK) {
                acknowledge(now, Ib.psnAdd(psn, -1), false);
                onRnrNak(now, psn, p.syndrome & 0x1F);
            } else if (type == Aeth.TYPE_NAK) {
                acknowledge(now, Ib.psnAdd(psn, -1), false);
                onNak(now, psn, p.syndrome & 0x1F);
            } else {
                drops++;
            }
            return;
        }
        // READ response or ATOMIC ACK: everything sent before it is acknowledged (implied ACK).
        acknowledge(now, Ib.psnAdd(psn, -1), false);
        if (sqCompleted == sqStarted) {
            drops++;
            return;
        }
        SendWqe w = sq[slot(sqCompleted, sq.length)];
        if (op == Opcode.RC_ATOMIC_ACKNOWLEDGE) {
            if (!w.isAtomic() || w.firstPsn != psn) {
                drops++;
                return;
            }
            // Checked again: the region may have been deregistered since the request started.
            if (keys.check(w.sges.lkey[0], pd, w.sges.address[0], 8, Access.LOCAL_WRITE) != MemoryKeys.OK) {
                failOldest(WcStatus.LOC_PROT_ERR);
                return;
            }
            MemoryKeys.Region r = keys.find(w.sges.lkey[0]);
            r.memory().set(ATOMIC, w.sges.address[0] - r.iova(), p.atomicOriginal);
            finishRdAtomic(now, w, 8);
            return;
        }
        if (!w.isRead() || Ib.psnDiff(psn, w.firstPsn) < 0 || Ib.psnDiff(psn, w.lastPsn) > 0) {
            drops++;
            return;
        }
        int d = Ib.psnDiff(psn, w.nextPsn);
        if (d < 0) {
            duplicates++;
            return;
        }
        if (d > 0) {
            // A response was lost: ask again for the rest, once until progress or a timeout.
            drops++;
            if (!nakRetrying) {
                nakRetrying = true;
                rewind(w.nextPsn);
                transmit(now);
            }
            return;
        }
        long offset = (long) Ib.psnDiff(psn, w.firstPsn) * mtu;
        boolean lastResponse = psn == w.lastPsn;
        int expected = lastResponse ? (int) (w.length - offset) : mtu;
        if (p.payloadLength != expected) {
            failOldest(WcStatus.BAD_RESP_ERR);
            return;
        }
        if (scatter(w.sges, offset, p.payload, p.payloadOffset, p.payloadLength) != MemoryKeys.OK) {
            failOldest(WcStatus.LOC_PROT_ERR);
            return;
        }
        w.nextPsn = Ib.psnAdd(psn, 1);
        compPsn = w.nextPsn;
        progress(now);
        if (lastResponse) {
            finishRdAtomic(now, w, (int) w.length);
        }
    }

    private void finishRdAtomic(long now, SendWqe w, int byteLen) {
        rdAtomicOutstanding--;
        compPsn = Ib.psnAdd(w.lastPsn, 1);
        sqCompleted++;
        if (w.signaled() || signalAll) {
            sendCq.complete(qpNum, w.wrId, WcStatus.SUCCESS, wcOpcode(w.opcode), byteLen, 0, 0, 0);
        }
        progress(now);
        acknowledge(now, Ib.psnAdd(compPsn, -1), false);
    }

    /**
     * Retires every SEND and WRITE whose last PSN is at or before {@code psn}; stops at a READ or
     * atomic still waiting for its response (an explicit ACK beyond one means its responses were
     * lost: it is asked again) and at a request that failed locally (its error completes now).
     */
    private void acknowledge(long now, int psn, boolean explicit) {
        boolean advanced = false;
        while (sqCompleted != sqStarted) {
            SendWqe w = sq[slot(sqCompleted, sq.length)];
            if (w.isRead() || w.isAtomic()) {
                if (explicit && Ib.psnDiff(psn, w.firstPsn) >= 0 && !nakRetrying) {
                    nakRetrying = true;
                    rewind(w.isRead() ? w.nextPsn : w.firstPsn);
                }
                break;
            }
            if (Ib.psnDiff(w.lastPsn, psn) > 0) {
                break;
            }
            sqCompleted++;
            advanced = true;
            if (w.signaled() || signalAll) {
                sendCq.complete(qpNum, w.wrId, WcStatus.SUCCESS, wcOpcode(w.opcode), (int) w.length, 0, 0, 0);
            }
        }
        if (sqCompleted == sqNext && sqNext != sqPosted && sq[slot(sqNext, sq.length)].localError != null) {
            failOldest(sq[slot(sqNext, sq.length)].localError);
            return;
        }
        // The oldest PSN still unacknowledged.
        int c;
        if (sqCompleted == sqStarted) {
            c = sentEnd;
        } else {
            SendWqe w = sq[slot(sqCompleted, sq.length)];
            c = w.isRead() ? w.nextPsn : w.firstPsn;
            int next = Ib.psnAdd(psn, 1);
            if (!w.isRead() && !w.isAtomic() && Ib.psnDiff(next, c) > 0) {
                c = next;
            }
        }
        if (Ib.psnDiff(c, compPsn) > 0) {
            windowAcknowledged(Ib.psnDiff(c, compPsn));
            compPsn = c;
            advanced = true;
        }
        if (advanced) {
            progress(now);
            if (Ib.psnDiff(compPsn, reqPsn) > 0 || sqNext - sqCompleted < 0) {
                rewind(compPsn); // the ACK covers packets we were about to send again
            }
        }
    }

    /** Forward progress: the retry counters start again and the timer runs from now. */
    private void progress(long now) {
        retriesLeft = retryCnt;
        rnrRetriesLeft = rnrRetry;
        nakRetrying = false;
        if (compPsn == sentEnd && sqCompleted == sqStarted) {
            timerArmed = false;
        } else {
            armTimer(now);
        }
    }

    private void onRnrNak(long now, int psn, int timerCode) {
        if (rnrRetry != RETRY_FOREVER) {
            if (rnrRetriesLeft == 0) {
                failOldest(WcStatus.RNR_RETRY_EXC_ERR);
                return;
            }
            rnrRetriesLeft--;
        }
        rnrWaiting = true;
        rnrPsn = psn;
        rnrDeadline = now + Aeth.rnrTimerNanos(timerCode);
        timerArmed = false;
        // Nothing more goes out until the RNR timer: park the requester at the NAK's PSN.
        rewind(psn);
    }

    private void onNak(long now, int psn, int code) {
        switch (Aeth.NakCode.of(code)) {
            case PSN_SEQUENCE_ERROR -> {
                if (nakRetrying || rnrWaiting) {
                    return; // rxe: a second NAK during a retry waits for progress or a timeout
                }
                if (retryCnt != RETRY_FOREVER) {
                    if (retriesLeft == 0) {
                        failOldest(WcStatus.RETRY_EXC_ERR);
                        return;
                    }
                    retriesLeft--;
                }
                nakRetrying = true;
                windowLoss();
                rewind(psn);
                armTimer(now);
                transmit(now);
            }
            case INVALID_REQUEST -> failOldest(WcStatus.REM_INV_REQ_ERR);
            case REMOTE_ACCESS_ERROR -> failOldest(WcStatus.REM_ACCESS_ERR);
            case REMOTE_OPERATIONAL_ERROR -> failOldest(WcStatus.REM_OP_ERR);
            case null, default -> failOldest(WcStatus.REM_INV_RD_REQ_ERR);
        }
    }

    /** The oldest outstanding request ends with {@code status}; the QP goes to ERR and flushes the rest. */
    private void failOldest(WcStatus status) {
        if (sqCompleted != sqPosted) {
            SendWqe w = sq[slot(sqCompleted, sq.length)];
            sqCompleted++;
            sendCq.complete(qpNum, w.wrId, status, wcOpcode(w.opcode), 0, 0, 0, 0);
        }
        enterError();
    }

    // ---------------------------------------------------------------- responder (RC)

    private void respondRc(TransportPacket p, Opcode op) {
        int d = Ib.psnDiff(p.psn, ePsn);
        if (d > 0) {
            drops++;
            if (!nakSent) {
                nakSent = true;
                sendAck(NAK | Aeth.NakCode.PSN_SEQUENCE_ERROR.code(), ePsn);
            }
            return;
        }
        if (d < 0) {
            duplicates++;
            replay(p, op);
            return;
        }
        if (!sequenceOk(op)) {
            nakFatal(Aeth.NakCode.INVALID_REQUEST.code(), p.psn);
            return;
        }
        nakSent = false;
        switch (op) {
            case Opcode.RC_SEND_FIRST, Opcode.RC_SEND_MIDDLE, Opcode.RC_SEND_LAST, Opcode.RC_SEND_LAST_WITH_IMMEDIATE, Opcode.RC_SEND_ONLY,
                 Opcode.RC_SEND_ONLY_WITH_IMMEDIATE, Opcode.RC_SEND_LAST_WITH_INVALIDATE, Opcode.RC_SEND_ONLY_WITH_INVALIDATE -> {
                if (!receiveSend(p, op, true)) {
                    return;
                }
            }
            case Opcode.RC_RDMA_WRITE_FIRST, Opcode.RC_RDMA_WRITE_MIDDLE, Opcode.RC_RDMA_WRITE_LAST, Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE, Opcode.RC_RDMA_WRITE_ONLY, Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE -> {
                if (!receiveWrite(p, op, true)) {
                    return;
                }
            }
            case Opcode.RC_RDMA_READ_REQUEST, Opcode.RC_COMPARE_SWAP, Opcode.RC_FETCH_ADD -> {
                if (resources.length == 0) {
                    // max_dest_rd_atomic 0: this responder takes no READs or atomics (rxe: invalid request).
                    nakFatal(Aeth.NakCode.INVALID_REQUEST.code(), p.psn);
                } else if (op == Opcode.RC_RDMA_READ_REQUEST) {
                    executeRead(p, true);
                } else {
                    executeAtomic(p, op);
                }
                return;
            }
            default -> {
                nakFatal(Aeth.NakCode.INVALID_REQUEST.code(), p.psn);
                return;
            }
        }
        ePsn = Ib.psnAdd(ePsn, 1);
        if (p.ackRequest) {
            sendAck(ACK, p.psn);
        }
    }

    /** FIRST/MIDDLE/LAST order within a message (IBTA 9.8.3.1); a violation is an invalid request. */
    private boolean sequenceOk(Opcode op) {
        boolean middleOrLast = op == Opcode.RC_SEND_MIDDLE || op == Opcode.RC_SEND_LAST || op == Opcode.RC_SEND_LAST_WITH_IMMEDIATE
                || op == Opcode.RC_SEND_LAST_WITH_INVALIDATE || op == Opcode.RC_RDMA_WRITE_MIDDLE || op == Opcode.RC_RDMA_WRITE_LAST || op == Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE;
        if (inMessage == null) {
            return !middleOrLast;
        }
        if (inMessage == Opcode.RC_SEND_FIRST) {
            return op == Opcode.RC_SEND_MIDDLE || op == Opcode.RC_SEND_LAST || op == Opcode.RC_SEND_LAST_WITH_IMMEDIATE
                    || op == Opcode.RC_SEND_LAST_WITH_INVALIDATE;
        }
        return op == Opcode.RC_RDMA_WRITE_MIDDLE || op == Opcode.RC_RDMA_WRITE_LAST || op == Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE;
    }

    private static boolean isFirstOrOnly(Opcode op) {
        return op == Opcode.RC_SEND_FIRST || op == Opcode.RC_SEND_ONLY || op == Opcode.RC_SEND_ONLY_WITH_IMMEDIATE
                || op == Opcode.RC_SEND_ONLY_WITH_INVALIDATE || op == Opcode.RC_RDMA_WRITE_FIRST || op == Opcode.RC_RDMA_WRITE_ONLY || op == Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE;
    }

    private static boolean isLastOrOnly(Opcode op) {
        return op == Opcode.RC_SEND_LAST || op == Opcode.RC_SEND_LAST_WITH_IMMEDIATE || op == Opcode.RC_SEND_ONLY || op == Opcode.RC_SEND_ONLY_WITH_IMMEDIATE
                || op == Opcode.RC_SEND_LAST_WITH_INVALIDATE || op == Opcode.RC_SEND_ONLY_WITH_INVALIDATE
                || op == Opcode.RC_RDMA_WRITE_LAST || op == Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE || op == Opcode.RC_RDMA_WRITE_ONLY || op == Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE;
    }

    /**
     * A SEND packet into the receive at the head of the ring. RC: no receive posted is an RNR NAK
     * (nothing consumed, the requester retries this PSN); UC drops the message.
     *
     * @return true if the packet was accepted
     */
    private boolean receiveSend(TransportPacket p, Opcode op, boolean reliable) {
        boolean first = op == Opcode.RC_SEND_FIRST || op == Opcode.RC_SEND_ONLY || op == Opcode.RC_SEND_ONLY_WITH_IMMEDIATE
                || op == Opcode.RC_SEND_ONLY_WITH_INVALIDATE;
        boolean last = isLastOrOnly(op);
        if (first) {
            if (rq.isEmpty()) {
                noReceive(reliable, p.psn);
                return false;
            }
            respOffset = 0;
        }
        if (!last && p.payloadLength != mtu || p.payloadLength > mtu) {
            refuse(reliable, Aeth.NakCode.INVALID_REQUEST, p.psn);
            return false;
        }
        RecvWqe r = rq.head();
        int s = scatter(r.sges, respOffset, p.payload, p.payloadOffset, p.payloadLength);
        if (s != MemoryKeys.OK) {
            WcStatus status = s == OVERFLOW ? WcStatus.LOC_LEN_ERR : WcStatus.LOC_PROT_ERR;
            rq.consume();
            recvCq.complete(qpNum, r.wrId, status, WcOpcode.RECV, 0, 0, 0, 0);
            if (reliable) {
                nakFatal(s == OVERFLOW ? Aeth.NakCode.INVALID_REQUEST.code() : Aeth.NakCode.REMOTE_OPERATIONAL_ERROR.code(), p.psn);
            } else {
                enterError();
            }
            return false;
        }
        respOffset += p.payloadLength;
        inMessage = last ? null : Opcode.RC_SEND_FIRST;
        if (last) {
            rq.consume();
            msn = Ib.psnAdd(msn, 1);
            if (p.opcode.hasIeth()) {
                // Remote invalidation (rxe: invalidate_rkey; on failure class J, the receive in error and the
                // QP in ERR). rxe 6.1 then ACKs the SEND, so its peer's request succeeds (RxeInteropTest,
                // BADINV); we NAK invalid request, so the requester learns of it (REM_INV_REQ_ERR).
                if (keys.invalidate(p.rkey) != MemoryKeys.OK) {
                    recvCq.complete(qpNum, r.wrId, WcStatus.REM_INV_REQ_ERR, WcOpcode.RECV, 0, 0, 0, 0);
                    nakFatal(Aeth.NakCode.INVALID_REQUEST.code(), p.psn);
                    return false;
                }
                recvCq.complete(qpNum, r.wrId, WcStatus.SUCCESS, WcOpcode.RECV, (int) respOffset, p.rkey, 0, CompletionSink.WC_WITH_INV);
                return true;
            }
            boolean imm = op == Opcode.RC_SEND_LAST_WITH_IMMEDIATE || op == Opcode.RC_SEND_ONLY_WITH_IMMEDIATE;
            recvCq.complete(qpNum, r.wrId, WcStatus.SUCCESS, WcOpcode.RECV, (int) respOffset, imm ? p.imm : 0, 0,
                    imm ? CompletionSink.WC_WITH_IMM : 0);
        }
        return true;
    }

    /** A WRITE packet; the first one's RETH is checked against the rkey (a violation is a remote access NAK). */
    private boolean receiveWrite(TransportPacket p, Opcode op, boolean reliable) {
        boolean first = op == Opcode.RC_RDMA_WRITE_FIRST || op == Opcode.RC_RDMA_WRITE_ONLY || op == Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE;
        boolean last = isLastOrOnly(op);
        boolean imm = op == Opcode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE || op == Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE;
        if (imm && rq.isEmpty()) {
            noReceive(reliable, p.psn); // the immediate needs a receive
            return false;
        }
        if (first) {
            long length = p.dmaLength & 0xFFFFFFFFL;
            MemoryKeys.Region region = (accessFlags & Access.REMOTE_WRITE) == 0 ? null
                    : keys.resolve(p.rkey, pd, qpNum, p.va, length, Access.REMOTE_WRITE);
            if (region == null) {
                refuse(reliable, Aeth.NakCode.REMOTE_ACCESS_ERROR, p.psn);
                return false;
            }
            writeRegion = region;
            writeVa = keys.memoryOffset(p.va);
            writeLength = length;
            respOffset = 0;
        }
        boolean badLength = (!last && p.payloadLength != mtu) || p.payloadLength > mtu
                || respOffset + p.payloadLength > writeLength
                || (last && respOffset + p.payloadLength != writeLength);
        if (badLength) {
            refuse(reliable, Aeth.NakCode.INVALID_REQUEST, p.psn);
            return false;
        }
        if (keys.find(writeRegion.key()) != writeRegion) {
            refuse(reliable, Aeth.NakCode.REMOTE_ACCESS_ERROR, p.psn); // deregistered mid-message
            return false;
        }
        if (p.payloadLength > 0) {
            MemorySegment.copy(p.payload, p.payloadOffset, writeRegion.memory(), writeVa + respOffset, p.payloadLength);
        }
        respOffset += p.payloadLength;
        inMessage = last ? null : Opcode.RC_RDMA_WRITE_FIRST;
        if (last) {
            msn = Ib.psnAdd(msn, 1);
            if (imm) {
                RecvWqe r = rq.consume();
                recvCq.complete(qpNum, r.wrId, WcStatus.SUCCESS, WcOpcode.RECV_RDMA_WITH_IMM, (int) writeLength, p.imm, 0,
                        CompletionSink.WC_WITH_IMM);
            }
        }
        return true;
    }

    /**
     * A READ request: checked, remembered for replay, and answered with its responses (one PSN each).
     * A duplicate (fresh = false) is answered again from its PSN with the VA and length it carries.
     */
    private void executeRead(TransportPacket p, boolean fresh) {
        long length = p.dmaLength & 0xFFFFFFFFL;
        MemoryKeys.Region region = (accessFlags & Access.REMOTE_READ) == 0 ? null
                : keys.resolve(p.rkey, pd, qpNum, p.va, length, Access.REMOTE_READ);
        if (region == null) {
            if (fresh) {
                nakFatal(Aeth.NakCode.REMOTE_ACCESS_ERROR.code(), p.psn);
            }
            return;
        }
        int n = (int) Math.max(1, (length + mtu - 1) / mtu);
        if (fresh) {
            Resource r = resources[nextResource];
            nextResource = (nextResource + 1) % resources.length;
            r.valid = true;
            r.atomic = false;
            r.firstPsn = p.psn;
            r.lastPsn = Ib.psnAdd(p.psn, n - 1);
            ePsn = Ib.psnAdd(p.psn, n);
            msn = Ib.psnAdd(msn, 1);
            nakSent = false;
        }
        long base = keys.memoryOffset(p.va);
        int psn = p.psn;
        for (int i = 0; i < n; i++) {
            TransportPacket a = ack;
            a.clearHeaders();
            a.address = destAddress;
            a.destQp = destQpn;
            a.psn = Ib.psnAdd(psn, i);
            a.opcode = (n == 1 ? Opcode.RC_RDMA_READ_RESPONSE_ONLY : i == 0 ? Opcode.RC_RDMA_READ_RESPONSE_FIRST
                    : i == n - 1 ? Opcode.RC_RDMA_READ_RESPONSE_LAST : Opcode.RC_RDMA_READ_RESPONSE_MIDDLE);
            a.syndrome = ACK;
            a.msn = msn;
            a.payload = region.memory();
            a.payloadOffset = base + (long) i * mtu;
            a.payloadLength = (int) Math.min(mtu, length - (long) i * mtu);
            out.send(a);
        }
    }

    private void executeAtomic(TransportPacket p, Opcode op) {
        if ((p.va & 7) != 0) {
            nakFatal(Aeth.NakCode.INVALID_REQUEST.code(), p.psn);
            return;
        }
        MemoryKeys.Region region = (accessFlags & Access.REMOTE_ATOMIC) == 0 ? null
                : keys.resolve(p.rkey, pd, qpNum, p.va, 8, Access.REMOTE_ATOMIC);
        if (region == null) {
            nakFatal(Aeth.NakCode.REMOTE_ACCESS_ERROR.code(), p.psn);
            return;
        }
        long at = keys.memoryOffset(p.va);
        long original = region.memory().get(ATOMIC, at);
        if (op == Opcode.RC_FETCH_ADD) {
            region.memory().set(ATOMIC, at, original + p.swapAdd);
        } else if (original == p.compare) {
            region.memory().set(ATOMIC, at, p.swapAdd);
        }
        Resource r = resources[nextResource];
        nextResource = (nextResource + 1) % resources.length;
        r.valid = true;
        r.atomic = true;
        r.firstPsn = p.psn;
        r.lastPsn = p.psn;
        r.original = original;
        ePsn = Ib.psnAdd(p.psn, 1);
        msn = Ib.psnAdd(msn, 1);
        nakSent = false;
        sendAtomicAck(p.psn, original);
    }

    /** An ATOMIC ACKNOWLEDGE: an ACK of {@code psn} that also carries the original value (AtomicAckETH). */
    private void sendAtomicAck(int psn, long original) {
        TransportPacket a = fillAck(ACK, psn);
        a.opcode = Opcode.RC_ATOMIC_ACKNOWLEDGE;
        a.atomicOriginal = original;
        out.send(a);
    }

    /**
     * A request with a PSN before the expected one (IBTA 9.9.2.2): SEND and WRITE packets are
     * ACKed with the last in-order PSN; a READ is answered again; an atomic's saved result is sent
     * again, never executed twice. A READ or atomic no longer among the saved resources is dropped.
     */
    private void replay(TransportPacket p, Opcode op) {
        switch (op) {
            case Opcode.RC_RDMA_READ_REQUEST -> {
                Resource r = findResource(p.psn, false);
                if (r != null) {
                    executeRead(p, false);
                } else {
                    drops++;
                }
            }
            case Opcode.RC_COMPARE_SWAP, Opcode.RC_FETCH_ADD -> {
                Resource r = findResource(p.psn, true);
                if (r != null) {
                    sendAtomicAck(p.psn, r.original);
                } else {
                    drops++;
                }
            }
            default -> sendAck(ACK, Ib.psnAdd(ePsn, -1));
        }
    }

    private Resource findResource(int psn, boolean atomic) {
        for (Resource r : resources) {
            if (r.valid && r.atomic == atomic && Ib.psnDiff(psn, r.firstPsn) >= 0 && Ib.psnDiff(psn, r.lastPsn) <= 0) {
                return r;
            }
        }
        return null;
    }

    private void sendAck(int syndrome, int psn) {
        out.send(fillAck(syndrome, psn));
    }

    /** The reusable response packet as an ACKNOWLEDGE of {@code psn} with this AETH syndrome and the current MSN. */
    private TransportPacket fillAck(int syndrome, int psn) {
        TransportPacket a = ack;
        a.clearHeaders();
        a.address = destAddress;
        a.destQp = destQpn;
        a.opcode = Opcode.RC_ACKNOWLEDGE;
        a.psn = psn;
        a.syndrome = syndrome;
        a.msn = msn;
        return a;
    }

    /** No receive posted: RC asks for the packet again after min_rnr_timer (RNR NAK); UC drops the message. */
    private void noReceive(boolean reliable, int psn) {
        if (reliable) {
            sendAck(RNR_NAK | minRnrTimer, psn);
        } else {
            refuse(false, null, psn);
        }
    }

    /** A request the responder will not execute: RC NAKs it and ends in ERR; UC drops the rest of the message. */
    private void refuse(boolean reliable, Aeth.NakCode code, int psn) {
        if (reliable) {
            nakFatal(code.code(), psn);
        } else {
            drops++;
            ucDropping = true;
            inMessage = null;
        }
    }

    /** A NAK that ends the connection: the responder QP goes to ERR (IBTA 9.9.3.1.2, class B/C errors). */
    private void nakFatal(int code, int psn) {
        sendAck(NAK | code, psn);
        inMessage = null;
        enterError();
    }

    // ---------------------------------------------------------------- responder (UC, UD)

    /**
     * UC: no ACKs. A PSN gap means packets were lost: the message under way is abandoned (its
     * receive stays posted for the next one) and packets are dropped until a FIRST or ONLY.
     */
    private void respondUc(TransportPacket p, Opcode op) {
        if (p.psn != ePsn) {
            inMessage = null;
            ucDropping = true;
        }
        ePsn = Ib.psnAdd(p.psn, 1);
        if (ucDropping) {
            if (!isFirstOrOnly(op)) {
                drops++;
                return;
            }
            ucDropping = false;
        }
        if (!sequenceOk(op)) {
            drops++;
            inMessage = null;
            ucDropping = !isFirstOrOnly(op);
            return;
        }
        if (op.code() <= Opcode.RC_SEND_ONLY_WITH_IMMEDIATE.code()) {
            receiveSend(p, op, false);
        } else if (op.code() <= Opcode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE.code()) {
            receiveWrite(p, op, false);
        } else {
            drops++;
        }
    }

    private void respondUd(TransportPacket p, Opcode op) {
        if ((op != Opcode.RC_SEND_ONLY && op != Opcode.RC_SEND_ONLY_WITH_IMMEDIATE) || p.qkey != qkey || p.payloadLength > mtu
                || rq.isEmpty()) {
            drops++; // a UD datagram with a wrong Q_Key or nowhere to go is silently dropped
            return;
        }
        RecvWqe r = rq.consume();
        if (r.sges.totalLength() < GRH_BYTES + (long) p.payloadLength) {
            recvCq.complete(qpNum, r.wrId, WcStatus.LOC_LEN_ERR, WcOpcode.RECV, 0, 0, p.srcQp, 0);
            return;
        }
        // The first 40 bytes are the GRH's place (verbs). For RoCEv2 over IPv4, rxe writes 20 zero
        // bytes and then the IPv4 header the packet came with, and sets IBV_WC_GRH.
        int grh = 0;
        if (p.ipv4Header.byteSize() != 0) {
            int z = scatter(r.sges, 0, ZEROS, 0, GRH_BYTES - Ipv4Packet.MIN_HEADER_LENGTH);
            int h = scatter(r.sges, GRH_BYTES - Ipv4Packet.MIN_HEADER_LENGTH, p.ipv4Header, p.ipv4HeaderOffset, Ipv4Packet.MIN_HEADER_LENGTH);
            grh = z == MemoryKeys.OK && h == MemoryKeys.OK ? CompletionSink.WC_GRH : 0;
        }
        int s = scatter(r.sges, GRH_BYTES, p.payload, p.payloadOffset, p.payloadLength);
        ePsn = Ib.psnAdd(p.psn, 1);
        if (s != MemoryKeys.OK) {
            recvCq.complete(qpNum, r.wrId, WcStatus.LOC_PROT_ERR, WcOpcode.RECV, 0, 0, p.srcQp, 0);
            return;
        }
        boolean imm = op == Opcode.RC_SEND_ONLY_WITH_IMMEDIATE;
        recvCq.complete(qpNum, r.wrId, WcStatus.SUCCESS, WcOpcode.RECV, GRH_BYTES + p.payloadLength, imm ? p.imm : 0,
                p.srcQp, grh | (imm ? CompletionSink.WC_WITH_IMM : 0));
    }

    // ---------------------------------------------------------------- memory

    private static final int OVERFLOW = -1;

    /**
     * Copies {@code length} bytes to byte {@code offset} of a scatter list, checking each lkey for
     * local write.
     *
     * @return {@link MemoryKeys#OK}, {@link #OVERFLOW} if the list is too short, or a key check's result
     */
    private int scatter(ScatterList sg, long offset, MemorySegment src, long srcOffset, int length) {
        long[] address = sg.address;
        int[] lengths = sg.length;
        int[] lkeys = sg.lkey;
        int count = sg.count;
        long skip = offset;
        int done = 0;
        for (int i = 0; i < count && done < length; i++) {
            long sl = lengths[i] & 0xFFFFFFFFL;
            if (skip >= sl) {
                skip -= sl;
                continue;
            }
            int n = (int) Math.min(length - done, sl - skip);
            int c = keys.check(lkeys[i], pd, address[i] + skip, n, Access.LOCAL_WRITE);
            if (c != MemoryKeys.OK) {
                return c;
            }
            MemoryKeys.Region r = keys.find(lkeys[i]);
            MemorySegment.copy(src, srcOffset + done, r.memory(), address[i] - r.iova() + skip, n);
            done += n;
            skip = 0;
        }
        return done == length ? MemoryKeys.OK : OVERFLOW;
    }

    private static WcOpcode wcOpcode(int wrOpcode) {
        if (wrOpcode == WrOpcode.RDMA_WRITE.code() || wrOpcode == WrOpcode.RDMA_WRITE_WITH_IMM.code()) {
            return WcOpcode.RDMA_WRITE;
        }
        if (wrOpcode == WrOpcode.RDMA_READ.code()) {
            return WcOpcode.RDMA_READ;
        }
        if (wrOpcode == WrOpcode.ATOMIC_CMP_AND_SWP.code()) {
            return WcOpcode.COMP_SWAP;
        }
        if (wrOpcode == WrOpcode.ATOMIC_FETCH_AND_ADD.code()) {
            return WcOpcode.FETCH_ADD;
        }
        if (wrOpcode == WrOpcode.BIND_MW.code()) {
            return WcOpcode.BIND_MW;
        }
        if (wrOpcode == WrOpcode.LOCAL_INV.code()) {
            return WcOpcode.LOCAL_INV;
        }
        return WcOpcode.SEND;
    }
}
