package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_mw;
import io.jverbs.verbs.ffi.ibv_mw_bind;
import io.jverbs.verbs.ffi.ibv_mw_bind_info;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A memory window ({@code struct ibv_mw}): a remote key for a sub-range of a memory region that
 * can be granted and revoked cheaply with a bind work request, without re-registering memory.
 * Type 1 windows are bound with {@link #bind} ({@code ibv_bind_mw}); type 2 windows with a
 * {@link WrOpcode#BIND_MW} request ({@link ExtendedPost#bindMemoryWindow}) on a QP, and are
 * invalidated by the peer's SEND_WITH_INV or a LOCAL_INV. The region must have been registered
 * with {@link Access#MW_BIND}.
 */
public final class MemoryWindow extends NativeResource {
    public enum Type {
        TYPE_1(1), TYPE_2(2);

        final int code;

        Type(int code) {
            this.code = code;
        }
    }

    private final Type type;
    private final MemorySegment mw;
    private final MemorySegment deallocFn;
    private final MemorySegment bindFn;
    /** A soft device's operations, or null for libibverbs. */
    private final ContextOps provider;
    private final Context context;
    /**
     * The key the window carries: libibverbs updates {@code ibv_mw.rkey} for type-1 binds only;
     * for type 2 the consumer chooses the key in the BIND_MW request, so jverbs records it there.
     */
    private volatile int rkey;

    MemoryWindow(ProtectionDomain pd, Type type) {
        super(pd);
        this.type = type;
        Context ctx = pd.context();
        this.context = ctx;
        this.provider = ctx.provider;
        if (provider != null) {
            MemorySegment m;
            try {
                m = provider.allocMw(pd.segment(), type.code);
            } catch (ProviderException e) {
                throw ctx.providerError(VerbsCall.ALLOC_MW, e, type + " memory windows");
            }
            this.mw = m.reinterpret(ibv_mw.sizeof());
            this.deallocFn = this.bindFn = MemorySegment.NULL;
            this.rkey = mw.get(ValueLayout.JAVA_INT, ibv_mw.rkey$offset());
            attach();
            return;
        }
        if (Native.isNull(ctx.allocMw)) {
            throw new NotSupportedException("memory windows", ctx.device().name(), "the provider has no alloc_mw", null, 0);
        }
        MemorySegment m;
        try {
            m = (MemorySegment) Ops.ALLOC_MW.invokeExact(ctx.allocMw, Native.errnoState(), pd.segment(), type.code);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(m)) {
            int errno = Native.lastErrno();
            if (NotSupportedException.isNotSupported(errno) || errno == Errno.EINVAL) {
                throw new NotSupportedException(type + " memory windows", ctx.device().name(), "see DeviceAttributes.deviceCapFlags",
                        VerbsCall.ALLOC_MW, errno);
            }
            throw new VerbsException(VerbsCall.ALLOC_MW, errno);
        }
        this.mw = m.reinterpret(ibv_mw.sizeof());
        this.deallocFn = ctx.deallocMw;
        this.bindFn = ctx.bindMw;
        this.rkey = mw.get(ValueLayout.JAVA_INT, ibv_mw.rkey$offset());
        attach();
    }

    public Type type() {
        return type;
    }

    /**
     * The window's remote key: after a type-1 {@link #bind}, the key it returned; after a type-2
     * bind request was built ({@link SendRequests#bindMemoryWindow},
     * {@link ExtendedPost#bindMemoryWindow}), the key that request carries.
     */
    public int rkey() {
        checkOpen();
        return rkey;
    }

    /**
     * Called while a type-2 BIND_MW request is built: the provider names the window by
     * {@code ibv_mw.rkey}, and Soft-RoCE's kernel checks it against the window's current key, so
     * the native field must hold the key of the previous bind (which has completed: a type-2
     * window is invalidated before it is bound again). Then the new key becomes current.
     */
    void prepareBind(int newRkey) {
        checkOpen();
        mw.set(ValueLayout.JAVA_INT, ibv_mw.rkey$offset(), rkey);
        this.rkey = newRkey;
    }

    /**
     * The rkey for the next type-2 bind: same index, key byte + 1 ({@code ibv_inc_rkey}), so a
     * stale key held by a peer stops working.
     */
    public int nextRkey() {
        int rkey = rkey();
        return (rkey & 0xffffff00) | ((rkey + 1) & 0xff);
    }

    /** The {@code struct ibv_mw *}. */
    public MemorySegment segment() {
        checkOpen();
        return mw;
    }

    /**
     * Binds this type-1 window to {@code length} bytes at {@code address} of {@code mr} with
     * {@code access} through {@code qp}'s send queue ({@code ibv_bind_mw}); the bind completes on
     * the send CQ with {@code wrId} if {@link SendFlags#SIGNALED}. Returns the new rkey. A zero
     * length with a null region unbinds.
     */
    public int bind(QueuePair qp, long wrId, int sendFlags, MemoryRegion mr, long address, long length, int access) {
        checkOpen();
        if (type != Type.TYPE_1) {
            throw new IllegalStateException("ibv_bind_mw binds type 1 windows; bind a type 2 window with a BIND_MW work request");
        }
        if (provider != null ? qp.context() != context : qp.context().isSoftDevice()) {
            // bind_mw is the window's provider's: it must not get another provider's QP struct.
            throw new IllegalArgumentException("a memory window binds through a QP of its own device, not " + qp.context().device().name());
        }
        if (mr != null && mr.protectionDomain() != qp.protectionDomain()) {
            throw new IllegalArgumentException("the region and the QP belong to different protection domains");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(ibv_mw_bind.layout());
            ibv_mw_bind.wr_id(b, wrId);
            ibv_mw_bind.send_flags(b, sendFlags);
            MemorySegment info = ibv_mw_bind.bind_info(b);
            ibv_mw_bind_info.mr(info, mr == null ? MemorySegment.NULL : mr.segment());
            ibv_mw_bind_info.addr(info, address);
            ibv_mw_bind_info.length(info, length);
            ibv_mw_bind_info.mw_access_flags(info, access);
            int rc = provider != null ? provider.bindMw(qp.segment(), mw, b) : (int) Ops.BIND_MW.invokeExact(bindFn, qp.segment(), mw, b);
            Checks.check(VerbsCall.BIND_MW, rc);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        rkey = mw.get(ValueLayout.JAVA_INT, ibv_mw.rkey$offset());
        return rkey;
    }

    @Override
    protected void destroy() {
        if (provider != null) {
            Checks.check(VerbsCall.DEALLOC_MW, provider.deallocMw(mw));
            return;
        }
        int rc;
        try {
            rc = (int) Ops.DESTROY.invokeExact(deallocFn, mw);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.DEALLOC_MW, rc);
    }
}
