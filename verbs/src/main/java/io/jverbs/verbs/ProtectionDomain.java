package io.jverbs.verbs;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_pd;

import java.lang.foreign.MemorySegment;

/**
 * A protection domain ({@code struct ibv_pd}): memory regions, queue pairs, SRQs and address
 * handles created from it may only be used together.
 */
public final class ProtectionDomain extends NativeResource {
    private final Context context;
    private final MemorySegment pd;

    ProtectionDomain(Context context) {
        super(context);
        this.context = context;
        MemorySegment p = IbVerbs.ibv_alloc_pd(context.segment());
        if (Native.isNull(p)) {
            throw VerbsException.fromErrno("ibv_alloc_pd");
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

    /** Registers a whole buffer ({@link Access} flags). */
    public MemoryRegion register(NativeBuffer buffer, int access) {
        return register(buffer.segment(), access);
    }

    /** Registers the memory of a native segment; its iova is its address. */
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

    /** Creates a queue pair; see {@link QueuePair.Config}. */
    public QueuePair createQueuePair(QueuePair.Config config) {
        checkOpen();
        return new QueuePair(this, config);
    }

    /** Creates a shared receive queue. */
    public SharedReceiveQueue createSharedReceiveQueue(int maxWr, int maxSge) {
        checkOpen();
        return new SharedReceiveQueue(this, maxWr, maxSge, 0);
    }

    /** Creates an XRC SRQ in {@code xrcd}; its completions go to {@code cq}. */
    public SharedReceiveQueue createXrcSharedReceiveQueue(XrcDomain xrcd, CompletionQueue cq, int maxWr, int maxSge) {
        checkOpen();
        return new SharedReceiveQueue(this, xrcd, cq, maxWr, maxSge);
    }

    /** Allocates a memory window ({@code ibv_alloc_mw}). */
    public MemoryWindow allocateMemoryWindow(MemoryWindow.Type type) {
        checkOpen();
        return new MemoryWindow(this, type);
    }

    /** Creates an address handle for UD sends to {@code remote}'s port (GID, LID, SL from the options). */
    public AddressHandle createAddressHandle(Endpoint remote, ConnectOptions options) {
        checkOpen();
        return new AddressHandle(this, remote, options);
    }

    @Override
    protected void destroy() {
        VerbsException.check("ibv_dealloc_pd", IbVerbs.ibv_dealloc_pd(pd));
    }
}
