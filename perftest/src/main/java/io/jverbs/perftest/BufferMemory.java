package io.jverbs.perftest;

/** Where a test's buffers live: perftest's {@code --use_hugepages} and device-memory options. */
public enum BufferMemory {
    /** Normal pages (perftest's default memalign). */
    HOST,
    /** Huge pages ({@code --use_hugepages}): the run fails when none are free, as perftest's. */
    HUGEPAGES,
    /**
     * On-device memory of the test device ({@code --use_ib_dm_dmabuf DEV}): perftest exports it as
     * a dma-buf and registers that; jperf registers it with {@code ibv_reg_dm_mr}. mlx5 only.
     */
    DEVICE
}
