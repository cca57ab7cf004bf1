package io.jverbs.soft.device;

import io.jverbs.soft.transport.CompletionSink;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.ffi.ibv_wc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A completion queue: a ring of {@code struct ibv_wc} in native memory. Producers (the posting
 * thread, the progress thread) write an entry under the CQ's lock; {@link #poll} copies entries
 * straight into the caller's {@code ibv_wc} array without the lock (one producer cursor, one
 * consumer cursor, ordered by acquire/release). An empty poll also offers to receive for the
 * device ({@link SoftEngine#progressFromPoll}).
 */
final class SoftCq implements CompletionSink, SoftContext.Owned {
    static final long WC = ibv_wc.sizeof();
    private static final long WR_ID = ibv_wc.wr_id$offset(), STATUS = ibv_wc.status$offset(), OPCODE = ibv_wc.opcode$offset(),
            VENDOR_ERR = ibv_wc.vendor_err$offset(), BYTE_LEN = ibv_wc.byte_len$offset(), IMM = ibv_wc.imm_data$offset(),
            QP_NUM = ibv_wc.qp_num$offset(), SRC_QP = ibv_wc.src_qp$offset(), WC_FLAGS = ibv_wc.wc_flags$offset(),
            PKEY_INDEX = ibv_wc.pkey_index$offset(), SLID = ibv_wc.slid$offset(), SL = ibv_wc.sl$offset(),
            DLID_PATH_BITS = ibv_wc.dlid_path_bits$offset();
    private static final VarHandle HEAD, TAIL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SoftCq.class, "head", long.class);
            TAIL = l.findVarHandle(SoftCq.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code armed} values: not armed, next completion, next solicited (or error) completion. */
    private static final int UNARMED = 0, NEXT = 1, SOLICITED = 2;

    final MemorySegment struct;
    final Arena arena;
    private final SoftEngine engine;
    private final int capacity;
    private final MemorySegment ring;
    private final SoftChannel channel;
    /** Next entry to poll; written by the poller only. */
    @SuppressWarnings("unused")
    private long head;
    /** Next entry to write; written under the lock. */
    @SuppressWarnings("unused")
    private long tail;
    private volatile boolean overrun;
    private int armed;

    private final AsyncEvents asyncEvents;

    SoftCq(MemorySegment struct, int capacity, SoftChannel channel, Arena arena, SoftEngine engine, AsyncEvents asyncEvents) {
        this.struct = struct;
        this.asyncEvents = asyncEvents;
        this.engine = engine;
        this.arena = arena;
        this.capacity = capacity;
        this.channel = channel;
        this.ring = arena.allocate(WC * capacity, 8);
    }

    int capacity() {
        return capacity;
    }

    @Override
    public Arena arena() {
        return arena;
    }

    /**
     * Adds a completion; on a full CQ marks it overrun instead (verbs' CQ error: later polls
     * fail, and the context gets IBV_EVENT_CQ_ERR) and returns false. Wakes the channel if the CQ is armed for this completion.
     */
    synchronized boolean complete(long wrId, int status, int opcode, int byteLength, int qpNum, int srcQp, int wcFlags,
                                  int immediate, boolean solicited) {
        long t = tail, h = (long) HEAD.getAcquire(this);
        if (t - h == capacity) {
            if (!overrun) {
                overrun = true;
                asyncEvents.post(AsyncEvents.CQ_ERR, struct.address()); // as rxe: IBV_EVENT_CQ_ERR once, at the overrun
            }
            return false;
        }
        long e = (t % capacity) * WC;
        ring.set(JAVA_LONG, e + WR_ID, wrId);
        ring.set(JAVA_INT, e + STATUS, status);
        ring.set(JAVA_INT, e + OPCODE, opcode);
        ring.set(JAVA_INT, e + VENDOR_ERR, 0);
        ring.set(JAVA_INT, e + BYTE_LEN, byteLength);
        ring.set(JAVA_INT, e + IMM, immediate);
        ring.set(JAVA_INT, e + QP_NUM, qpNum);
        ring.set(JAVA_INT, e + SRC_QP, srcQp);
        ring.set(JAVA_INT, e + WC_FLAGS, wcFlags);
        ring.set(JAVA_SHORT, e + PKEY_INDEX, (short) 0);
        ring.set(JAVA_SHORT, e + SLID, (short) 0);
        ring.set(JAVA_BYTE, e + SL, (byte) 0);
        ring.set(JAVA_BYTE, e + DLID_PATH_BITS, (byte) 0);
        TAIL.setRelease(this, t + 1);
        if (armed == NEXT || armed == SOLICITED && (solicited || status != 0)) {
            armed = UNARMED;
            channel.post(this);
        }
        return true;
    }

    /**
     * A completion from the transport. Its {@code imm} is the value the wire carried; {@code ibv_wc}
     * holds it big-endian ({@code __be32}), but an {@code invalidated_rkey} (the same union) in host order. The transport does not pass the SE bit yet, so a CQ armed
     * for solicited completions wakes at every receive completion: a spurious wake-up, never a missed one.
     */
    @Override
    public void complete(int qpNum, long wrId, WcStatus status, WcOpcode opcode, int byteLen, int imm, int srcQp, int flags) {
        int op = opcode.code();
        int field = (flags & WC_WITH_INV) != 0 ? imm : Integer.reverseBytes(imm);
        complete(wrId, status.code(), op, byteLen, qpNum, srcQp, flags, field, (op & RECV_FLAG) != 0);
    }

    /** {@code enum ibv_wc_opcode}: the receive opcodes have this bit (IBV_WC_RECV = 128). */
    private static final int RECV_FLAG = 0x80;

    /**
     * Copies up to {@code max} completions to {@code wc} (an address): how many, or -EOVERFLOW
     * once overrun. An empty CQ first lets the device deliver the datagrams already waiting
     * ({@link SoftEngine#progressFromPoll}) and looks again.
     */
    int poll(long wc, int max) {
        if (overrun) {
            return -Errnos.EOVERFLOW;
        }
        long h = head, t = (long) TAIL.getAcquire(this);
        if (t == h) {
            engine.progressFromPoll();
            t = (long) TAIL.getAcquire(this);
        }
        int n = (int) Math.min(max, t - h);
        if (n <= 0) {
            return 0;
        }
        int first = (int) Math.min(n, capacity - h % capacity);
        MemorySegment.copy(ring, (h % capacity) * WC, Structs.ALL, wc, first * WC);
        if (first < n) {
            MemorySegment.copy(ring, 0, Structs.ALL, wc + first * WC, (n - first) * WC);
        }
        HEAD.setRelease(this, h + n);
        return n;
    }

    /** {@code req_notify_cq}: the next completion (solicited only: the next solicited or error one) posts an event. */
    synchronized int arm(boolean solicitedOnly) {
        if (channel == null) {
            return Errnos.EINVAL;
        }
        // Arming again never downgrades "next" to "solicited" (rxe keeps the stronger request).
        if (armed != NEXT) {
            armed = solicitedOnly ? SOLICITED : NEXT;
        }
        return 0;
    }
}
