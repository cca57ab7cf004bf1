/**
 * RDMA for Java: {@code io.jverbs.verbs} wraps libibverbs ({@link io.jverbs.verbs.Context} to
 * {@link io.jverbs.verbs.QueuePair}), {@code io.jverbs.rdmacm} wraps librdmacm's connection
 * management, and the generated bindings, one package per native library, are the documented escape
 * hatch for calls jverbs does not wrap: {@code io.jverbs.verbs.ffi} (libibverbs),
 * {@code io.jverbs.rdmacm.ffi} (librdmacm) and {@code io.jverbs.verbs.mlx5.ffi} (libmlx5, under
 * {@code io.jverbs.verbs.mlx5}: DC queue pairs and mlx5 capabilities). {@code io.jverbs.verbs.oob} is the pure-Java TCP
 * exchange of endpoints that precedes RDMA traffic. {@code io.jverbs.verbs.internal} is plumbing
 * between the packages and is not exported.
 *
 * <p>The control path records JDK Flight Recorder events named {@code io.jverbs.DeviceOpen},
 * {@code io.jverbs.MemoryRegistration}, {@code io.jverbs.QpStateChange},
 * {@code io.jverbs.ErrorCompletion}, {@code io.jverbs.AsyncEvent} and {@code io.jverbs.CmEvent}
 * (category "jverbs / RDMA"); docs/verbs.md shows how to record them. Post and poll emit none.
 */
module io.jverbs.verbs {
    requires transitive io.jverbs.core;
    requires jdk.jfr;
    exports io.jverbs.verbs;
    exports io.jverbs.rdmacm;
    exports io.jverbs.verbs.ffi;
    exports io.jverbs.rdmacm.ffi;
    exports io.jverbs.verbs.mlx5;
    exports io.jverbs.verbs.mlx5.ffi;
    exports io.jverbs.verbs.oob;
    exports io.jverbs.verbs.spi;
    uses io.jverbs.verbs.spi.Provider;
}
