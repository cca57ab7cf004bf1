package io.jverbs.perftest.engine;

import static io.jverbs.perftest.engine.Runs.PORT;
import static io.jverbs.perftest.engine.Runs.awaitListening;
import static io.jverbs.perftest.engine.Runs.awaitPortFree;
import static io.jverbs.perftest.engine.Runs.concat;
import static io.jverbs.perftest.engine.Runs.device;
import static io.jverbs.perftest.engine.Runs.ip;
import static io.jverbs.perftest.engine.Runs.jperf;
import static io.jverbs.perftest.engine.Runs.positive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code --run_infinitely} on the RDMA device: a result row every {@code -D} seconds until the
 * sender is stopped with SIGINT. The stopped side runs as a process (a jperf JVM or C perftest
 * 6.06) so that the signal reaches only it; the other side is jperf in this JVM or C perftest.
 */
@Tag("rdma")
class RunInfinitelyIT {
    private static final int T = 300;

    @BeforeAll
    static void bounds() {
        System.setProperty("jperf.stallSeconds", "10");
        System.setProperty("jperf.stepSeconds", "20");
        System.setProperty("jperf.acceptSeconds", "180");
    }

    @BeforeEach
    void portFree() {
        awaitPortFree(PORT);
    }

    private static String[] args(String test, String... extra) {
        return concat(new String[] {test, "-d", device(), "-x", "1", "--run_infinitely", "-D", "2"}, extra);
    }

    /** A process whose stdout is readable while it runs; {@link #interrupt()} sends it SIGINT. */
    record Proc(Process process, Path out, Path err, String who) {
        static Proc start(List<String> command) {
            try {
                Path out = Files.createTempFile("inf", ".out");
                Path err = Files.createTempFile("inf", ".err");
                Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                return new Proc(p, out, err, String.join(" ", command));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        static Proc jperf(String... args) {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-Djperf.stepSeconds=20",
                    "-Djperf.stallSeconds=10", "-cp", System.getProperty("java.class.path"), "io.jverbs.perftest.cli.Jperf"));
            cmd.addAll(List.of(args));
            return start(cmd);
        }

        static Proc c(String... args) {
            String[] cmd = args.clone();
            cmd[0] = "ib_" + args[0];
            return start(List.of(cmd));
        }

        Runs.Result now() {
            try {
                // The launcher's own note when JDK_JAVA_OPTIONS is set (the VM run sets it) is not the program's output.
                String errText = Files.readString(err).replaceAll("(?m)^NOTE: Picked up JDK_JAVA_OPTIONS:.*\\R?", "");
                return new Runs.Result(who, process.isAlive() ? -1 : process.exitValue(), Files.readString(out), errText);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        /** Waits until {@code n} rows are printed (each -D seconds). */
        void awaitRows(int n, int seconds) {
            if (!awaitRowsUnlessCalibrationFails(n, seconds)) {
                fail("fewer than " + n + " rows in " + seconds + " s: " + now());
            }
        }

        /**
         * As {@link #awaitRows}, but false when C perftest ended because its cycle-counter
         * calibration failed under emulation (see InteropIT#pair), which a caller may run again.
         */
        boolean awaitRowsUnlessCalibrationFails(int n, int seconds) {
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            while (now().rows().size() < n) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    Runs.Result r = now();
                    String all = r.out() + r.err();
                    if (all.contains("Can't produce a report") && all.contains("Correlation coefficient")) {
                        return false;
                    }
                    fail("fewer than " + n + " rows in " + seconds + " s: " + r);
                }
                sleep(200);
            }
            return true;
        }

