/**
 * RDMA verbs for Java: {@link io.jverbs.verbs.Device} to {@link io.jverbs.verbs.QueuePair}, and
 * rdma_cm connection management. {@code io.jverbs.verbs.ffi} holds the generated bindings.
 */
module io.jverbs.verbs {
    requires transitive io.jverbs.core;
    exports io.jverbs.verbs;
    exports io.jverbs.verbs.ffi;
}
