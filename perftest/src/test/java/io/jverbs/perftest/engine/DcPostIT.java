package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.it.TestDevice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * jperf's DC posting ({@link DcPost}) inside the real bandwidth and latency loops, on the test
 * device: everything but {@code mlx5dv_wr_set_dc_addr}, which needs mlx5, in whose place a counter
 * stands. An RC pair with the extended post API (Soft-RoCE has it) carries each chain the loops
 * patch as one {@code ibv_wr_start} .. {@code ibv_wr_complete} batch: the bytes arrive, every
 * request gets its destination step, wr_ids and CQ moderation drive the loops' accounting as with
 * {@code ibv_post_send}, inline requests carry their bytes, reads and atomics return theirs, and
 * a warm run allocates no more than the same loop over {@code ibv_post_send}. The DC step itself
 * runs in JperfMlx5IT on mlx5.
 */
@Tag("rdma")
class DcPostIT {
    private static final long STALL = 10_000_000_000L;
    private static final long OPS = SendOps.RDMA_WRITE | SendOps.RDMA_READ | SendOps.SEND | SendOps.ATOMIC_FETCH_AND_ADD
            | SendOps.ATOMIC_CMP_AND_SWP;

    private TestDevice.Pair pair;
    /** How many requests went through the destination step. */
    private final long[] addressed = {0};

    @BeforeEach
    void open() {
        pair = TestDevice.pair(QpType.RC, TestDevice.options(), c -> c.sendOps(OPS).maxInlineData(64).maxSendWr(32));
    }

    @AfterEach
    void close() {
        pair.close();
    }

    private DcPost post(WrOpcode op, long localOffset, int length, long remoteOffset, long compareAdd, long swap) {
        return new DcPost(pair.a.extendedPost(), () -> addressed[0]++, op, pair.mrA.address(localOffset), length, pair.mrA.lkey(),
                pair.mrB.address(remoteOffset), pair.mrB.rkey(), compareAdd, swap);
    }

    /** A chain of {@code n} requests as TestRun builds it; DcPost takes only wr_id and flags from it. */
    private static SendRequests chain(WrOpcode op, int n) {
        SendRequests wrs = new SendRequests(n, 1);
        for (int j = 0; j < n; j++) {
            wrs.add(0, op, 0).sge(0, 1, 0);
        }
        return wrs;
    }

    private BwLoop bwLoop(WrOpcode op, int postList, int iterations, DcPost post) {
        BwLoop loop = new BwLoop(new QueuePair[] {pair.a}, pair.cqA, pair.cqA, new SendRequests[] {chain(op, postList)}, null,
                postList, postList, 16, iterations);
        loop.dc = new DcPost[] {post};
        return loop;
    }

    @Test
    void bandwidthWritesGoOutInBatchesOfThePostList() {
        MemorySegment src = pair.memA(), dst = pair.memB();
        for (int i = 0; i < 4096; i++) {
            src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
        }
        BwLoop loop = bwLoop(WrOpcode.RDMA_WRITE, 4, 200, post(WrOpcode.RDMA_WRITE, 0, 4096, 8192, 0, 0));
        assertEquals(200, loop.send(200, Window.iterations(STALL), 0, now -> { }));
        assertEquals(200, addressed[0], "one destination step per request");
        assertTrue(loop.completed[199] >= loop.posted[199] && loop.posted[0] > 0, "every message timed");
        assertEquals(-1, dst.asSlice(8192, 4096).mismatch(src.asSlice(0, 4096)), "the written bytes");
        assertEquals(0, dst.get(ValueLayout.JAVA_BYTE, 8192 + 4096), "no more");

        // The same loop over ibv_post_send: DC posting may allocate no more than it (warm, both allocate
        // only each run's Window and what reading the counter costs, ~1.6 KB for 10 runs in the VM).
        SendRequests wrs = new SendRequests(4, 1);
        for (int j = 0; j < 4; j++) {
            wrs.add(0, WrOpcode.RDMA_WRITE, 0).sge(pair.mrA, 0, 4096).rdma(pair.mrB.address(8192), pair.mrB.rkey());
        }
        BwLoop plain = new BwLoop(new QueuePair[] {pair.a}, pair.cqA, pair.cqA, new SendRequests[] {wrs}, null, 4, 4, 16, 200);
        // Twice each: under TCG the JIT compiles the DC path's methods many runs after they are first hot.
        warmAllocation(loop);
        warmAllocation(plain);
        long dc = warmAllocation(loop);
        long base = warmAllocation(plain);
        System.out.println("2000 RDMA writes, -l 4: bytes allocated through DcPost " + dc + ", through ibv_post_send " + base);
        assertTrue(dc <= base + 2000, "DC posting allocated " + dc + " bytes for 2000 messages, ibv_post_send " + base);
    }

