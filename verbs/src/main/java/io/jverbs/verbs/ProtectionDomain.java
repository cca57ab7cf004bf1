package io.jverbs.verbs;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_ah_attr;
import io.jverbs.verbs.ffi.ibv_pd;
import io.jverbs.verbs.ffi.ibv_wc;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.QpFactory;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A protection domain ({@code struct ibv_pd}): memory regions, queue pairs, SRQs and address
 * handles created from it may only be used together.
 */
public final class ProtectionDomain extends NativeResource {
    /** The Global Routing Header a UD receive starts with (also on RoCE, where it holds the IP header). */
    public static final int GRH_BYTES = 40;
    private final Context context;
    private final MemorySegment pd;
    /** The context's provider, null for libibverbs. */
    final ContextOps provider;

    ProtectionDomain(Context context) {
        super(context);
        this.context = context;
        this.provider = context.provider;
        MemorySegment p;
        if (provider != null) {
            try {
                p = provider.allocPd();
            } catch (ProviderException e) {
                throw context.providerError(VerbsCall.ALLOC_PD, e, null);
            }
        } else {
            p = IbVerbs.ibv_alloc_pd(context.segment());
            if (Native.isNull(p)) {
                throw Checks.fromErrno(VerbsCall.ALLOC_PD, context.device().name());
            }
        }
        this.pd = p.reinterpret(ibv_pd.sizeof());
        attach();
    }

    public Context context() {
        return context;
    }

    /** The {@code struct ibv_pd *}. */
    public MemorySegment segment() {
        checkOpen();
        return pd;
    }

    /**
     * Registers a whole buffer ({@link Access} flags). The region is closed (deregistered) when
     * the buffer is, before the memory is unmapped.
     */
    public MemoryRegion register(NativeBuffer buffer, int access) {
        return register(buffer.segment(), access);
    }

    /** Registers {@code length} bytes of {@code buffer} from {@code offset}; a child of the buffer too. */
    public MemoryRegion register(NativeBuffer buffer, long offset, long length, int access) {
        return register(buffer.slice(offset, length), access);
    }

    /**
     * Registers the memory of a native segment; its iova is its address. When the segment lies in
     * a {@link NativeBuffer}, the region is a child of that buffer; otherwise the caller keeps the
     * memory mapped until the region is closed.
     */
    public MemoryRegion register(MemorySegment memory, int access) {
        if (!memory.isNative()) {
            throw new IllegalArgumentException("only native (off-heap) memory can be registered: the GC moves heap arrays");
        }
        return register(memory.address(), memory.byteSize(), memory.address(), access, memory);
    }

    /**
     * Registers {@code length} bytes at {@code address}, addressed by peers as {@code iova}
     * ({@code ibv_reg_mr_iova2}). With {@link Access#ON_DEMAND}, the range may be unmapped.
     */
    public MemoryRegion register(long address, long length, long iova, int access) {
        return register(address, length, iova, access, null);
    }

    private MemoryRegion register(long address, long length, long iova, int access, MemorySegment memory) {
        checkOpen();
        if (length <= 0) {
            throw new IllegalArgumentException("memory region length must be positive, got " + length);
        }
        return new MemoryRegion(this, address, length, iova, access, memory);
    }

    /**
     * Registers the whole address space with on-demand paging ({@code ibv_reg_mr(pd, NULL,
     * SIZE_MAX, access | IBV_ACCESS_ON_DEMAND)}, implicit ODP): one key for any memory the
     * process maps now or later; pages fault in on first device access. Checked against
     * {@link DeviceAttributes#ODP_SUPPORT_IMPLICIT} first.
     *
     * @throws NotSupportedException on a device without implicit ODP (Soft-RoCE)
     */
    public MemoryRegion registerImplicitOnDemand(int access) {
        checkOpen();
        if (provider != null) {
            throw context.notOnSoftDevice("implicit on-demand paging", "it registers pinned ranges only");
        }
        DeviceAttributes attr = context.queryDevice();
        if ((attr.odpGeneralCaps() & DeviceAttributes.ODP_SUPPORT_IMPLICIT) == 0) {
            throw new NotSupportedException("implicit on-demand paging", context.device().name(),
                    "DeviceAttributes.odpGeneralCaps() is 0x" + Long.toHexString(attr.odpGeneralCaps())
                            + ", without ODP_SUPPORT_IMPLICIT: register ranges with Access.ON_DEMAND where ODP_SUPPORT is set",
                    null, 0);
        }
        return new MemoryRegion(this, access | Access.ON_DEMAND);
    }

    /** Creates a queue pair; see {@link QueuePair.Config}. */
    public QueuePair createQueuePair(QueuePair.Config config) {
        return createQueuePair(config, null);
    }

    QueuePair createQueuePair(QueuePair.Config config, QpFactory factory) {
        checkOpen();
        return new QueuePair(this, config, factory);
    }

    /** Creates a shared receive queue, or an XRC SRQ; see {@link SharedReceiveQueue.Config}. */
    public SharedReceiveQueue createSharedReceiveQueue(SharedReceiveQueue.Config config) {
        checkOpen();
        return SharedReceiveQueue.create(this, config);
    }

    /** Allocates a memory window ({@code ibv_alloc_mw}). */
    public MemoryWindow allocateMemoryWindow(MemoryWindow.Type type) {
        checkOpen();
        return new MemoryWindow(this, type);
    }

    /** Creates an address handle for UD sends to {@code remote}'s port (GID, LID, SL from the options). */
    public AddressHandle createAddressHandle(Endpoint remote, PathSettings options) {
        checkOpen();
        return new AddressHandle(this, remote, options);
    }

    /**
     * Creates an address handle back to the sender of UD receive {@code index} of {@code wcs}
     * ({@code ibv_create_ah_from_wc}): {@code grh} is the first 40 bytes of that receive's
     * buffer, which the device filled with the packet's GRH; {@code port} is the port it arrived on.
     */
    public AddressHandle createAddressHandle(int port, WorkCompletions wcs, int index, MemorySegment grh) {
        checkOpen();
        Objects.checkIndex(index, wcs.capacity());
        if (grh.byteSize() < GRH_BYTES) {
            throw new IllegalArgumentException("the GRH is " + GRH_BYTES + " bytes, got a segment of " + grh.byteSize());
        }
        if (provider != null) {
            // ibv_init_ah_from_wc reads the GID table through libibverbs, which has no soft device.
            throw context.notOnSoftDevice("address handles from a completion (ibv_init_ah_from_wc)",
                    "build the AH from the sender's Endpoint (createAddressHandle(Endpoint, PathSettings))");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_ah_attr.layout());
            MemorySegment wc = wcs.segment().asSlice(index * ibv_wc.sizeof(), ibv_wc.sizeof());
            if (IbVerbs.ibv_init_ah_from_wc(context().segment(), (byte) port, wc, grh, attr) != 0) {
                throw Checks.fromErrno(VerbsCall.INIT_AH_FROM_WC, context().device().name());
            }
            return new AddressHandle(this, attr);
        }
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DEALLOC_PD, provider != null ? provider.deallocPd(pd) : IbVerbs.ibv_dealloc_pd(pd), context.device().name());
    }
}
