/**
 * The provider seam: a Java mirror of rdma-core's provider operations
 * ({@code struct verbs_context_ops}) for what jverbs wraps, so that the public verbs classes run
 * on libibverbs or on a device implemented in Java (jverbs' soft RoCEv2 device).
 *
 * <p>A {@link io.jverbs.verbs.spi.Provider} is found by {@link java.util.ServiceLoader}; its
 * devices appear in {@link io.jverbs.verbs.Device#list()} after the native ones and open with
 * {@link io.jverbs.verbs.Context#open(String)}. Each open context is a
 * {@link io.jverbs.verbs.spi.ContextOps}. Its operations take and return the native structs the
 * C ones do ({@code struct ibv_qp_attr}, {@code ibv_send_wr} chains by address, {@code ibv_wc}
 * arrays by address, ...), and the provider allocates the object structs ({@code ibv_pd},
 * {@code ibv_cq}, {@code ibv_qp}, {@code ibv_mr}, ...) in native memory with the fields
 * libibverbs users read. So the public classes keep their layouts, their {@code segment()}
 * escape hatches and their parsing code whichever provider is behind them.
 */
package io.jverbs.verbs.spi;
