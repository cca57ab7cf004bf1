/**
 * The soft RDMA device: RoCEv2 in pure Java, wire-compatible with the kernel's rdma_rxe.
 * {@code io.jverbs.soft.wire} is its wire layer: views of the InfiniBand base transport header
 * and extension headers over {@link java.lang.foreign.MemorySegment}s, the opcode table, the
 * invariant CRC, rxe's UDP source-port rules, and the parse and layout of whole RoCEv2 packets.
 * {@code io.jverbs.soft.transport} is its transport: the RC, UC and UD requester, completer and
 * responder state machines over an injected clock, a packet sink and a memory-key table. Neither
 * calls native code.
 */
module io.jverbs.soft {
    requires transitive io.jverbs.raweth;
    // The verbs enums and flag constants (WcStatus, WcOpcode, WrOpcode, QpState, Access, ...).
    requires transitive io.jverbs.verbs;
    exports io.jverbs.soft.wire;
    exports io.jverbs.soft.transport;
}
