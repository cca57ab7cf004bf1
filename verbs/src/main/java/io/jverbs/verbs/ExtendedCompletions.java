package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_cq_ex;
import io.jverbs.verbs.ffi.ibv_wc;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;

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
 *
 * <p>On a soft device ({@link Context#isSoftDevice()}) the same calls go through the provider
 * seam: {@link #start()} and {@link #next()} poll one {@code struct ibv_wc} into a buffer of this
 * object, which the readers read; the fields are those of {@link CompletionFields#STANDARD}.
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
    /** A soft device's provider, or null; then {@link #wc} holds the current completion. */
    private final ContextOps provider;
    private final long cqAddress;
    private final MemorySegment wc;
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

    /** A provider's CQ at {@code cqAddress}, polled one {@code ibv_wc} at a time. */
    ExtendedCompletions(CompletionQueue owner, ContextOps provider, long cqAddress, long wcFlags) {
        this.owner = owner;
        this.provider = provider;
        this.cqAddress = cqAddress;
        this.wc = Arena.ofAuto().allocate(ibv_wc.layout());
        this.wcFlags = wcFlags;
        this.nextEndsSession = false;
        this.cq = null;
        this.attr = null;
        this.start = this.next = this.end = this.opcode = this.vendorErr = this.byteLen = this.imm = this.qpNum = this.srcQp = null;
        this.flags = this.slid = this.sl = this.timestamp = this.wallclock = null;
    }

    ExtendedCompletions(CompletionQueue owner, MemorySegment cqEx, long wcFlags, boolean nextEndsSession) {
        this.owner = owner;
        this.provider = null;
        this.cqAddress = 0;
        this.wc = null;
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
        if (provider != null) return pollOne(VerbsCall.START_POLL);
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
        if (provider != null) return pollOne(VerbsCall.NEXT_POLL);
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
        if (provider != null) return; // each poll was complete in itself: nothing is held
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
        return provider != null ? wc.get(ValueLayout.JAVA_LONG, ibv_wc.wr_id$offset()) : cq.get(ValueLayout.JAVA_LONG, ibv_cq_ex.wr_id$offset());
    }

    public WcStatus status() {
        return WcStatus.of(provider != null ? wc.get(ValueLayout.JAVA_INT, ibv_wc.status$offset())
                : cq.get(ValueLayout.JAVA_INT, ibv_cq_ex.status$offset()));
    }

    public WcOpcode opcode() {
        return WcOpcode.of(readInt(opcode, 0, ibv_wc.opcode$offset()));
    }

    public int vendorError() {
        return readInt(vendorErr, 0, ibv_wc.vendor_err$offset());
    }

    public int byteLength() {
        return readInt(byteLen, CompletionFields.BYTE_LEN, ibv_wc.byte_len$offset());
    }

    /** Immediate data in host order. */
    public int immediateData() {
        return Integer.reverseBytes(readInt(imm, CompletionFields.IMM, ibv_wc.imm_data$offset()));
    }

    public int qpNumber() {
        return readInt(qpNum, CompletionFields.QP_NUM, ibv_wc.qp_num$offset());
    }

    public int sourceQp() {
        return readInt(srcQp, CompletionFields.SRC_QP, ibv_wc.src_qp$offset());
    }

    /** {@link WorkCompletions} FLAG_* bits. */
    public int flags() {
        return readInt(flags, 0, ibv_wc.wc_flags$offset());
    }

    public int slid() {
        if (provider != null) {
            require(CompletionFields.SLID);
            return Short.toUnsignedInt(wc.get(ValueLayout.JAVA_SHORT, ibv_wc.slid$offset()));
        }
        return readInt(slid, CompletionFields.SLID, 0);
    }

    public int serviceLevel() {
        require(CompletionFields.SL);
        if (provider != null) return Byte.toUnsignedInt(wc.get(ValueLayout.JAVA_BYTE, ibv_wc.sl$offset()));
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

    /** One completion through the provider: true with it in {@link #wc}, false when the CQ is empty. */
    private boolean pollOne(VerbsCall call) {
        int n = provider.pollCq(cqAddress, 1, wc.address());
        if (n < 0) throw Checks.error(call, -n);
        return n > 0;
    }

    /** A 32-bit field: the provider's {@code ibv_wc} at {@code wcOffset}, or the {@code read_*} function {@code fn}; {@code flag} 0: always produced. */
    private int readInt(MemorySegment fn, long flag, long wcOffset) {
        if (flag != 0) require(flag);
        if (provider != null) return wc.get(ValueLayout.JAVA_INT, wcOffset);
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
