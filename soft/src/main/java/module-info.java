/**
 * The soft RDMA device: RoCEv2 in pure Java, wire-compatible with the kernel's rdma_rxe.
 * {@code io.jverbs.soft.wire} is its wire layer: views of the InfiniBand base transport header
 * and extension headers over {@link java.lang.foreign.MemorySegment}s, the opcode table, the
 * invariant CRC, rxe's UDP source-port rules, and the parse and layout of whole RoCEv2 packets.
 * It calls no native code. {@code io.jverbs.soft.device} is the verbs provider behind
 * {@code Context.open("jsoft0")} (docs/soft-device.md).
 */
module io.jverbs.soft {
    requires transitive io.jverbs.raweth;
    requires transitive io.jverbs.verbs;
    exports io.jverbs.soft.wire;
    exports io.jverbs.soft.device;
    provides io.jverbs.verbs.spi.Provider with io.jverbs.soft.device.SoftProvider;
}
