package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.raweth.wire.MacAddress;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The raw loops allocate nothing per frame: sender, receiver and both ping-pong sides run warm
 * over the in-memory pipe, each on its own thread measuring its own allocated bytes, which stay
 * below one byte per frame.
 */
class RawLoopAllocationTest {
    private static final int N = 20_000;
    private static final long BUDGET = N / 2;
    private static final long STALL = 20_000_000_000L;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String ADDR = " -J 10.9.0.1 -j 10.9.0.2 -K 7000 -k 7001";

    private static RawEthernet raw(boolean server) throws Exception {
        String role = server ? " --server -B " + RawEngineTest.MAC_S + " -E " + RawEngineTest.MAC_C
                : " --client -B " + RawEngineTest.MAC_C + " -E " + RawEngineTest.MAC_S;
        return Jperf.parse(("raw_ethernet_bw --port afpacket:x" + role + ADDR).split(" +")).raw();
    }

    /** Runs {@code body} 4 times warm, then once measured; returns the bytes that run allocated. */
    private static long measured(Runnable body) {
        for (int i = 0; i < 4; i++) {
            body.run();
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        body.run();
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void bandwidthSenderAndReceiver() throws Exception {
        try (PipePorts pipe = new PipePorts(MacAddress.parse(RawEngineTest.MAC_S),
                MacAddress.parse(RawEngineTest.MAC_C), 0);
             ExecutorService threads = Executors.newFixedThreadPool(2)) {
            RawLoop sender = new RawLoop(pipe.b, new RawFrames(raw(false), 256, true), 32, N);
            RawLoop receiver = new RawLoop(pipe.a, new RawFrames(raw(true), 256, false), 1, N);
            Progress none = now -> { };
            // A receive takes whole bursts, so a run may count a few frames of the sender's next
            // run; the last one then ends by the idle bound once the sender is done.
            CompletableFuture<Long> rx = CompletableFuture.supplyAsync(() -> measured(() -> {
                long got = receiver.receive(N, STALL, 300_000_000L, () -> Window.iterations(STALL), none);
                assertTrue(got > 0 && got < N + 32, "received " + got);
            }), threads);
            CompletableFuture<Long> tx = CompletableFuture.supplyAsync(
                    () -> measured(() -> sender.send(N, Window.iterations(STALL), none)), threads);
            long txBytes = tx.get(120, TimeUnit.SECONDS);
            long rxBytes = rx.get(120, TimeUnit.SECONDS);
            assertTrue(txBytes < BUDGET, "sender allocated " + txBytes + " bytes for " + N + " frames");
            assertTrue(rxBytes < BUDGET, "receiver allocated " + rxBytes + " bytes for " + N + " frames");
            assertEquals(0, receiver.ignored);
        }
    }

    @Test
    void pingPongBothSides() throws Exception {
        int n = 5_000;
        try (PipePorts pipe = new PipePorts(MacAddress.parse(RawEngineTest.MAC_S),
                MacAddress.parse(RawEngineTest.MAC_C), 0);
             ExecutorService threads = Executors.newFixedThreadPool(2)) {
            RawLoop server = new RawLoop(pipe.a, new RawFrames(raw(true), 64, true), 1, n);
            RawLoop client = new RawLoop(pipe.b, new RawFrames(raw(false), 64, true), 1, n);
            LatencyRecorder unused = new LatencyRecorder(TestKind.SEND);
            CompletableFuture<Long> s = CompletableFuture.supplyAsync(() -> measured(
                    () -> server.pingPong(n, true, () -> Window.iterations(STALL), STALL, unused, now -> { })), threads);
            CompletableFuture<Long> c = CompletableFuture.supplyAsync(() -> measured(
                    () -> client.pingPong(n, false, () -> Window.iterations(STALL), STALL, unused, now -> { })), threads);
            long cBytes = c.get(300, TimeUnit.SECONDS);
            long sBytes = s.get(300, TimeUnit.SECONDS);
            // The Supplier lambdas above are made once per run, not per round trip.
            assertTrue(cBytes < n / 2, "client allocated " + cBytes + " bytes for " + n + " round trips");
            assertTrue(sBytes < n / 2, "server allocated " + sBytes + " bytes for " + n + " round trips");
            assertEquals(n, client.received);
        }
    }
}
