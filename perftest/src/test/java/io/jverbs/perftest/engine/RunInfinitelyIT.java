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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
                return new Runs.Result(who, process.isAlive() ? -1 : process.exitValue(), Files.readString(out),
                        Files.readString(err));
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
        Runs.Side server = jperf(T, args("write_bw"));
        awaitListening(PORT, 60);
        Proc client = Proc.jperf(concat(args("write_bw"), ip()));
        client.awaitRows(3, 180);
        client.interrupt();
        Runs.Result c = client.await(60);
        Runs.Result s = server.await();
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
        Runs.Side server;
        Proc client;
        for (int attempt = 1; ; attempt++) {
            server = jperf(T, args("write_bw"));
            awaitListening(PORT, 60);
            client = Proc.c(concat(args("write_bw"), ip()));
            if (attempt == 3) {
                client.awaitRows(2, 180);
                break;
            }
            if (client.awaitRowsUnlessCalibrationFails(2, 180)) {
                break;
            }
            System.out.println("C perftest's cycle-counter calibration failed under emulation; running the pair again");
            client.await(30);
            server.await();
            awaitPortFree(PORT);
        }
        client.interrupt(); // 6.06 has no SIGINT handler: it dies without the closing exchange
        Runs.Result c = client.await(30);
        long start = System.nanoTime();
        Runs.Result s = server.await();
        System.out.println(c.out());
        checkRows(c, "65536", 2);
        assertNotEquals(0, s.exit(), "the client vanished mid-run: " + s);
        assertTrue((System.nanoTime() - start) / 1_000_000_000L < 30, "ends promptly: " + s);
        assertTrue(s.err().contains("closed the connection"), s.err());
    }

    @Test
    void sendBwJperfWithJperfBothPrintRowsAndEndOnTheClientsStop() {
        Runs.Side server = jperf(T, args("send_bw", "-s", "4096"));
        awaitListening(PORT, 60);
        Proc client = Proc.jperf(concat(args("send_bw", "-s", "4096"), ip()));
        client.awaitRows(3, 180);
        client.interrupt();
        Runs.Result c = client.await(60);
        Runs.Result s = server.await();
        System.out.println(s.out());
        c.ok();
        s.ok();
        checkRows(c, "4096", 3);
        checkRows(s, "4096", 2);
        assertTrue(s.out().contains(" Client closed connection\n"), s.out());
    }
}