    /** Bytes a loop allocates for 10 runs of 200 messages, after 15 runs to warm it. */
    private static long warmAllocation(BwLoop loop) {
        for (int run = 0; run < 15; run++) {
            loop.send(200, Window.iterations(STALL), 0, now -> { });
        }
        long before = allocated();
        for (int run = 0; run < 10; run++) {
            loop.send(200, Window.iterations(STALL), 0, now -> { });
        }
        return allocated() - before;
    }

    @Test
    void inlineSendsReachTheReceiver() {
        MemorySegment src = pair.memA(), dst = pair.memB();
        src.asSlice(0, 32).fill((byte) 0x6b);
        ReceiveRequests recv = new ReceiveRequests(1, 1);
        recv.add(5).sge(pair.mrB, 16384, 64);
        for (int i = 0; i < 20; i++) {
            pair.b.postReceive(recv);
        }
        BwLoop loop = bwLoop(WrOpcode.SEND, 1, 20, post(WrOpcode.SEND, 0, 32, 0, 0, 0));
        loop.baseFlags = SendFlags.INLINE;
        loop.send(20, Window.iterations(STALL), 0, now -> { });
        WorkCompletions wc = new WorkCompletions(20);
        TestDevice.pollUntil(pair.cqB, wc, 20);
        for (int i = 0; i < 20; i++) {
            assertEquals(5, wc.wrId(i));
            assertEquals(32, wc.byteLength(i), "the inline length");
        }
        assertEquals(-1, dst.asSlice(16384, 32).mismatch(MemorySegment.ofArray(new byte[32]).fill((byte) 0x6b)));
        assertEquals(20, addressed[0]);
    }

    @Test
    void latencyReadsAndAtomicsReturnTheirResults() {
        MemorySegment src = pair.memA(), dst = pair.memB();
        dst.set(ValueLayout.JAVA_LONG, 32768, 0x1122334455667788L);
        LatLoop read = latLoop(post(WrOpcode.RDMA_READ, 1024, 8, 32768, 0, 0));
        read.request(10, Window.iterations(STALL), null, now -> { });
        assertEquals(0x1122334455667788L, src.get(ValueLayout.JAVA_LONG, 1024), "read back");

        dst.set(ValueLayout.JAVA_LONG, 40960, 0);
        LatLoop add = latLoop(post(WrOpcode.ATOMIC_FETCH_AND_ADD, 2048, 8, 40960, 1, 1));
        add.request(50, Window.iterations(STALL), null, now -> { });
        assertEquals(50, dst.get(ValueLayout.JAVA_LONG, 40960), "50 fetch-and-adds of 1, as perftest's atomic test");
        assertEquals(49, src.get(ValueLayout.JAVA_LONG, 2048), "the last one returned the value before it");

        LatLoop swap = latLoop(post(WrOpcode.ATOMIC_CMP_AND_SWP, 3072, 8, 40960, 50, 7));
        swap.request(5, Window.iterations(STALL), null, now -> { });
        assertEquals(7, dst.get(ValueLayout.JAVA_LONG, 40960), "swapped once (compare 50), then left alone");
        assertEquals(7, src.get(ValueLayout.JAVA_LONG, 3072), "the last one saw the swapped value");
        assertEquals(10 + 50 + 5, addressed[0]);
    }

    private LatLoop latLoop(DcPost post) {
        SendRequests wr = chain(WrOpcode.RDMA_READ, 1);
        wr.sendFlags(0, SendFlags.SIGNALED);
        LatLoop loop = new LatLoop(pair.a, pair.cqA, pair.cqA, wr, null, 100);
        loop.dc = post;
        return loop;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
