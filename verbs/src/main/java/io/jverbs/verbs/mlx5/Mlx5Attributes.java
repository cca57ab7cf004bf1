package io.jverbs.verbs.mlx5;

/**
 * What {@code mlx5dv_query_device} reports beyond {@code ibv_query_device_ex} ({@code struct
 * mlx5dv_context}). {@code flags} are {@code MLX5DV_CONTEXT_FLAGS_*} (CQE version, multi-packet
 * WQEs, ...); {@code dcOdpCaps} the operations DC QPs may run on on-demand-paged memory
 * ({@code IBV_ODP_SUPPORT_*} bits, as {@link io.jverbs.verbs.DeviceAttributes#odpRcCaps()});
 * {@code maxDciStreams} and {@code maxDciErroredStreams} are log2 values (0: no DCI streams);
 * {@code maxWrMemcpyLength} is the largest {@code mlx5dv_wr_memcpy} (0: none). A field the
 * device did not fill (its {@code comp_mask} bit clear) is 0.
 */
public record Mlx5Attributes(
        int version,
        long flags,
        int dcOdpCaps,
        int numLagPorts,
        int maxDynamicBfregs,
        int maxDciStreams,
        int maxDciErroredStreams,
        long maxWrMemcpyLength) {

    /** {@code MLX5DV_CONTEXT_FLAGS_CQE_V1}. */
    public static final long FLAG_CQE_V1 = 1;
    /** {@code MLX5DV_CONTEXT_FLAGS_MPW_ALLOWED}: multi-packet WQEs. */
    public static final long FLAG_MPW_ALLOWED = 1 << 2;
    /** {@code MLX5DV_CONTEXT_FLAGS_ENHANCED_MPW}. */
    public static final long FLAG_ENHANCED_MPW = 1 << 3;
}
