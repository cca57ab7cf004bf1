package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_mw_bind_info;
import io.jverbs.verbs.ffi.ibv_qp_ex;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The extended post API ({@code ibv_wr_start} ... {@code ibv_wr_complete}) of a QP created with
 * {@link QueuePair.Config#sendOps}: requests are written straight into the send queue, with no
 * {@code struct ibv_send_wr} in between, and rung with one doorbell at {@link #complete()}.
 *
 * <pre>{@code
 * ExtendedPost p = qp.extendedPost();
 * p.start();
 * p.rdmaWrite(1, SendFlags.SIGNALED, remoteAddr, rkey).sge(mr.address(), 4096, mr.lkey());
 * p.complete();
 * }</pre>
 * Each request opcode must be enabled in the QP's {@link SendOps} flags. Arguments come in the
 * order of {@link SendRequests}: {@code (address, length, lkey)} for an SGE,
 * {@code (remoteAddress, rkey, ...)} for RDMA and atomics, {@code (ah, remoteQpn, remoteQkey)}
 * for UD. One thread at a time.
 *
 * <p>On a soft device ({@link Context#isSoftDevice()}) the same calls build a
 * {@code struct ibv_send_wr} chain in a buffer of this object (as many requests as the send
 * queue holds), which {@link #complete()} posts through the provider: one post for the batch.
 * Inline data is copied when {@link #inline} is called, as {@code ibv_wr_set_inline_data} does.
 */
public final class ExtendedPost {
    private static final MethodHandle V = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS), Native.CRITICAL);
    private static final MethodHandle I = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS), Native.CRITICAL);
    private static final MethodHandle V_U32 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT), Native.CRITICAL);
    private static final MethodHandle V_U32_U64 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG), Native.CRITICAL);
    private static final MethodHandle V_U32_U64_U32 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT), Native.CRITICAL);
    private static final MethodHandle V_U32_U64_U64 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CRITICAL);
    private static final MethodHandle V_U32_U64_U64_U64 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), Native.CRITICAL);
    private static final MethodHandle V_PTR_U32_U32 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT), Native.CRITICAL);
    // set_inline_data(qp, void *addr, size_t length): the data pointer as JAVA_LONG, as Ops.POST, so no segment is made per request
    private static final MethodHandle V_U64_U64 = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG), Native.CRITICAL);
    private static final MethodHandle V_PTR_U32_PTR = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, ADDRESS), Native.CRITICAL);

    private final QueuePair qp;
    private final MemorySegment qpx;
    /** A soft device's batch, or null for libibverbs: the requests since {@link #start()}. */
    private final SendRequests batch;
    /** A soft device's copies of inline data, made when {@link #inline} is called. */
    private final MemorySegment inlineCopies;
    private long inlineUsed;
    /** The first error of the soft batch being built (rxe keeps one the same way), thrown by {@link #complete()}. */
    private int batchError;
    private final MemorySegment bindInfo;
    private final MemorySegment start, complete, abort, send, sendImm, sendInv, rdmaWrite, rdmaWriteImm, rdmaRead, cmpSwp,
            fetchAdd, localInv, bindMw, setSge, setUdAddr, setXrcSrqn, setInline;

    /** A soft device's QP: batches of up to {@code caps.maxSendWr()} requests, posted through the provider. */
    ExtendedPost(QueuePair qp, QueuePair.Capabilities caps) {
        this.qp = qp;
        this.qpx = null;
        this.bindInfo = null;
        this.batch = new SendRequests(caps.maxSendWr(), Math.max(1, caps.maxSendSge()));
        this.inlineCopies = Arena.ofAuto().allocate(Math.max(1L, (long) caps.maxSendWr() * caps.maxInlineData()), 8);
        this.start = this.complete = this.abort = this.send = this.sendImm = this.sendInv = this.rdmaWrite = this.rdmaWriteImm = null;
        this.rdmaRead = this.cmpSwp = this.fetchAdd = this.localInv = this.bindMw = this.setSge = this.setUdAddr = null;
        this.setXrcSrqn = this.setInline = null;
    }

    ExtendedPost(QueuePair qp, MemorySegment qpEx) {
        this.qp = qp;
        this.batch = null;
        this.inlineCopies = null;
        this.qpx = qpEx.reinterpret(ibv_qp_ex.sizeof());
        this.bindInfo = Arena.ofAuto().allocate(ibv_mw_bind_info.layout());
        this.start = ibv_qp_ex.wr_start(qpx);
        this.complete = ibv_qp_ex.wr_complete(qpx);
        this.abort = ibv_qp_ex.wr_abort(qpx);
        this.send = ibv_qp_ex.wr_send(qpx);
        this.sendImm = ibv_qp_ex.wr_send_imm(qpx);
        this.sendInv = ibv_qp_ex.wr_send_inv(qpx);
        this.rdmaWrite = ibv_qp_ex.wr_rdma_write(qpx);
        this.rdmaWriteImm = ibv_qp_ex.wr_rdma_write_imm(qpx);
        this.rdmaRead = ibv_qp_ex.wr_rdma_read(qpx);
        this.cmpSwp = ibv_qp_ex.wr_atomic_cmp_swp(qpx);
        this.fetchAdd = ibv_qp_ex.wr_atomic_fetch_add(qpx);
        this.localInv = ibv_qp_ex.wr_local_inv(qpx);
        this.bindMw = ibv_qp_ex.wr_bind_mw(qpx);
        this.setSge = ibv_qp_ex.wr_set_sge(qpx);
        this.setUdAddr = ibv_qp_ex.wr_set_ud_addr(qpx);
        this.setXrcSrqn = ibv_qp_ex.wr_set_xrc_srqn(qpx);
        this.setInline = ibv_qp_ex.wr_set_inline_data(qpx);
    }

    /**
     * The {@code struct ibv_qp_ex *}, for provider extensions of the same batch (e.g.
     * {@code mlx5dv_qp_ex_from_ibv_qp_ex}).
     */
    public MemorySegment segment() {
        qp.checkUsable();
        if (batch != null) {
            throw qp.context().notOnSoftDevice("struct ibv_qp_ex", "its extended post API builds ibv_send_wr chains");
        }
        return qpx;
    }

    /** The QP this posts to. */
    public QueuePair queuePair() {
        return qp;
    }

    /** {@code ibv_wr_start}: opens a batch. */
    public ExtendedPost start() {
        qp.checkUsable();
        if (batch != null) {
            resetBatch();
            return this;
        }
        call(V, start);
        return this;
    }

    private void resetBatch() {
        batch.clear();
        inlineUsed = 0;
        batchError = 0;
    }

    /** {@code ibv_wr_complete}: rings the doorbell for the batch; throws if the provider rejected it. */
    public void complete() {
        qp.checkUsable();
        if (batch != null) {
            completeBatch();
            return;
        }
        int rc;
        try {
            rc = (int) I.invokeExact(complete, qpx);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (rc != 0) {
            throw QueuePair.postFailure(VerbsCall.WR_COMPLETE, rc, -1, 0);
        }
    }

    /** The soft device's {@code ibv_wr_complete}: posts the chain, or throws the error met while building it. */
    private void completeBatch() {
        int error = batchError, size = batch.size();
        try {
            if (error != 0) {
                throw QueuePair.postFailure(VerbsCall.WR_COMPLETE, error, -1, 0);
            }
            if (size > 0) {
                try {
                    qp.postSend(batch);
                } catch (VerbsException e) {
                    throw QueuePair.postFailure(VerbsCall.WR_COMPLETE, e.errno(), batch.failedIndex(), size);
                }
            }
        } finally {
            resetBatch();
        }
    }

    /** {@code ibv_wr_abort}: drops the batch. */
    public void abort() {
        qp.checkUsable();
        if (batch != null) {
            resetBatch();
            return;
        }
        call(V, abort);
    }

    public ExtendedPost send(long wrId, int flags) {
        if (add(wrId, WrOpcode.SEND, flags)) return this;
        header(wrId, flags);
        call(V, send);
        return this;
    }

    /** Send with immediate data (host order). */
    public ExtendedPost sendWithImmediate(long wrId, int flags, int immediate) {
        if (add(wrId, WrOpcode.SEND_WITH_IMM, flags)) {
            batch.immediate(immediate);
            return this;
        }
        header(wrId, flags);
        try {
            V_U32.invokeExact(sendImm, qpx, Integer.reverseBytes(immediate));
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    public ExtendedPost sendWithInvalidate(long wrId, int flags, int invalidateRkey) {
        if (add(wrId, WrOpcode.SEND_WITH_INV, flags)) {
            batch.invalidate(invalidateRkey);
            return this;
        }
        header(wrId, flags);
        u32(sendInv, invalidateRkey);
        return this;
    }

    public ExtendedPost rdmaWrite(long wrId, int flags, long remoteAddress, int rkey) {
        if (add(wrId, WrOpcode.RDMA_WRITE, flags)) {
            batch.rdma(remoteAddress, rkey);
            return this;
        }
        header(wrId, flags);
        u32u64(rdmaWrite, rkey, remoteAddress);
        return this;
    }

    public ExtendedPost rdmaWriteWithImmediate(long wrId, int flags, long remoteAddress, int rkey, int immediate) {
        if (add(wrId, WrOpcode.RDMA_WRITE_WITH_IMM, flags)) {
            batch.rdma(remoteAddress, rkey).immediate(immediate);
            return this;
        }
        header(wrId, flags);
        try {
            V_U32_U64_U32.invokeExact(rdmaWriteImm, qpx, rkey, remoteAddress, Integer.reverseBytes(immediate));
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    public ExtendedPost rdmaRead(long wrId, int flags, long remoteAddress, int rkey) {
        if (add(wrId, WrOpcode.RDMA_READ, flags)) {
            batch.rdma(remoteAddress, rkey);
            return this;
        }
        header(wrId, flags);
        u32u64(rdmaRead, rkey, remoteAddress);
        return this;
    }

    public ExtendedPost atomicFetchAdd(long wrId, int flags, long remoteAddress, int rkey, long add) {
        if (add(wrId, WrOpcode.ATOMIC_FETCH_AND_ADD, flags)) {
            batch.atomic(remoteAddress, rkey, add, 0);
            return this;
        }
        header(wrId, flags);
        try {
            V_U32_U64_U64.invokeExact(fetchAdd, qpx, rkey, remoteAddress, add);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    public ExtendedPost atomicCompareSwap(long wrId, int flags, long remoteAddress, int rkey, long compare, long swap) {
        if (add(wrId, WrOpcode.ATOMIC_CMP_AND_SWP, flags)) {
            batch.atomic(remoteAddress, rkey, compare, swap);
            return this;
        }
        header(wrId, flags);
        try {
            V_U32_U64_U64_U64.invokeExact(cmpSwp, qpx, rkey, remoteAddress, compare, swap);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    public ExtendedPost localInvalidate(long wrId, int flags, int rkey) {
        if (add(wrId, WrOpcode.LOCAL_INV, flags)) {
            batch.invalidate(rkey);
            return this;
        }
        header(wrId, flags);
        u32(localInv, rkey);
        return this;
    }

    /**
     * Binds a memory window to {@code length} bytes at {@code address} of {@code mr} with
     * {@code access} ({@link Access} flags) under the new {@code rkey} (type 2 windows: pick it
     * with {@link MemoryWindow#nextRkey()}).
     */
    public ExtendedPost bindMemoryWindow(long wrId, int flags, MemoryWindow mw, int rkey, MemoryRegion mr, long address,
                                         long length, int access) {
        if (add(wrId, WrOpcode.BIND_MW, flags)) {
            batch.bindMemoryWindow(mw, rkey, mr, address, length, access);
            return this;
        }
        header(wrId, flags);
        mw.prepareBind(rkey);
        ibv_mw_bind_info.mr(bindInfo, mr.segment());
        ibv_mw_bind_info.addr(bindInfo, address);
        ibv_mw_bind_info.length(bindInfo, length);
        ibv_mw_bind_info.mw_access_flags(bindInfo, access);
        try {
            V_PTR_U32_PTR.invokeExact(bindMw, qpx, mw.segment(), rkey, bindInfo);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    /** One gather entry for the request just built: {@code length} bytes at {@code address} of a region with {@code lkey}. */
    public ExtendedPost sge(long address, int length, int lkey) {
        if (batch != null) {
            requireRequest();
            batch.sge(address, length, lkey);
            return this;
        }
        try {
            // ibv_wr_set_sge(qp, lkey, addr, length)
            V_U32_U64_U32.invokeExact(setSge, qpx, lkey, address, length);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    /** One gather entry: {@code length} bytes at {@code offset} of a memory region. */
    public ExtendedPost sge(MemoryRegion mr, long offset, int length) {
        return sge(mr.address(offset), length, mr.lkey());
    }

    /** Copies {@code length} bytes at {@code address} into the request (inline data). */
    public ExtendedPost inline(long address, long length) {
        if (batch != null) {
            requireRequest();
            if (length < 0 || length > qp.capabilities().maxInlineData() || inlineUsed + length > inlineCopies.byteSize()) {
                if (batchError == 0) batchError = Errno.EINVAL; // more than the QP's max_inline_data: as the provider, at complete
                return this;
            }
            MemorySegment.copy(BoundsChecks.EVERYTHING, address, inlineCopies, inlineUsed, length); // no segment per call
            int last = batch.size() - 1;
            batch.sendFlags(last, batch.sendFlags(last) | SendFlags.INLINE);
            batch.sge(inlineCopies.address() + inlineUsed, (int) length, 0);
            inlineUsed += length;
            return this;
        }
        try {
            V_U64_U64.invokeExact(setInline, qpx, address, length);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    /** Destination of a UD request. */
    public ExtendedPost ud(AddressHandle ah, int remoteQpn, int remoteQkey) {
        if (batch != null) {
            requireRequest();
            batch.ud(ah, remoteQpn, remoteQkey);
            return this;
        }
        try {
            V_PTR_U32_U32.invokeExact(setUdAddr, qpx, ah.segment(), remoteQpn, remoteQkey);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    /** Destination SRQ of an XRC request. */
    public ExtendedPost xrcRemoteSrq(int srqNumber) {
        if (batch != null) {
            requireRequest();
            batch.xrcRemoteSrq(srqNumber);
            return this;
        }
        u32(setXrcSrqn, srqNumber);
        return this;
    }

    /**
     * On a soft device, starts request {@code opcode} in the batch and returns true; on
     * libibverbs returns false (the caller calls the provider's {@code ibv_wr_*}).
     */
    private boolean add(long wrId, WrOpcode opcode, int flags) {
        if (batch == null) return false;
        qp.checkUsable();
        if (batch.size() == batch.capacity()) {
            throw new IllegalStateException("a batch holds at most the send queue's " + batch.capacity()
                    + " requests: complete() this one first");
        }
        batch.add(wrId, opcode, flags);
        return true;
    }

    private void requireRequest() {
        if (batch.size() == 0) {
            throw new IllegalStateException("no request to add to: start one (send, rdmaWrite, ...) after start()");
        }
    }

    private void header(long wrId, int flags) {
        qp.checkUsable();
        qpx.set(ValueLayout.JAVA_LONG, ibv_qp_ex.wr_id$offset(), wrId);
        qpx.set(ValueLayout.JAVA_INT, ibv_qp_ex.wr_flags$offset(), flags);
    }

    private void call(MethodHandle h, MemorySegment fn) {
        try {
            h.invokeExact(fn, qpx);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private void u32(MemorySegment fn, int v) {
        try {
            V_U32.invokeExact(fn, qpx, v);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private void u32u64(MemorySegment fn, int a, long b) {
        try {
            V_U32_U64.invokeExact(fn, qpx, a, b);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }
}
