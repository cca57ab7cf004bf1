package io.jverbs.verbs.internal;

import io.jverbs.core.NativeCall;

import java.lang.foreign.MemorySegment;

/**
 * Allocates the native {@code struct ibv_dm} of a {@link io.jverbs.verbs.DeviceMemory} other than
 * through {@code ibv_alloc_dm}: mlx5's {@code mlx5dv_alloc_dm} with a memory type.
 */
public interface DmAllocator {
    /** The call that failed, for errors. */
    NativeCall call();

    /** What is allocated, for errors and {@code toString}: e.g. "mlx5 STEERING_SW_ICM device memory". */
    String feature();

    /** The access flags a registration of this memory may carry (the driver refuses others), or -1 for any. */
    int registerAccess();

    /** The fix for EINVAL from the allocation. */
    String invalidHint();

    /** Allocates from a filled {@code struct ibv_alloc_dm_attr}; NULL with errno set on failure. */
    MemorySegment allocate(MemorySegment context, MemorySegment allocDmAttr);
}
