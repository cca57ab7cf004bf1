/**
 * DPDK for Java: {@code io.jverbs.dpdk} wraps the EAL ({@link io.jverbs.dpdk.Eal}), mbuf pools
 * ({@link io.jverbs.dpdk.MbufPool}, {@link io.jverbs.dpdk.Mbuf}, {@link io.jverbs.dpdk.MbufArray})
 * and ethdev ports ({@link io.jverbs.dpdk.EthPort}) with the rx/tx burst fast path; the generated
 * bindings {@code io.jverbs.dpdk.ffi} (one class per {@code librte_*.so.23}) are the documented
 * escape hatch for calls jverbs does not wrap.
 */
module io.jverbs.dpdk {
    requires transitive io.jverbs.core;
    exports io.jverbs.dpdk;
    exports io.jverbs.dpdk.ffi;
}
