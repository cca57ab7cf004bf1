/**
 * Pieces every jverbs module shares: native library loading with actionable errors, errno capture,
 * the exception root {@link io.jverbs.core.JverbsException}, the {@link io.jverbs.core.NativeResource}
 * lifetime rules, {@link io.jverbs.core.NativeBuffer} (the off-heap memory that verbs registers and
 * DPDK maps) and {@link io.jverbs.core.Registration}, the base of every registration of it.
 * {@code io.jverbs.core.ffi} is linker plumbing for the binding modules only.
 */
module io.jverbs.core {
    exports io.jverbs.core;
    exports io.jverbs.core.ffi to io.jverbs.verbs, io.jverbs.dpdk, io.jverbs.raweth;
}
