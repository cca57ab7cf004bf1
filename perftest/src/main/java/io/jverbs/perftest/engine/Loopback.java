package io.jverbs.perftest.engine;

import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.oob.OobSession;
import io.jverbs.perftest.report.Reporter;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code --loopback}: a server and a client of the same test in this process, on one device, over
 * perftest's TCP exchange on 127.0.0.1. The client's side is reported; the server runs quietly
 * in a second thread (two pollers: fine on two or more CPUs). With {@code --run_infinitely} only
 * the client takes SIGINT/SIGTERM; the server ends as a separate server would, on the client's
 * closing steps.
 */
final class Loopback {
    private Loopback() {
    }

    static void run(TestParameters p, Reporter reporter, long stallNs) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        AtomicReference<Throwable> serverFailure = new AtomicReference<>();
        Thread server = Thread.ofPlatform().name("jperf-loopback-server").start(() -> {
            try (TestRun run = new TestRun(p, QuietReporter.INSTANCE, true,
                    q -> OobSession.server(lo, p.port(), RdmaEngine.stepTimeout(), RdmaEngine.stepTimeout()),
                    stallNs)) {
                run.takesSignals = false; // --run_infinitely: a signal stops the client, whose finishing message ends this side
                run.run();
            } catch (Throwable t) {
                serverFailure.set(t);
            }
        });
        try (TestRun run = new TestRun(p, reporter, false,
                q -> OobSession.client(lo.getHostAddress(), p.port(), RdmaEngine.stepTimeout(), RdmaEngine.stepTimeout()),
                stallNs)) {
            run.run();
        } finally {
            // an infinite send_bw or -b server notices the client's end at its next row, -D seconds away at most
            long rowMs = p.runInfinitely() ? p.durationSeconds() * 1000L : 0;
            server.join(RdmaEngine.stepTimeout().toMillis() + rowMs + 5000);
        }
        Throwable t = serverFailure.get();
        if (t != null) {
            throw new EngineException("loopback server: " + t.getMessage(), t);
        }
        if (server.isAlive()) {
            throw new EngineException("loopback server did not finish");
        }
    }

    /** The server side of a loopback run prints nothing. */
    enum QuietReporter implements Reporter {
        INSTANCE;

        @Override public void waitingForClient() { }
        @Override public void header(io.jverbs.perftest.report.HeaderFacts facts) { }
        @Override public void endpoint(io.jverbs.perftest.report.Endpoint endpoint, boolean local) { }
        @Override public void tableHeader() { }
        @Override public io.jverbs.perftest.report.BwResult bandwidth(io.jverbs.perftest.report.BwTimestamps t) {
            return io.jverbs.perftest.report.Bandwidth.compute(t, 1 << 20, true);
        }
        @Override public void bandwidth(io.jverbs.perftest.report.BwResult result) { }
        @Override public io.jverbs.perftest.report.BwResult bandwidthDuration(long size, long messages, long elapsedNs) {
            return io.jverbs.perftest.report.Bandwidth.fromTotals(size, messages, Math.max(1, elapsedNs), 1 << 20, 0);
        }
        @Override public io.jverbs.perftest.report.LatencyStats latency(long size, long[] postedNs, int iterations) {
            return null;
        }
        @Override public io.jverbs.perftest.report.LatencyStats latencyDuration(long size, long iterations, long elapsedNs,
                io.jverbs.perftest.report.LatencyRecorder recorder) {
            return null;
        }
        @Override public void progress(long elapsedNs, long messages, long size) { }
        @Override public void progress(long elapsedNs, io.jverbs.perftest.report.LatencyRecorder recorder) { }
        @Override public void message(String text) { }
        @Override public void tableFooter() { }
    }
}
