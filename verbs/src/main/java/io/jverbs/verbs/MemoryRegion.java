package io.jverbs.verbs;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.Registration;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_mr;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.JfrEvents;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.MemorySegment;

/**
 * Registered memory ({@code struct ibv_mr}): pinned, translated by the device, and named on the
 * wire by its keys. The local key goes in scatter/gather entries, the remote key to the peer
 * that reads, writes or runs atomics on it.
 *
 * <p>A region is a child of its protection domain and of the {@link NativeBuffer} it covers
 * ({@link Registration}): closing either deregisters it first, so the device never writes into
 * memory that was unmapped.
 */
public final class MemoryRegion extends Registration {
    private final ProtectionDomain pd;
    private final MemorySegment mr;
    private final MemorySegment memory;
    private final long address;
    private final long length;
    private final long iova;
    private final int access;
    private final int lkey;
    private final int rkey;

    MemoryRegion(ProtectionDomain pd, long address, long length, long iova, int access, MemorySegment memory) {
        super(pd, address, length);
        this.pd = pd;
        JfrEvents.MemoryRegistration jfr = JfrEvents.MemoryRegistration.start(pd.context().device().name(), address, length, access, false);
        MemorySegment m;
        if (pd.provider != null) {
            if ((access & Access.ON_DEMAND) != 0) {
                // As a libibverbs provider refuses it: in reg_mr, with EOPNOTSUPP.
                throw new NotSupportedException("on-demand paging (Access.ON_DEMAND)", pd.context().device().name(),
                        "DeviceAttributes.odpGeneralCaps() is 0 (the soft device registers pinned ranges only): register without Access.ON_DEMAND",
                        VerbsCall.REG_MR, io.jverbs.core.Errno.EOPNOTSUPP);
            }
            try {
                m = pd.provider.regMr(pd.segment(), address, length, iova, access);
            } catch (ProviderException e) {
                throw pd.context().providerError(VerbsCall.REG_MR, e, "memory registration with these access flags");
            }
        } else {
            m = IbVerbs.ibv_reg_mr_iova2(pd.segment(), MemorySegment.ofAddress(address), length, iova, access);
        }
        if (Native.isNull(m)) {
            int errno = Native.lastErrno();
            if ((access & Access.ON_DEMAND) != 0
                    && (errno == io.jverbs.core.Errno.EINVAL || errno == io.jverbs.core.Errno.EOPNOTSUPP)) {
                throw new NotSupportedException("on-demand paging (Access.ON_DEMAND)", pd.context().device().name(),
                        "DeviceAttributes.odpGeneralCaps() is 0: register pinned memory instead", VerbsCall.REG_MR, errno);
            }
            throw Checks.error(VerbsCall.REG_MR, errno, pd.context().device().name(), "memory registration with these access flags");
        }
        this.mr = m.reinterpret(ibv_mr.sizeof());
        this.memory = memory;
        this.address = address;
        this.length = length;
        this.iova = iova;
        this.access = access;
        this.lkey = ibv_mr.lkey(mr);
        this.rkey = ibv_mr.rkey(mr);
        attach();
        if (jfr != null) jfr.commit();
    }

    /**
     * Implicit on-demand paging: the whole address space of the process, {@code ibv_reg_mr(pd,
     * NULL, SIZE_MAX, access | IBV_ACCESS_ON_DEMAND)}; addresses are the process's own. A child of
     * the PD only: no buffer holds "all memory".
     */
    MemoryRegion(ProtectionDomain pd, int access) {
        super(pd, (io.jverbs.core.NativeResource) null);
        this.pd = pd;
        String device = pd.context().device().name();
        JfrEvents.MemoryRegistration jfr = JfrEvents.MemoryRegistration.start(device, 0, -1, access, false);
        MemorySegment m = IbVerbs.ibv_reg_mr_iova2(pd.segment(), MemorySegment.NULL, -1L, 0, access);
        if (Native.isNull(m)) {
            int errno = Native.lastErrno();
            if (errno == io.jverbs.core.Errno.EINVAL || NotSupportedException.isNotSupported(errno)) {
                throw new NotSupportedException("implicit on-demand paging", device,
                        "DeviceAttributes.odpGeneralCaps() lacks ODP_SUPPORT_IMPLICIT: register ranges with Access.ON_DEMAND",
                        VerbsCall.REG_MR, errno);
            }
            throw Checks.error(VerbsCall.REG_MR, errno, device, "implicit on-demand paging");
        }
        this.mr = m.reinterpret(ibv_mr.sizeof());
        this.memory = null;
        this.address = 0;
        this.length = -1; // SIZE_MAX
        this.iova = 0;
        this.access = access;
        this.lkey = ibv_mr.lkey(mr);
        this.rkey = ibv_mr.rkey(mr);
        attach();
        if (jfr != null) jfr.commit();
    }