        void interrupt() {
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        Runs.Result await(int seconds) {
            try {
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    fail(who + " did not end within " + seconds + " s: " + now());
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            Runs.Result r = now();
            try {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            } catch (IOException ignored) {
                // temp files
            }
            return r;
        }
    }

    /**
     * A jperf server in this JVM and a C perftest client with two rows printed; a pair whose C
     * side failed its cycle-counter calibration (see InteropIT#pair) is run again, twice at most.
     */
    static final class CClientPair {
        final Runs.Side server;
        final Proc client;
        Runs.Result clientResult;
        Runs.Result serverResult;
        long serverSeconds;

        CClientPair(Runs.Side server, Proc client) {
            this.server = server;
            this.client = client;
        }

        /** SIGINT to the C client (which dies of it), then both results and how long the server took after. */
        void killClient() {
            client.interrupt();
            clientResult = client.await(30);
            long start = System.nanoTime();
            serverResult = server.await();
            serverSeconds = (System.nanoTime() - start) / 1_000_000_000L;
        }

        /** The client vanished mid-run: the jperf server fails (exit 1) within 30 s, saying {@code why}. */
        void assertServerFailedPromptly(String why) {
            assertEquals(1, serverResult.exit(), "the client vanished mid-run: " + serverResult);
            assertTrue(serverSeconds < 30, "ends promptly: " + serverResult);
            assertTrue(serverResult.err().contains(why), serverResult.err());
        }

        Runs.Result c() {
            return clientResult;
        }

        Runs.Result s() {
            return serverResult;
        }

        static CClientPair start(String[] serverArgs, String[] clientArgs) {
            for (int attempt = 1; ; attempt++) {
                Runs.Side server = jperf(T, serverArgs);
                awaitListening(PORT, 60);
                Proc client = Proc.c(concat(clientArgs, ip()));
                if (attempt == 3) {
                    client.awaitRows(2, 180);
                    return new CClientPair(server, client);
                }
                if (client.awaitRowsUnlessCalibrationFails(2, 180)) {
                    return new CClientPair(server, client);
                }
                System.out.println("C perftest's cycle-counter calibration failed under emulation; running the pair again");
                client.await(30);
                server.await();
                awaitPortFree(PORT);
            }
        }
    }

    /** A jperf server in this JVM and a jperf client process, SIGINT to the client after 3 rows: the client's and the server's results. */
    private static Runs.Result[] jperfPairStoppedAtTheClient(String[] args) {
        return jperfPairStoppedAtTheClient(args, 180);
    }

    private static Runs.Result[] jperfPairStoppedAtTheClient(String[] args, int rowSeconds) {
        Runs.Side server = jperf(T + rowSeconds, args);
        awaitListening(PORT, 60);
        Proc client = Proc.jperf(concat(args, ip()));
        client.awaitRows(3, rowSeconds);
        client.interrupt();
        Runs.Result c = client.await(60);
        return new Runs.Result[] {c, server.await()};
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Every row: the size, a count, peak 0 (not measured), and for a row with messages a positive
     * average and message rate. An interval may hold none when the emulated VM stalls for longer
     * than -D seconds on a busy host (it does: a send_bw server printed a 0 row in CI), so only
     * {@code atLeast - 1} rows need messages.
     */
    private static void checkRows(Runs.Result r, String size, int atLeast) {
        List<String[]> rows = r.rows();
        assertTrue(rows.size() >= atLeast, "at least " + atLeast + " rows: " + r);
        int busy = 0;
        for (String[] row : rows) {
            assertEquals(size, row[0], r.toString());
            long messages = Long.parseLong(row[1]);
            assertTrue(messages >= 0, "iterations of the interval: " + r);
            assertEquals(0.0, Double.parseDouble(row[2]), "peak not measured: " + r);
            if (messages > 0) {
                busy++;
                positive(row[3], "average");
                positive(row[4], "message rate");
            } else {
                assertEquals(0.0, Double.parseDouble(row[3]), "an empty interval's average: " + r);
            }
        }
        assertTrue(busy >= atLeast - 1, "rows with messages: " + r);
    }

    @Test
    void writeBwJperfWithJperfStopsCleanlyOnSigint() {
        Runs.Result[] both = jperfPairStoppedAtTheClient(args("write_bw"));
        Runs.Result c = both[0];
        Runs.Result s = both[1];
        System.out.println(c.out());
        System.out.println(s.out());
        c.ok();
        s.ok();
        checkRows(c, "65536", 3);
        assertTrue(c.out().contains("\n User stopped traffic\n"), c.out());
        assertTrue(s.out().contains(" Client closed connection\n"), s.out());
        assertTrue(s.rows().isEmpty(), "an upstream-style server prints no row: " + s);
    }

    @Test
    void writeBwJperfClientCServer() {
        Proc server = Proc.c(args("write_bw"));
        awaitListening(PORT, 60);
        Proc client = Proc.jperf(concat(args("write_bw"), ip()));
        client.awaitRows(2, 180);
        client.interrupt();
        Runs.Result c = client.await(60);
        Runs.Result s = server.await(60);
        System.out.println(s.out());
        c.ok();
        checkRows(c, "65536", 2);
        // perftest 6.06's server prints the report the client sends after the stop: jperf's totals
        s.ok();
        String[] row = s.onlyRow();
        assertEquals("65536", row[0]);
        positive(row[3], "C server's copy of the total average");
    }

    @Test
    void writeBwCClientJperfServerFailsWhenTheClientDies() {
        CClientPair pair = CClientPair.start(args("write_bw"), args("write_bw"));
        pair.killClient(); // 6.06 has no SIGINT handler: it dies without the closing exchange
        Runs.Result c = pair.c();
        Runs.Result s = pair.s();
        System.out.println(c.out());
        checkRows(c, "65536", 2);
        pair.assertServerFailedPromptly("closed the connection");
    }

    @Test
    void sendBwJperfWithJperfBothPrintRowsAndEndOnTheClientsStop() {
        Runs.Result[] both = jperfPairStoppedAtTheClient(args("send_bw", "-s", "4096"));
        Runs.Result c = both[0];
        Runs.Result s = both[1];
        System.out.println(s.out());
        c.ok();
        s.ok();
        checkRows(c, "4096", 3);
        checkRows(s, "4096", 2);
        assertTrue(s.out().contains(" Client closed connection\n"), s.out());
    }

    /**
     * jperf's -b rows: as perftest's {@code run_inf_bi_factor}, the average is twice this side's
     * count over the interval. Rows come on a -D (2 s) schedule, so the intervals the figures
     * imply, taken as doubled, add up to about rows × 2 s (taken as single, to half of it).
     */
    private static void checkDuplexRows(Runs.Result r, String size, int atLeast) {
        checkRows(r, size, atLeast);
        double seconds = 0;
        for (String[] row : r.rows()) {
            seconds += 2 * Double.parseDouble(row[0]) * Long.parseLong(row[1]) / (Double.parseDouble(row[3]) * (1 << 20));
        }
        double ratio = seconds / (2.0 * r.rows().size());
        assertTrue(ratio > 0.8 && ratio < 1.4, "intervals implied by doubled figures / rows × 2 s = " + ratio + ": " + r);
    }

    /** C perftest's -b rows, run with -F: its cycle counter is not calibrated under emulation, so only their count and size. */
    private static void checkCRows(Runs.Result r, String size, int atLeast) {
        assertTrue(r.rows().size() >= atLeast, "at least " + atLeast + " rows: " + r);
        r.rows().forEach(row -> assertEquals(size, row[0], r.toString()));
    }

    @Test
    void writeBwBidirectionalJperfWithJperfBothPrintRowsAndEndOnOneSidesStop() {
        Runs.Result[] both = jperfPairStoppedAtTheClient(args("write_bw", "-b"), 180); // two pollers starve rxe under TCG
        Runs.Result c = both[0];
        Runs.Result s = both[1];
        System.out.println(c.out());
        System.out.println(s.out());
        c.ok();
        s.ok();
        checkDuplexRows(c, "65536", 3);
        checkDuplexRows(s, "65536", 2);
        assertTrue(c.out().contains("\n User stopped traffic\n"), c.out());
        assertTrue(s.out().contains(" Client closed connection\n"), s.out());
    }

    @Test
    void writeBwBidirectionalJperfClientCServer() {
        Proc server;
        Proc client;
        for (int attempt = 1; ; attempt++) {
            server = Proc.c(args("write_bw", "-b", "-F"));
            awaitListening(PORT, 60);
            client = Proc.jperf(concat(args("write_bw", "-b"), ip()));
            if (attempt == 3) {
                server.awaitRows(2, 180);
                break;
            }
            if (server.awaitRowsUnlessCalibrationFails(2, 180)) {
                break;
            }
            System.out.println("C perftest's cycle-counter calibration failed under emulation; running the pair again");
            client.await(60);
            server.await(30);
            awaitPortFree(PORT);
        }
        client.awaitRows(2, 60);
        client.interrupt();
        Runs.Result c = client.await(60);
        // perftest's duplex run has no way out (no SIGINT handler); under rxe its requests to the
        // vanished QPs never complete, so it prints rows of 0 until a signal kills it
        server.interrupt();
        Runs.Result s = server.await(30);
        System.out.println(c.out());
        System.out.println(s.out() + s.err());
        c.ok();
        checkDuplexRows(c, "65536", 2);
        assertTrue(c.out().contains("\n User stopped traffic\n"), c.out());
        checkCRows(s, "65536", 2);
    }

    @Test
    void readBwBidirectionalCClientJperfServerFailsWhenTheClientDies() {
        CClientPair pair = CClientPair.start(args("read_bw", "-b", "-s", "4096"), args("read_bw", "-b", "-s", "4096", "-F"));
        pair.killClient(); // perftest's duplex run takes no SIGINT (neither 6.06 nor upstream): it dies
        Runs.Result c = pair.c();
        Runs.Result s = pair.s();
        System.out.println(c.out());
        System.out.println(s.out() + s.err());
        checkCRows(c, "4096", 2);
        checkDuplexRows(s, "4096", 1);
        pair.assertServerFailedPromptly("the client closed the out-of-band connection during --run_infinitely");
    }

    @Test
    void atomicBwBidirectionalLoopbackPrintsRowsUntilSigint() {
        Proc run = Proc.jperf(args("atomic_bw", "-b", "--loopback"));
        run.awaitRows(3, 120);
        run.interrupt();
        Runs.Result r = run.await(60);
        System.out.println(r.out() + r.err());
        r.ok();
        checkDuplexRows(r, "8", 3);
        assertTrue(r.out().contains("\n User stopped traffic\n"), r.out());
        assertEquals("", r.err().strip(), "the quiet server ended cleanly too: " + r);
    }

    @Test
    void sendBwLoopbackPrintsTheClientsRowsUntilSigint() {
        Proc run = Proc.jperf(args("send_bw", "-s", "4096", "--loopback"));
        run.awaitRows(3, 120);
        run.interrupt();
        Runs.Result r = run.await(60);
        System.out.println(r.out() + r.err());
        r.ok();
        checkRows(r, "4096", 3);
        assertTrue(r.out().contains("\n User stopped traffic\n"), r.out());
        assertTrue(r.out().trim().endsWith("-".repeat(87)), "the closing line: " + r.out());
    }
}
