package io.jverbs.perftest.engine;

import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.system.SysfsRdma;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs jperf in this JVM (a JVM start costs many seconds under TCG) and C perftest as processes,
 * each time-boxed, and parses their tables.
 */
final class Runs {
    static final int PORT = 18515;
    private static final Pattern ROW = Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)(.*)$");

    /** A finished side: exit code and what it printed. */
    record Result(String who, int exit, String out, String err) {
        /** The table rows: lines that start with the size and the iteration count. */
        List<String[]> rows() {
            List<String[]> rows = new ArrayList<>();
            for (String line : out.split("\n")) {
                Matcher m = ROW.matcher(line);
                if (m.matches()) {
                    List<String> cells = new ArrayList<>(List.of(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)));
                    cells.addAll(Arrays.asList(m.group(6).trim().split("\\s+")));
                    rows.add(cells.toArray(String[]::new));
                }
            }
            return rows;
        }

        Result ok() {
            assertEquals(0, exit, () -> who + " failed (exit " + exit + ")\n--- out\n" + out + "\n--- err\n" + err);
            return this;
        }

        String[] onlyRow() {
            List<String[]> rows = rows();
            assertEquals(1, rows.size(), () -> who + " printed " + rows.size() + " rows\n" + out + err);
            return rows.get(0);
        }

        @Override
        public String toString() {
            return who + " exit " + exit + "\n" + out + err;
        }
    }

    /** A side still running. */
    interface Side {
        Result await();
    }

    private Runs() {
    }

    /** The engine's wait bounds for device tests: short enough that a stuck side fails the test, not the job. */
    static void boundWaits() {
        System.setProperty("jperf.stallSeconds", "10");
        System.setProperty("jperf.stepSeconds", "20");
        System.setProperty("jperf.serverWaitSeconds", "120");
        System.setProperty("jperf.acceptSeconds", "60");
    }

    /** A command line on the test device ({@link io.jverbs.verbs.it.TestDevice}): its GID index when it uses one, 100 iterations. */
    static String[] onTestDevice(String test, String... extra) {
        List<String> a = new ArrayList<>(List.of(test, "-d", io.jverbs.verbs.it.TestDevice.device(), "-n", "100"));
        if (io.jverbs.verbs.it.TestDevice.gidIndex() >= 0) {
            a.addAll(List.of("-x", Integer.toString(io.jverbs.verbs.it.TestDevice.gidIndex())));
        }
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    static String device() {
        return System.getenv().getOrDefault("JVERBS_RDMA_DEV", "rxe0");
    }

    static String ip() {
        return System.getenv().getOrDefault("JVERBS_IPV4", "10.77.0.1");
    }

    /** jperf in a thread of this JVM, bounded by {@code seconds}. */
    static Side jperf(int seconds, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> new Jperf(
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                p -> Optional.of(new RdmaEngine()), SysfsRdma.system()).execute(args),
                r -> Thread.ofPlatform().daemon().start(r));
        String who = "jperf " + String.join(" ", args);
        return () -> {
            int exit;
            try {
                exit = f.get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                fail(who + " did not finish in " + seconds + " s\n" + out + err);
                return null;
            } catch (Exception e) {
                throw new AssertionError(who, e);
            }
            return new Result(who, exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        };
    }

    /** A process (C perftest), killed after {@code seconds}. */
    static Side process(int seconds, String... command) {
        try {
            Path out = Files.createTempFile("perftest", ".out");
            Path err = Files.createTempFile("perftest", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            String who = String.join(" ", command);
            return () -> {
                try {
                    boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
                    if (!done) {
                        p.destroyForcibly().waitFor();
                    }
                    Result r = new Result(who, done ? p.exitValue() : 124, Files.readString(out), Files.readString(err));
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(err);
                    return r;
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(who, e);
                }
            };
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether something listens on TCP {@code port}, IPv4 or IPv6 (/proc/net/tcp{,6}: no probe connection). */
    static boolean listening(int port) {
        String hex = String.format(":%04X", port);
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(hex) && f[3].equals("0A")) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // no IPv6 here
            }
        }
        return false;
    }

    /** Waits until something listens on TCP {@code port}. */
    static void awaitListening(int port, int seconds) {
        await(() -> listening(port), seconds, "nothing listens on port " + port);
    }

    /** Polls {@code condition} every 100 ms for up to {@code seconds}; fails with {@code what}. */
    private static void await(java.util.function.BooleanSupplier condition, int seconds, String what) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(100);
        }
        fail(what + " after " + seconds + " s");
    }

    /**
     * Whether an rdma_cm id listens on {@code port}: rdma_cm ports are not TCP ports, so the
     * kernel's list from iproute2's {@code rdma resource show cm_id} (state LISTEN, src-addr ip:port).
     */
    static boolean cmListening(int port) {
        try {
            Process p = new ProcessBuilder("rdma", "resource", "show", "cm_id").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Pattern listen = Pattern.compile("state LISTEN.*src-addr \\S*:" + port + "\\b");
            return out.lines().anyMatch(l -> listen.matcher(l).find());
        } catch (IOException e) {
            throw new AssertionError("iproute2's rdma tool is needed to see rdma_cm listeners", e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until an rdma_cm id listens on {@code port}. */
    static void awaitCmListening(int port, int seconds) {
        await(() -> cmListening(port), seconds, "no rdma_cm id listens on port " + port);
    }

    /** Waits (up to 10 s) until nothing listens any more (the previous server is gone). */
    static void awaitPortFree(int port) {
        for (int i = 0; i < 100 && listening(port); i++) {
            sleep(100);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The C perftest command of a jperf command line: {@code write_bw ...} becomes {@code ib_write_bw ...}. */
    static String[] c(String[] args) {
        String[] cmd = args.clone();
        cmd[0] = "ib_" + args[0];
        return cmd;
    }

    /**
     * Starts the server, then the client once the server listens; returns {server, client}. C
     * perftest calibrates its cycle counter against gettimeofday before it reports, and under the
     * VM's emulation on a busy host that fit sometimes fails ("Correlation coefficient r^2: ... <
     * 0.9", "Can't produce a report", exit 1) however the peer behaved: such a pair is run again,
     * twice at most. Any other failure is returned as it is.
     */
    static Result[] pair(java.util.function.Supplier<Side> server, java.util.function.Supplier<Side> client) {
        return pair(server, client, () -> awaitListening(PORT, 60));
    }

    /**
     * As {@link #pair(java.util.function.Supplier, java.util.function.Supplier)}, starting the
     * client once {@code serverReady} returns: {@code -z}/{@code -R} servers listen with rdma_cm,
     * not on a TCP port ({@link #awaitCmListening}).
     */
    static Result[] pair(java.util.function.Supplier<Side> server, java.util.function.Supplier<Side> client,
                         Runnable serverReady) {
        for (int attempt = 1; ; attempt++) {
            Side sv = server.get();
            serverReady.run();
            Result c = client.get().await();
            Result s = sv.await();
            if (!(calibrationFailed(s) || calibrationFailed(c)) || attempt == 3) {
                return new Result[] {s, c};
            }
            System.out.println("C perftest's cycle-counter calibration failed under emulation; running the pair again");
            awaitPortFree(PORT);
        }
    }

    /**
     * Whether {@code r} is a C perftest that exited because its cycle-counter calibration failed
     * (get_clock.c: its fit of rdtsc against gettimeofday has r^2 below 0.9, so print_report_bw
     * exits 1, before the closing handshake). Its peer then fails too, seeing it go away.
     */
    static boolean calibrationFailed(Result r) {
        return r.exit() != 0 && r.err().contains("Can't produce a report") && r.err().contains("Correlation coefficient");
    }

    private static boolean unidirectionalReport(String test, String... extra) {
        return !test.startsWith("send") && test.endsWith("_bw") && !List.of(extra).contains("-b");
    }

    /** Checks both sides' tables: the jperf side's figures are finite and positive; exchanged figures agree. */
    static void check(String test, Result server, Result client, boolean jperfServer, boolean jperfClient, String... extra) {
        // Both sides' output when either failed: a side's error often starts with what its peer did.
        assertTrue(server.exit() == 0 && client.exit() == 0, () -> "server: " + server.who() + " exit " + server.exit()
                + ", client: " + client.who() + " exit " + client.exit() + "\n=== server out\n" + server.out()
                + "\n=== server err\n" + server.err() + "\n=== client out\n" + client.out() + "\n=== client err\n" + client.err());
        boolean bw = test.endsWith("_bw");
        boolean clientOnly = test.equals("read_lat") || test.equals("atomic_lat");
        String[] cr = client.onlyRow();
        if (jperfClient) {
            positive(cr[bw ? 3 : 2], "client " + test + " figure");
        }
        if (clientOnly) {
            assertTrue(server.rows().isEmpty(), "a read/atomic latency server prints no row: " + server);
            return;
        }
        String[] sr = server.onlyRow();
        assertEquals(cr[0], sr[0], "size");
        if (jperfServer) {
            positive(sr[bw ? 3 : 2], "server " + test + " figure");
        }
        if (unidirectionalReport(test, extra)) {
            // The server prints the report the client sent over the OOB socket: the same figures.
            for (int i = 1; i <= 4; i++) {
                assertEquals(Double.parseDouble(cr[i]), Double.parseDouble(sr[i]), 0.011, "cell " + i + " of " + test);
            }
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Asserts a number cell is a positive finite value. */
    static double positive(String cell, String what) {
        double v = Double.parseDouble(cell);
        assertTrue(v > 0 && Double.isFinite(v), what + " = " + cell);
        return v;
    }
}
