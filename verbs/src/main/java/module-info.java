/**
 * RDMA for Java: {@code io.jverbs.verbs} wraps libibverbs ({@link io.jverbs.verbs.Context} to
 * {@link io.jverbs.verbs.QueuePair}), {@code io.jverbs.rdmacm} wraps librdmacm's connection
 * management, and {@code io.jverbs.verbs.ffi} holds the generated bindings: the documented escape
 * hatch for calls jverbs does not wrap. {@code io.jverbs.verbs.internal} is plumbing between the
 * packages and is not exported.
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
}
