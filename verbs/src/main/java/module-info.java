/**
 * RDMA for Java: {@code io.jverbs.verbs} wraps libibverbs ({@link io.jverbs.verbs.Context} to
 * {@link io.jverbs.verbs.QueuePair}), {@code io.jverbs.rdmacm} wraps librdmacm's connection
 * management, and the generated bindings, one package per native library, are the documented escape
 * hatch for calls jverbs does not wrap: {@code io.jverbs.verbs.ffi} (libibverbs) and
 * {@code io.jverbs.rdmacm.ffi} (librdmacm). {@code io.jverbs.verbs.oob} is the pure-Java TCP
 * exchange of endpoints that precedes RDMA traffic. {@code io.jverbs.verbs.internal} is plumbing
 * between the packages and is not exported.
 */
module io.jverbs.verbs {
    requires transitive io.jverbs.core;
    exports io.jverbs.verbs;
    exports io.jverbs.rdmacm;
    exports io.jverbs.verbs.ffi;
    exports io.jverbs.rdmacm.ffi;
    exports io.jverbs.verbs.oob;
}
