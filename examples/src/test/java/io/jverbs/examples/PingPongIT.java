package io.jverbs.examples;

import io.jverbs.verbs.it.TestDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pingpong ports against each other and against rdma-core's C programs (ibverbs-utils), in
 * both roles, on the test device ({@link TestDevice}: the Soft-RoCE VM's rxe0, or this machine's
 * own). Each case runs a server and a client process; the client starts once the server's TCP
 * port is listening (read from /proc/net/tcp*, because a probe connection would be taken for the
 * client).
 */
@Tag("rdma")
class PingPongIT {
    private static final int ITERS = 100;
    private static final long START_TIMEOUT_S = 600;
    private static final long RUN_TIMEOUT_S = 900;
    private static final Pattern ADDRESS = Pattern.compile(
            "^ {2}(local|remote) address: {1,2}LID 0x([0-9a-f]{4}), QPN 0x([0-9a-f]{6}), PSN 0x([0-9a-f]{6})[,:] GID (\\S+)$",
            Pattern.MULTILINE);

    private static List<String> java(String example, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "io.jverbs.examples." + example));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> c(String program, String... args) {
        List<String> cmd = new ArrayList<>(List.of(program));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String[] common(int port, String... more) {
        List<String> a = new ArrayList<>(List.of("-d", TestDevice.device(), "-i", String.valueOf(TestDevice.port()),
                "-n", String.valueOf(ITERS), "-p", String.valueOf(port)));
        if (TestDevice.gidIndex() >= 0) { // -1: InfiniBand, addressed by LID
            a.addAll(List.of("-g", String.valueOf(TestDevice.gidIndex())));
        }
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static String[] client(int port, String... more) {
        String[] a = common(port, more);
        String[] withHost = java.util.Arrays.copyOf(a, a.length + 1);
        withHost[a.length] = TestDevice.ipv4();
        return withHost;
    }

    record Result(int exit, String out) {}

    record Pair(Result server, Result client) {}

    /** One side of a pingpong: a thread of this JVM or a child process. */
    private interface Side {
        boolean alive();

        /** The result, or null if the side is still running after {@code seconds}. */
        Result await(long seconds) throws Exception;

        String output();

        void kill();
    }

    /**
     * Runs an example in this JVM (its {@code run(args, out, err)}): the JIT warms up once for
     * all cases, and no JVM start (tens of seconds under TCG) per side.
     */
    private static Side inJvm(String example, String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        FutureTask<Integer> task = new FutureTask<>(() -> switch (example) {
            case "RcPingPong" -> RcPingPong.run(args, ps, ps);
            case "UdPingPong" -> UdPingPong.run(args, ps, ps);
            case "SrqPingPong" -> SrqPingPong.run(args, ps, ps);
            default -> throw new IllegalArgumentException(example);
        });
        Thread.ofPlatform().daemon().name(example).start(task);
        return new Side() {
            public boolean alive() {
                return !task.isDone();
            }

            public Result await(long seconds) throws Exception {
                try {
                    return new Result(task.get(seconds, TimeUnit.SECONDS), buf.toString(StandardCharsets.UTF_8));
                } catch (TimeoutException e) {
                    return null;
                }
            }

            public String output() {
                return buf.toString(StandardCharsets.UTF_8);
            }

            public void kill() {
                task.cancel(true); // a busy-polling loop does not stop; the thread is a daemon
            }
        };
    }

    /** Runs a command (a C program, or an example in a JVM of its own) as a child process. */
    private static Side process(List<String> cmd) throws IOException {
        Path log = Files.createTempFile("pingpong", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Side() {
            public boolean alive() {
                return p.isAlive();
            }

            public Result await(long seconds) throws Exception {
                return p.waitFor(seconds, TimeUnit.SECONDS) ? new Result(p.exitValue(), output()) : null;
            }

            public String output() {
                return read(log);
            }

            public void kill() {
                p.destroyForcibly();
            }
        };
    }

    @FunctionalInterface
    private interface Starter {
        Side start() throws IOException;
    }

    /** Starts the server, waits for its port, starts the client; both must finish in time. */
    private static Pair run(int port, Starter server, Starter client) throws Exception {
        Side s = server.start();
        Side c = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
            while (!listening(port)) {
                if (!s.alive()) fail("server exited before listening:\n" + s.output());
                if (System.nanoTime() > deadline) fail("server did not listen on " + port + " within " + START_TIMEOUT_S + " s:\n" + s.output());
                Thread.sleep(100);
            }
            c = client.start();
            Result cr = c.await(RUN_TIMEOUT_S);
            Result sr = s.await(cr != null ? 60 : 1);
            if (cr == null || sr == null) {
                fail("timed out: client " + (cr != null ? "done" : "running") + ", server " + (sr != null ? "done" : "running")
                        + "\n--- server\n" + s.output() + "\n--- client\n" + c.output());
            }
            return new Pair(sr, cr);
        } finally {
            s.kill();
            if (c != null) c.kill();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** A socket in LISTEN state (0A) on {@code port}, IPv4 or IPv6. */
    static boolean listening(int port) throws IOException {
        String suffix = String.format(":%04X", port);
        for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(f);
            if (!Files.exists(p)) continue;
            for (String line : Files.readAllLines(p)) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length > 3 && cols[1].endsWith(suffix) && cols[3].equals("0A")) return true;
            }
        }
        return false;
    }

    /** Both exited 0, printed the report, and each side's remote address is the other's local one. */
    private static void assertPingPong(Pair p, int qps) {
        String both = "--- server\n" + p.server().out() + "\n--- client\n" + p.client().out();
        assertEquals(0, p.server().exit(), both);
        assertEquals(0, p.client().exit(), both);
        for (Result r : List.of(p.server(), p.client())) {
            assertTrue(Pattern.compile("^\\d+ bytes in \\d+\\.\\d\\d seconds = \\d+\\.\\d\\d Mbit/sec$", Pattern.MULTILINE).matcher(r.out()).find(), both);
            assertTrue(Pattern.compile("^" + ITERS + " iters in \\d+\\.\\d\\d seconds = \\d+\\.\\d\\d usec/iter$", Pattern.MULTILINE).matcher(r.out()).find(), both);
            assertFalse(r.out().contains("invalid data"), both);
        }
        List<String> serverLocal = addresses(p.server().out(), "local"), serverRemote = addresses(p.server().out(), "remote");
        List<String> clientLocal = addresses(p.client().out(), "local"), clientRemote = addresses(p.client().out(), "remote");
        assertEquals(qps, serverLocal.size(), both);
        assertEquals(serverLocal, clientRemote, both);
        assertEquals(clientLocal, serverRemote, both);
        assertTrue(p.server().out().contains("GID ::ffff:" + TestDevice.ipv4()), both);
    }

    /** "lid qpn psn gid" of each local or remote address line. */
    private static List<String> addresses(String out, String which) {
        List<String> found = new ArrayList<>();
        Matcher m = ADDRESS.matcher(out);
        while (m.find()) {
            if (m.group(1).equals(which)) found.add(m.group(2) + " " + m.group(3) + " " + m.group(4) + " " + m.group(5));
        }
        return found;
    }

    // ---- RC ----------------------------------------------------------------------------
    // Java to Java: the server in this JVM, the client in a JVM of its own (two processes).

    @Test
    void rcJavaToJava() throws Exception {
        assertPingPong(run(18515, () -> inJvm("RcPingPong", common(18515, "-c")),
                () -> process(java("RcPingPong", client(18515, "-c")))), 1);
    }

    @Test
    void rcJavaServerCClient() throws Exception {
        assertPingPong(run(18521, () -> inJvm("RcPingPong", common(18521, "-e", "-c")),
                () -> process(c("ibv_rc_pingpong", client(18521, "-c")))), 1);
    }

    @Test
    void rcCServerJavaClient() throws Exception {
        assertPingPong(run(18522, () -> process(c("ibv_rc_pingpong", common(18522, "-c"))),
                () -> inJvm("RcPingPong", client(18522, "-c"))), 1);
    }

    // ---- UD ----------------------------------------------------------------------------

    @Test
    void udJavaToJava() throws Exception {
        assertPingPong(run(18531, () -> inJvm("UdPingPong", common(18531, "-e", "-c")),
                () -> process(java("UdPingPong", client(18531, "-c")))), 1);
    }

    @Test
    void udJavaServerCClient() throws Exception {
        assertPingPong(run(18532, () -> inJvm("UdPingPong", common(18532, "-c")),
                () -> process(c("ibv_ud_pingpong", client(18532, "-c")))), 1);
    }

    @Test
    void udCServerJavaClient() throws Exception {
        assertPingPong(run(18533, () -> process(c("ibv_ud_pingpong", common(18533, "-c"))),
                () -> inJvm("UdPingPong", client(18533, "-e", "-c"))), 1);
    }

    // ---- SRQ ---------------------------------------------------------------------------

    @Test
    void srqJavaToJava() throws Exception {
        assertPingPong(run(18541, () -> inJvm("SrqPingPong", common(18541, "-e")),
                () -> process(java("SrqPingPong", client(18541, "-e")))), 16);
    }

    @Test
    void srqJavaServerCClient() throws Exception {
        assertPingPong(run(18542, () -> inJvm("SrqPingPong", common(18542, "-q", "4")),
                () -> process(c("ibv_srq_pingpong", client(18542, "-q", "4")))), 4);
    }

    @Test
    void srqCServerJavaClient() throws Exception {
        assertPingPong(run(18543, () -> process(c("ibv_srq_pingpong", common(18543))),
                () -> inJvm("SrqPingPong", client(18543, "-e"))), 16);
    }

    // ---- rdma_cm ------------------------------------------------------------------------

    /**
     * Server and client in JVMs of their own, connected by rdma_cm through the device's IP
     * address. rdma_cm opens no TCP socket, so the client starts once the server says it listens.
     */
    @Test
    void rdmaCmPingPongConnectsByAddress() throws Exception {
        Side server = process(java("RdmaCmPingPong", "server", "7471"));
        Side client = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
            while (!server.output().contains("listening on")) {
                if (!server.alive()) fail("server exited before listening:\n" + server.output());
                if (System.nanoTime() > deadline) fail("server did not listen within " + START_TIMEOUT_S + " s:\n" + server.output());
                Thread.sleep(100);
            }
            client = process(java("RdmaCmPingPong", "client", TestDevice.ipv4(), "7471", String.valueOf(ITERS)));
            Result cr = client.await(RUN_TIMEOUT_S);
            Result sr = server.await(60);
            String both = "--- server\n" + server.output() + "\n--- client\n" + client.output();
            assertTrue(cr != null && sr != null, "timed out\n" + both);
            assertEquals(0, sr.exit(), both);
            assertEquals(0, cr.exit(), both);
            assertTrue(sr.out().contains(ITERS + " round trips served"), both);
            assertTrue(Pattern.compile("^" + ITERS + " round trips of 64 bytes, \\d+\\.\\d\\d us each$", Pattern.MULTILINE)
                    .matcher(cr.out()).find(), both);
            assertTrue(cr.out().contains("connected to /" + TestDevice.ipv4() + ":7471"), both);
        } finally {
            server.kill();
            if (client != null) client.kill();
        }
    }

    // ---- Quick start -------------------------------------------------------------------

    /** The quick start of docs/verbs.md, through the launcher when the packaged layout exists. */
    @Test
    void quickStartRuns() throws Exception {
        File runSh = new File("run.sh");
        List<String> cmd = runSh.canExecute() && new File("target/lib").isDirectory()
                ? List.of(runSh.getAbsolutePath(), "QuickStart")
                : java("QuickStart");
        Side p = process(cmd);
        try {
            Result r = p.await(RUN_TIMEOUT_S);
            assertTrue(r != null, "QuickStart timed out:\n" + p.output());
            assertEquals(0, r.exit(), r.out());
            assertTrue(r.out().contains("received: hello, RDMA"), r.out());
        } finally {
            p.kill();
        }
    }
}
