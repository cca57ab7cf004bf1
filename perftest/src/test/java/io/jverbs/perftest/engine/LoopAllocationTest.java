package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.StubPair;
import io.jverbs.verbs.WrOpcode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The measured loops allocate nothing per message: each loop type runs warm against the stub
 * provider (posts complete at once, on one CQ) and the bytes this thread allocated during a run
 * of many thousand messages stay below what a single message's worth of garbage would exceed.
 */
class LoopAllocationTest {
    private static final int N = 20_000;
    /** Less than one byte per message: anything allocated per iteration shows. */
    private static final long BUDGET = N / 2;
    private static final long STALL = 5_000_000_000L;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private StubPair stub;
    private MemorySegment buf;

    @BeforeEach
    void open() {
        stub = new StubPair(0x77);
        buf = Arena.ofAuto().allocate(4096, 4096);
    }

    @AfterEach
    void close() {
        stub.close();
    }

    private static long allocated() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    private static void assertQuiet(String what, Runnable run) {
        for (int i = 0; i < 5; i++) {
            run.run(); // warm up: the JIT compiles the loop
        }
        long before = allocated();
        run.run();
        long used = allocated() - before;
        assertTrue(used < BUDGET, what + " allocated " + used + " bytes for " + N + " messages");
    }

    private SendRequests request(WrOpcode op, int postList) {
        SendRequests wrs = new SendRequests(postList, 1);
        for (int j = 0; j < postList; j++) {
            wrs.add(0, op, 0).sge(buf.address(), 64, 1).rdma(0x10000, 2);
        }
        return wrs;
    }

    @Test
    void bandwidthSender() {
        QueuePair[] qps = {stub.qp()};
        BwLoop loop = new BwLoop(qps, stub.cq(), stub.cq(), new SendRequests[] {request(WrOpcode.RDMA_WRITE, 1)}, null,
                1, 100, 128, N);
        Progress none = now -> { };
        assertQuiet("bw sender", () -> loop.send(N, Window.iterations(STALL), 0, none));
        assertTrue(loop.completed[N - 1] >= loop.posted[N - 1], "the last completion is timed after its post");
        assertEquals(0, loop.posted.length - N);
    }

    @Test
    void bandwidthSenderWithPostList() {
        BwLoop loop = new BwLoop(new QueuePair[] {stub.qp()}, stub.cq(), stub.cq(),
                new SendRequests[] {request(WrOpcode.SEND, 4)}, null, 4, 4, 128, N);
        assertQuiet("bw sender -l 4", () -> loop.send(N, Window.iterations(STALL), 0, now -> { }));
    }

    @Test
    void bandwidthReceiver() {
        ReceiveRequests recv = new ReceiveRequests(1, 1);
        recv.add(0).sge(buf.address(), 64, 1);
        BwLoop loop = new BwLoop(new QueuePair[] {stub.qp()}, stub.cq(), stub.cq(), null, new ReceiveRequests[] {recv},
                1, 1, 1, N);
        assertQuiet("bw receiver", () -> {
            loop.prepostReceives(64);
            assertEquals(N, loop.receive(N, Window.iterations(STALL), now -> { }));
        });
    }

    @Test
    void writeLatency() {
        SendRequests wr = request(WrOpcode.RDMA_WRITE, 1);
        wr.sendFlags(0, io.jverbs.verbs.SendFlags.SIGNALED);
        LatLoop loop = new LatLoop(stub.qp(), stub.cq(), stub.cq(), wr, null, N);
        // The stub writes nothing remote: the "server" polls the byte it bumps itself.
        assertQuiet("write_lat", () -> loop.write(N, true, buf, 63, buf, 63, Window.iterations(STALL), null, now -> { }));
    }

    @Test
    void sendLatency() {
        SendRequests wr = request(WrOpcode.SEND, 1);
        wr.sendFlags(0, io.jverbs.verbs.SendFlags.SIGNALED);
        ReceiveRequests recv = new ReceiveRequests(1, 1);
        recv.add(0).sge(buf.address(), 64, 1);
        LatLoop loop = new LatLoop(stub.qp(), stub.cq(), stub.cq(), wr, recv, N);
        assertQuiet("send_lat", () -> {
            for (int i = 0; i < 8; i++) {
                stub.qp().postReceive(recv);
            }
            loop.send(N, false, 8, Window.iterations(STALL), null, now -> { });
        });
    }

    @Test
    void readAndAtomicLatency() {
        SendRequests wr = request(WrOpcode.RDMA_READ, 1);
        wr.sendFlags(0, io.jverbs.verbs.SendFlags.SIGNALED);
        LatLoop loop = new LatLoop(stub.qp(), stub.cq(), stub.cq(), wr, null, N);
        assertQuiet("read_lat", () -> loop.request(N, Window.iterations(STALL), null, now -> { }));
    }

    @Test
    void durationLatencyRecordsWithoutAllocating() {
        SendRequests wr = request(WrOpcode.RDMA_READ, 1);
        wr.sendFlags(0, io.jverbs.verbs.SendFlags.SIGNALED);
        LatLoop loop = new LatLoop(stub.qp(), stub.cq(), stub.cq(), wr, null, 1);
        LatencyRecorder recorder = new LatencyRecorder(TestKind.READ);
        // A 1 s sample window without margins; progress is due once a second (not counted here).
        for (int i = 0; i < 2; i++) {
            loop.request(0, Window.duration(1, 0, STALL), recorder, now -> { });
        }
        long before = allocated();
        loop.request(0, Window.duration(1, 0, STALL), recorder, now -> { });
        long used = allocated() - before;
        assertTrue(loop.sampled > 1000, "round trips in 1 s: " + loop.sampled);
        // HdrHistogram's recorder may allocate once (a phaser epoch, tens of KB at most); nothing per round trip.
        assertTrue(used < 65536 && used * 100 < loop.sampled,
                "a 1 s duration run allocated " + used + " bytes for " + loop.sampled + " round trips");
    }
}
