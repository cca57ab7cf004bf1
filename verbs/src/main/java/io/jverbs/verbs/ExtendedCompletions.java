package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_cq_ex;
import io.jverbs.verbs.internal.Checks;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;


/**
 * Extended completion polling ({@code ibv_start_poll}, {@code ibv_next_poll}, {@code ibv_end_poll}
 * and the {@code ibv_wc_read_*} readers) on a CQ created with
 * {@link CompletionQueue.Config#extended(long)}. The CQ is read in place, one completion at a
 * time, and only the fields asked for at creation ({@link CompletionFields}) are produced:
 *
 * <pre>{@code
 * if (ex.start()) {
 *     do { handle(ex.wrId(), ex.status(), ex.byteLength()); } while (ex.next());
 *     ex.end();
 * }
 * }</pre>
 * {@link #end()} must follow a successful {@link #start()}: the provider holds the CQ lock in
 * between. One polling thread per CQ.
 */
public final class ExtendedCompletions {

    private static final MethodHandle START = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), Native.CRITICAL);
    private static final MethodHandle NEXT = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS), Native.CRITICAL);
    private static final MethodHandle END = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS), Native.CRITICAL);
    private static final MethodHandle READ_INT = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS), Native.CRITICAL);
    private static final MethodHandle READ_LONG = Native.unbound(FunctionDescriptor.of(JAVA_LONG, ADDRESS), Native.CRITICAL);
    private static final MethodHandle READ_BYTE = Native.unbound(FunctionDescriptor.of(JAVA_BYTE, ADDRESS), Native.CRITICAL);

    private final CompletionQueue owner;
    private final MemorySegment cq;
    private final MemorySegment attr;
    private final long wcFlags;
    /**
     * Soft-RoCE's provider ends the session itself when {@code next_poll} finds the CQ empty (it
     * stores the consumer index and drops the CQ lock), and its {@code end_poll} would then
     * advance the index a second time, past the producer. On rxe, {@link #end()} after such a
     * {@link #next()} must therefore not reach the provider.
     */
    private final boolean nextEndsSession;
    private boolean sessionEnded;
    private final MemorySegment start, next, end, opcode, vendorErr, byteLen, imm, qpNum, srcQp, flags, slid, sl, timestamp,
            wallclock;

    ExtendedCompletions(CompletionQueue owner, MemorySegment cqEx, long wcFlags, boolean nextEndsSession) {
        this.owner = owner;
        this.nextEndsSession = nextEndsSession;
        this.cq = cqEx;
        this.wcFlags = wcFlags;
        this.attr = Arena.ofAuto().allocate(8); // struct ibv_poll_cq_attr { uint32_t comp_mask; } = 0
        this.start = ibv_cq_ex.start_poll(cqEx);
        this.next = ibv_cq_ex.next_poll(cqEx);
        this.end = ibv_cq_ex.end_poll(cqEx);
        this.opcode = ibv_cq_ex.read_opcode(cqEx);
        this.vendorErr = ibv_cq_ex.read_vendor_err(cqEx);
        this.byteLen = ibv_cq_ex.read_byte_len(cqEx);
        this.imm = ibv_cq_ex.read_imm_data(cqEx);
        this.qpNum = ibv_cq_ex.read_qp_num(cqEx);
        this.srcQp = ibv_cq_ex.read_src_qp(cqEx);
        this.flags = ibv_cq_ex.read_wc_flags(cqEx);
        this.slid = ibv_cq_ex.read_slid(cqEx);
        this.sl = ibv_cq_ex.read_sl(cqEx);
        this.timestamp = ibv_cq_ex.read_completion_ts(cqEx);
        this.wallclock = ibv_cq_ex.read_completion_wallclock_ns(cqEx);
    }

    /** The {@link CompletionFields} this CQ produces. */
    public long wcFlags() {
        return wcFlags;
    }

    /** {@code ibv_start_poll}: true with the first completion current, false when the CQ is empty. */
    public boolean start() {
        owner.checkUsable();
        int rc;
        try {
            rc = (int) START.invokeExact(start, cq, attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        sessionEnded = false;
        return result(VerbsCall.START_POLL, rc);
    }

    /** {@code ibv_next_poll}: true with the next completion current, false when none is left. */
    public boolean next() {
        owner.checkUsable();
        int rc;
        try {
            rc = (int) NEXT.invokeExact(next, cq);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (rc == Errno.ENOENT && nextEndsSession) {
            sessionEnded = true;
        }
        return result(VerbsCall.NEXT_POLL, rc);
    }

    /** {@code ibv_end_poll}: releases the CQ after a successful {@link #start()}. */
    public void end() {
        owner.checkUsable();
        if (sessionEnded) {
            sessionEnded = false;
            return;
        }
        try {
            END.invokeExact(end, cq);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    public long wrId() {
        return cq.get(ValueLayout.JAVA_LONG, ibv_cq_ex.wr_id$offset());
    }

    public WcStatus status() {
        return WcStatus.of(cq.get(ValueLayout.JAVA_INT, ibv_cq_ex.status$offset()));
    }

    public WcOpcode opcode() {
        return WcOpcode.of(readInt(opcode));
    }

    public int vendorError() {
        return readInt(vendorErr);
    }

    public int byteLength() {
        return readInt(byteLen, CompletionFields.BYTE_LEN);
    }

    /** Immediate data in host order. */
    public int immediateData() {
        return Integer.reverseBytes(readInt(imm, CompletionFields.IMM));
    }

    public int qpNumber() {
        return readInt(qpNum, CompletionFields.QP_NUM);
    }

    public int sourceQp() {
        return readInt(srcQp, CompletionFields.SRC_QP);
    }

    /** {@link WorkCompletions} FLAG_* bits. */
    public int flags() {
        return readInt(flags);
    }

    public int slid() {
        return readInt(slid, CompletionFields.SLID);
    }

    public int serviceLevel() {
        require(CompletionFields.SL);
        try {
            return Byte.toUnsignedInt((byte) READ_BYTE.invokeExact(sl, cq));
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /** Device clock ticks ({@link DeviceAttributes#hcaCoreClock()} kHz) at completion. */
    public long completionTimestamp() {
        return readLong(timestamp, CompletionFields.COMPLETION_TIMESTAMP);
    }

    /** Completion time in nanoseconds of the wall clock, where the device supports it. */
    public long completionWallclockNanos() {
        return readLong(wallclock, CompletionFields.COMPLETION_TIMESTAMP_WALLCLOCK);
    }

    private boolean result(VerbsCall call, int rc) {
        if (rc == 0) return true;
        if (rc == Errno.ENOENT) return false;
        throw Checks.error(call, rc);
    }

    private int readInt(MemorySegment fn, long flag) {
        require(flag);
        return readInt(fn);
    }

    private int readInt(MemorySegment fn) {
        try {
            return (int) READ_INT.invokeExact(fn, cq);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private long readLong(MemorySegment fn, long flag) {
        require(flag);
        try {
            return (long) READ_LONG.invokeExact(fn, cq);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private void require(long flag) {
        if ((wcFlags & flag) == 0) {
            throw new IllegalStateException("this CQ was created without that field: add the matching CompletionFields flag");
        }
    }
}
