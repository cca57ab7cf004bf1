/**
 * Pieces every jverbs module shares: native library loading with actionable errors, errno capture,
 * {@link io.jverbs.core.NativeException}, the {@link io.jverbs.core.NativeResource} lifetime rules
 * and {@link io.jverbs.core.NativeBuffer}, the off-heap memory that verbs registers and DPDK maps.
 */
module io.jverbs.core {
    exports io.jverbs.core;
    exports io.jverbs.core.ffi;
}