    /**
     * {@code length} bytes of device memory from {@code offset}, registered zero-based
     * ({@code ibv_reg_dm_mr}): SGEs and peers address it from 0. A child of the PD and of the
     * device memory.
     */
    MemoryRegion(ProtectionDomain pd, DeviceMemory dm, long offset, long length, int access) {
        super(pd, dm);
        this.pd = pd;
        String device = pd.context().device().name();
        MemorySegment fn = pd.context().extendedOp(verbs_context.reg_dm_mr$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("device memory registration (ibv_reg_dm_mr)", device, "the provider has no reg_dm_mr",
                    VerbsCall.REG_DM_MR, 0);
        }
        JfrEvents.MemoryRegistration jfr = JfrEvents.MemoryRegistration.start(device, 0, length, access, true);
        MemorySegment m;
        try {
            m = (MemorySegment) Ops.REG_DM_MR.invokeExact(fn, Native.errnoState(), pd.segment(), dm.segment(), offset, length, access);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(m)) {
            throw Checks.error(VerbsCall.REG_DM_MR, Native.lastErrno(), device, "device memory registration");
        }
        this.mr = m.reinterpret(ibv_mr.sizeof());
        this.memory = null;
        this.address = 0;
        this.length = length;
        this.iova = 0;
        this.access = access;
        this.lkey = ibv_mr.lkey(mr);
        this.rkey = ibv_mr.rkey(mr);
        attach();
        if (jfr != null) jfr.commit();
    }

    public ProtectionDomain protectionDomain() {
        return pd;
    }

    /** Local key: goes into every SGE that points into this region. */
    public int lkey() {
        checkOpen();
        return lkey;
    }

    /** Remote key: what a peer needs to access this region. */
    public int rkey() {
        checkOpen();
        return rkey;
    }

    /** Start of the registered range in this process; 0 for device memory, which is addressed from 0. */
    public long address() {
        checkOpen();
        return address;
    }

    /** Address of byte {@code offset} of the region, bounds-checked. */
    public long address(long offset) {
        checkOpen();
        if (offset < 0 || Long.compareUnsigned(offset, length) >= 0) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside region of " + length + " bytes");
        }
        return address + offset;
    }

    /** Bytes registered; -1 (SIZE_MAX) for an implicit on-demand-paging region. */
    public long length() {
        return length;
    }

    /** {@code enum ibv_advise_mr_advice}: what {@link #advise} asks the device to do ahead of access. */
    public enum Advice {
        /** Fault the pages in for reading. */
        PREFETCH,
        /** Fault them in writable. */
        PREFETCH_WRITE,
        /** Map only pages already present, without faulting any in. */
        PREFETCH_NO_FAULT
    }

    /**
     * Advises the device about {@code length} bytes at {@code offset} of this on-demand-paging
     * region ({@code ibv_advise_mr}), e.g. to fault pages in before the first RDMA touches them.
     * With {@code flush} the call returns when the advice has been carried out; without, it may
     * run in the background. For an implicit region, {@code offset} is the address.
     *
     * @throws IllegalArgumentException if the region was not registered with {@link Access#ON_DEMAND}
     * @throws NotSupportedException if the provider has no advise_mr
     */
    public void advise(Advice advice, long offset, int length, boolean flush) {
        checkOpen();
        if ((access & Access.ON_DEMAND) == 0) {
            throw new IllegalArgumentException("ibv_advise_mr applies to on-demand-paging regions (Access.ON_DEMAND) only");
        }
        if (pd.provider != null) {
            throw pd.context().notOnSoftDevice("ibv_advise_mr", "it has no on-demand paging");
        }
        long start = address(offset);
        if (length <= 0 || (this.length != -1 && length > this.length - offset)) {
            throw new IndexOutOfBoundsException(length + " bytes at offset " + offset + " outside region of " + this.length + " bytes");
        }
        String device = pd.context().device().name();
        MemorySegment fn = pd.context().extendedOp(verbs_context.advise_mr$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("ibv_advise_mr", device, "the provider has no advise_mr", null, 0);
        }
        int rc;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment sge = arena.allocate(io.jverbs.verbs.ffi.ibv_sge.layout());
            io.jverbs.verbs.ffi.ibv_sge.addr(sge, start);
            io.jverbs.verbs.ffi.ibv_sge.length(sge, length);
            io.jverbs.verbs.ffi.ibv_sge.lkey(sge, lkey);
            rc = (int) Ops.ADVISE_MR.invokeExact(fn, pd.segment(), advice.ordinal(), flush ? ADVISE_FLUSH : 0, sge, 1);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (rc != 0) {
            int errno = Math.abs(rc);
            if (NotSupportedException.isNotSupported(errno)) {
                throw new NotSupportedException("ibv_advise_mr " + advice, device, null, VerbsCall.ADVISE_MR, errno);
            }
            throw Checks.error(VerbsCall.ADVISE_MR, errno, device, "ibv_advise_mr");
        }
    }

    /** {@code IBV_ADVISE_MR_FLAG_FLUSH}. */
    private static final int ADVISE_FLUSH = 1;

    /** The address peers use for this region (equal to {@link #address()} unless registered with an iova). */
    public long iova() {
        return iova;
    }

    public int access() {
        return access;
    }

    /** The registered memory, when it was registered from a segment or buffer; null otherwise. */
    public MemorySegment memory() {
        checkOpen();
        return memory;
    }

    /** The {@code struct ibv_mr *}. */
    public MemorySegment segment() {
        checkOpen();
        return mr;
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DEREG_MR, pd.provider != null ? pd.provider.deregMr(mr) : IbVerbs.ibv_dereg_mr(mr));
    }

    @Override
    public String toString() {
        return "MemoryRegion[addr=0x" + Long.toHexString(address) + ", len=" + length + ", lkey=0x" + Integer.toHexString(lkey)
                + ", rkey=0x" + Integer.toHexString(rkey) + (isClosed() ? ", closed" : "") + "]";
    }
}
