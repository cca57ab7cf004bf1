package io.jverbs.verbs.it;

import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fetch-and-add and compare-and-swap on RC. The target is a uint64 in the responder's native byte
 * order (little-endian on x86); the old value lands in the requester's 8-byte SGE, also native.
 */
@Tag("rdma")
class AtomicsIT {
    /** Native-order 64-bit access (ValueLayout.JAVA_LONG is native order; 8-aligned offsets only). */
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;
    private static final long REMOTE = 64, LOCAL = 128;

    private TestDevice.Pair p;
    private final SendRequests send = new SendRequests(2, 1);
    private final WorkCompletions wc = new WorkCompletions(2);

    @BeforeEach
    void connect() {
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the expected values below assume x86");
        p = TestDevice.pair(QpType.RC);
    }

    @AfterEach
    void close() {
        if (p != null) p.close();
    }

    private long atomic(long wrId, WrOpcode op, long compareAdd, long swap) {
        p.memA().set(U64, LOCAL, 0x5a5a5a5a5a5a5a5aL); // overwritten by the returned old value
        send.clear().add(wrId, op, SendFlags.SIGNALED).sge(p.mrA, LOCAL, 8)
                .atomic(p.mrB.address(REMOTE), p.mrB.rkey(), compareAdd, swap);
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 1);
        assertEquals(wrId, wc.wrId(0));
        assertEquals(op == WrOpcode.ATOMIC_FETCH_AND_ADD ? WcOpcode.FETCH_ADD : WcOpcode.COMP_SWAP, wc.opcode(0));
        return p.memA().get(U64, LOCAL);
    }

    @Test
    void fetchAndAddReturnsOldValueAndAdds() {
        long start = 0x0102030405060708L;
        p.memB().set(U64, REMOTE, start);
        assertEquals(start, atomic(1, WrOpcode.ATOMIC_FETCH_AND_ADD, 0x10, 0));
        assertEquals(start + 0x10, p.memB().get(U64, REMOTE));
        // Byte order on the wire is big-endian; in memory it must be native again.
        assertEquals(0x18, p.memB().get(ValueLayout.JAVA_BYTE, REMOTE) & 0xff, "least significant byte first (x86)");

        // Unsigned 64-bit wrap-around: adding -1 (2^64 - 1) decrements.
        assertEquals(start + 0x10, atomic(2, WrOpcode.ATOMIC_FETCH_AND_ADD, -1L, 0));
        assertEquals(start + 0x0f, p.memB().get(U64, REMOTE));

        p.memB().set(U64, REMOTE, -1L);
        assertEquals(-1L, atomic(3, WrOpcode.ATOMIC_FETCH_AND_ADD, 2, 0));
        assertEquals(1L, p.memB().get(U64, REMOTE), "carries out of bit 63 are dropped");
    }

    @Test
    void compareAndSwapSwapsOnlyWhenEqual() {
        long start = 0x1122334455667788L, next = 0x99aabbccddeeff00L;
        p.memB().set(U64, REMOTE, start);

        assertEquals(start, atomic(10, WrOpcode.ATOMIC_CMP_AND_SWP, start, next), "old value returned on success");
        assertEquals(next, p.memB().get(U64, REMOTE), "swapped");

        assertEquals(next, atomic(11, WrOpcode.ATOMIC_CMP_AND_SWP, start, 0xdeadL), "old value returned on mismatch");
        assertEquals(next, p.memB().get(U64, REMOTE), "not swapped: compare value differed");

        // Only the full 64 bits count: equal low halves are not enough.
        assertEquals(next, atomic(12, WrOpcode.ATOMIC_CMP_AND_SWP, next ^ (1L << 63), 7));
        assertEquals(next, p.memB().get(U64, REMOTE));
    }

    @Test
    void neighbouringWordsAreUntouched() {
        p.memB().set(U64, REMOTE - 8, 0x1111111111111111L);
        p.memB().set(U64, REMOTE, 5);
        p.memB().set(U64, REMOTE + 8, 0x2222222222222222L);
        assertEquals(5, atomic(20, WrOpcode.ATOMIC_FETCH_AND_ADD, 1, 0));
        assertEquals(6, p.memB().get(U64, REMOTE));
        assertEquals(0x1111111111111111L, p.memB().get(U64, REMOTE - 8));
        assertEquals(0x2222222222222222L, p.memB().get(U64, REMOTE + 8));
    }
}
