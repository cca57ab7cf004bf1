package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_alloc_dm_attr;
import io.jverbs.verbs.ffi.ibv_dm;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.DmAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Memory on the device itself ({@code struct ibv_dm}, {@code ibv_alloc_dm(3)}): a few hundred
 * KiB on ConnectX NICs that RDMA operations reach without crossing PCIe, e.g. for counters that
 * remote atomics hit. It is not mapped into the process: copy with {@link #write}/{@link #read}
 * ({@code ibv_memcpy_to_dm}/{@code ibv_memcpy_from_dm}), and {@link #register} it to use it in
 * work requests, addressed from 0.
 *
 * <p>Created by {@link Context#allocateDeviceMemory(long)}, or by
 * {@link io.jverbs.verbs.mlx5.Mlx5#allocateDeviceMemory} with an mlx5 memory type (whose SW ICM
 * types are not {@link #hostAccessible()}); a child of the context. Soft-RoCE
 * (rxe) has none: allocation throws {@link NotSupportedException}. {@link DeviceAttributes#maxDeviceMemorySize()}
 * says how much a device has (0: none).
 */
public final class DeviceMemory extends NativeResource {
    /** Offsets and lengths of {@link #write}/{@link #read} must be multiples of this. */
    public static final int COPY_ALIGNMENT = 4;

    private final Context context;
    private final MemorySegment dm;
    private final long length;
    private final MemorySegment memcpyTo;
    private final MemorySegment memcpyFrom;
    /** What this memory is, for errors: "device memory", or the mlx5 type's feature. */
    private final String feature;
    private final int registerAccess;

    DeviceMemory(Context context, long length) {
        this(context, length, null);
    }

    /** Through {@code ibv_alloc_dm} (the alloc_dm slot) when {@code allocator} is null, else through it. */
    DeviceMemory(Context context, long length, DmAllocator allocator) {
        super(context);
        if (length <= 0) {
            throw new IllegalArgumentException("device memory length must be positive, got " + length);
        }
        this.context = context;
        this.length = length;
        this.feature = allocator == null ? "device memory" : allocator.feature();
        this.registerAccess = allocator == null ? -1 : allocator.registerAccess();
        NativeCall call = allocator == null ? VerbsCall.ALLOC_DM : allocator.call();
        String device = context.device().name();
        MemorySegment fn = allocator == null ? context.extendedOp(verbs_context.alloc_dm$offset()) : MemorySegment.NULL;
        if (allocator == null && Native.isNull(fn)) {
            throw notSupported(device, null, 0);
        }
        MemorySegment d;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_alloc_dm_attr.layout());
            ibv_alloc_dm_attr.length(attr, length);
            d = allocator != null ? allocator.allocate(context.segment(), attr)
                    : (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(fn, Native.errnoState(), context.segment(), attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(d)) {
            int errno = Native.lastErrno();
            // libibverbs fills a provider's missing slots with stubs that fail with EOPNOTSUPP; ENOSYS from older kernels.
            if (NotSupportedException.isNotSupported(errno) || errno == Errno.ENOSYS) {
                throw allocator == null ? notSupported(device, VerbsCall.ALLOC_DM, errno)
                        : new NotSupportedException(feature, device, "the device or this libmlx5 does not offer it", call, errno);
            }
            if (errno == Errno.EINVAL) { // mlx5's answer to more than max_dm_size (MEMIC) or to any refused SW ICM
                throw new VerbsException(call, errno, length + " bytes of " + feature + " on " + device + ": "
                        + (allocator == null ? MEMIC_EINVAL : allocator.invalidHint()));
            }
            throw Checks.error(call, errno, device, feature);
        }
        this.dm = d.reinterpret(ibv_dm.sizeof());
        // NULL for memory the host cannot reach (mlx5's SW ICM): read and write refuse it.
        this.memcpyTo = ibv_dm.memcpy_to_dm(dm);
        this.memcpyFrom = ibv_dm.memcpy_from_dm(dm);
        attach();
    }

    /** The fix for EINVAL from ibv_alloc_dm (or mlx5dv_alloc_dm with MEMIC). */
    private static final String MEMIC_EINVAL =
            "at most DeviceAttributes.maxDeviceMemorySize() bytes, and less when other allocations hold some";

    private static NotSupportedException notSupported(String device, VerbsCall call, int errno) {
        return new NotSupportedException("device memory", device,
                "on-device memory needs a device with DeviceAttributes.maxDeviceMemorySize() > 0, e.g. mlx5 (ConnectX-5 and later)",
                call, errno);
    }

    /**
     * True when the host can copy to and from it ({@link #write}, {@link #read}): memory from
     * {@link Context#allocateDeviceMemory} and mlx5's MEMIC; not mlx5's SW ICM types, which only the
     * device's steering (and RDMA through a registration) reaches.
     */
    public boolean hostAccessible() {
        return !Native.isNull(memcpyTo) && !Native.isNull(memcpyFrom);
    }

    public Context context() {
        return context;
    }

    /** Bytes allocated. */
    public long length() {
        return length;
    }

    /** The {@code struct ibv_dm *}. */
    public MemorySegment segment() {
        checkOpen();
        return dm;
    }

    /**
     * Copies all of {@code source} (native memory) into device memory at {@code offset}
     * ({@code ibv_memcpy_to_dm}); offset and length multiples of {@link #COPY_ALIGNMENT}.
     */
    public void write(long offset, MemorySegment source) {
        long n = checkCopy(offset, source);
        int rc;
        try {
            rc = (int) Ops.MEMCPY_TO_DM.invokeExact(memcpyTo, dm, offset, source, n);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.MEMCPY_TO_DM, Math.abs(rc), context.device().name());
    }

    /**
     * Fills all of {@code target} (native memory) from device memory at {@code offset}
     * ({@code ibv_memcpy_from_dm}); offset and length multiples of {@link #COPY_ALIGNMENT}.
     */
    public void read(long offset, MemorySegment target) {
        long n = checkCopy(offset, target);
        int rc;
        try {
            rc = (int) Ops.MEMCPY_FROM_DM.invokeExact(memcpyFrom, target, dm, offset, n);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.MEMCPY_FROM_DM, Math.abs(rc), context.device().name());
    }

    /**
     * The providers return an errno, positive or negative, for a bad copy: it is checked here first,
     * bounds and mlx5's rule that offset and length be multiples of 4 (the device copies 32-bit words).
     */
    private long checkCopy(long offset, MemorySegment host) {
        checkOpen();
        if (!hostAccessible()) { // the provider gave no memcpy functions: calling NULL would crash the JVM
            throw new UnsupportedOperationException(feature + " on " + context.device().name()
                    + " is not host-accessible (the provider has no memcpy for it): the device's steering reads it;"
                    + " write it with RDMA through register()");
        }
        if (!host.isNative()) {
            throw new IllegalArgumentException("device memory copies need native (off-heap) memory");
        }
        long n = host.byteSize();
        if (offset < 0 || n > length - offset) {
            throw new IndexOutOfBoundsException(n + " bytes at offset " + offset + " outside device memory of " + length + " bytes");
        }
        if (((offset | n) & (COPY_ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException("device memory copies need an offset and a length that are multiples of "
                    + COPY_ALIGNMENT + " (mlx5 copies 32-bit words): offset " + offset + ", length " + n);
        }
        return n;
    }

    /**
     * Registers {@code length} bytes from {@code offset} in {@code pd} ({@code ibv_reg_dm_mr}).
     * Device memory is always registered zero-based ({@link Access#ZERO_BASED} is added): SGEs and
     * peers address the region from 0, so {@link MemoryRegion#address(long)} is the offset.
     */
    public MemoryRegion register(ProtectionDomain pd, long offset, long length, int access) {
        checkOpen();
        if (pd.context() != context) {
            throw new IllegalArgumentException("the protection domain belongs to another device context");
        }
        if (offset < 0 || length <= 0 || length > this.length - offset) {
            throw new IndexOutOfBoundsException(length + " bytes at offset " + offset + " outside device memory of " + this.length + " bytes");
        }
        if (registerAccess != -1 && (access & ~registerAccess) != 0) {
            throw new IllegalArgumentException(feature + " registers only with LOCAL_WRITE, REMOTE_WRITE and REMOTE_READ"
                    + " (the mlx5 driver refuses other access flags with EINVAL), got access 0x" + Integer.toHexString(access));
        }
        return new MemoryRegion(pd, this, offset, length, access | Access.ZERO_BASED);
    }

    /** Registers all of it: {@code register(pd, 0, length(), access)}. */
    public MemoryRegion register(ProtectionDomain pd, int access) {
        return register(pd, 0, length, access);
    }

    @Override
    protected void destroy() {
        MemorySegment fn = context.extendedOp(verbs_context.free_dm$offset());
        if (Native.isNull(fn)) { // ibv_free_dm's own check; a provider that allocated has one
            throw new NotSupportedException("ibv_free_dm", context.device().name(), "the provider has no free_dm slot", null, 0);
        }
        try {
            Checks.check(VerbsCall.FREE_DM, (int) Ops.DESTROY.invokeExact(fn, dm), context.device().name());
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    @Override
    protected String describe() {
        return "DeviceMemory(" + context.device().name() + ", " + length + " bytes"
                + (feature.equals("device memory") ? "" : ", " + feature) + ")";
    }
}
