package io.jverbs.perftest.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * One Soft-RoCE VM for a whole test class ({@code softroce-vm.sh --agent DIR --host-link}): kernel
 * rxe0 in the guest on a virtio NIC whose peer is a TAP on this host, and commands run in it
 * through {@code guest-exec.sh}. The VM's owner is this JVM, so it powers off if the JVM dies;
 * {@link #close()} shuts it down. Every wait is bounded.
 */
final class HostLinkVm implements AutoCloseable {
    /** What a command printed (stdout and stderr) and its exit status. */
    record Result(int exit, String out) {
        @Override
        public String toString() {
            return "exit " + exit + ":\n" + out;
        }
    }

    final Path root;
    final Path dir;
    private final Process vm;
    private final Map<String, String> env = new HashMap<>();

    private HostLinkVm(Path root, Path dir, Process vm) {
        this.root = root;
        this.dir = dir;
        this.vm = vm;
    }

    /** Boots the VM and waits until it serves commands; its run directory is {@code dir}. */
    static HostLinkVm boot(Path dir) throws IOException, InterruptedException {
        Path root = checkout();
        deleteTree(dir);
        Files.createDirectories(dir.getParent());
        Process vm = new ProcessBuilder(root.resolve("native-test/softroce-vm.sh").toString(), "--agent", dir.toString(),
                "--host-link", "--timeout", "900")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolveSibling(dir.getFileName() + ".log").toFile())
                .start();
        HostLinkVm h = new HostLinkVm(root, dir, vm);
        Result ready = h.exec(List.of(h.guestExec(), dir.toString(), "--ready", "--timeout", "300"), 310);
        if (ready.exit() != 0) {
            h.close();
            throw new IllegalStateException("the Soft-RoCE VM did not come up (" + dir + ".log, " + dir
                    + "/console.log): " + ready);
        }
        Matcher m = Pattern.compile("(JVERBS_[A-Z0-9_]+)=(\\S+)").matcher(ready.out());
        while (m.find()) {
            h.env.put(m.group(1), m.group(2));
        }
        return h;
    }

    /** A variable of the VM's environment ({@code JVERBS_HOST_LINK_IPV4}, ...); throws if absent. */
    String env(String name) {
        String v = env.get(name);
        if (v == null) {
            throw new IllegalStateException(name + " missing from guest-exec --ready: " + env);
        }
        return v;
    }

    /** Runs {@code cmd} in the guest, at most {@code timeoutS} seconds. */
    Result guest(long timeoutS, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(guestExec(), dir.toString(), "--timeout", Long.toString(timeoutS), "--"));
        c.addAll(List.of(cmd));
        return exec(c, timeoutS + 15);
    }

    /** Starts {@code cmd} in the guest as job {@code name} and returns once it runs. */
    void guestBackground(String name, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(guestExec(), dir.toString(), "--timeout", "60", "--background", name, "--"));
        c.addAll(List.of(cmd));
        Result r = exec(c, 75);
        if (r.exit() != 0) {
            throw new IllegalStateException("guest job " + name + " did not start: " + r);
        }
    }

    /** Waits for job {@code name}, at most {@code timeoutS} seconds (then stops it: exit 124). */
    Result guestWait(String name, long timeoutS) throws IOException, InterruptedException {
        return exec(List.of(guestExec(), dir.toString(), "--timeout", Long.toString(timeoutS), "--wait", name), timeoutS + 30);
    }

    /** Waits until something in the guest listens on TCP {@code port}, 30 s at most. */
    void awaitGuestListening(int port) throws IOException, InterruptedException {
        Result r = guest(40, "bash", "-c", "for i in $(seq 300); do ss -Hltn \"sport = :" + port
                + "\" | grep -q . && exit 0; sleep 0.1; done; exit 1");
        if (r.exit() != 0) {
            throw new IllegalStateException("nothing listens on TCP " + port + " in the guest after 30 s: " + r);
        }
    }

    /** Runs a host command, output and status; destroyed after {@code timeoutS} (exit 124). */
    Result exec(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir.getParent(), "exec", ".out");
        try {
            Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(done ? p.exitValue() : 124, Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private String guestExec() {
        return root.resolve("native-test/softroce/guest-exec.sh").toString();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (vm.isAlive()) {
                exec(List.of(guestExec(), dir.toString(), "--shutdown", "--timeout", "30"), 40);
            }
        } finally {
            if (!vm.waitFor(20, TimeUnit.SECONDS)) {
                vm.destroy(); // softroce-vm.sh kills qemu (and the TAP goes with it) on SIGTERM
                vm.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The checkout: the first directory upwards from here holding native-test/softroce-vm.sh. */
    /**
     * Waits for a host-side Java program run by a test (output in {@code log}) to exit, at most
     * {@code timeoutSeconds}; one that does not is killed and reported with exit code 124, as
     * timeout(1) reports.
     */
    static Result finish(Process p, Path log, long timeoutSeconds) throws IOException, InterruptedException {
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(done ? p.exitValue() : 124, Files.readString(log));
    }

    /**
     * Waits (30 s at most) until a host-side Java server listens on TCP {@code port}, read from
     * /proc/net/tcp{,6}: the guest's client is started only then, since the C programs do not
     * retry a refused connection. Fails at once if {@code server} exits first.
     */
    static void awaitHostListening(int port, Process server) throws IOException, InterruptedException {
        String hex = String.format(Locale.ROOT, ":%04X", port);
        for (int i = 0; i < 300; i++) {
            for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(f))) {
                    String[] w = line.strip().split("\\s+");
                    if (w.length > 3 && w[1].endsWith(hex) && w[3].equals("0A")) {
                        return;
                    }
                }
            }
            if (!server.isAlive()) {
                fail("the Java server exited " + server.exitValue() + " before listening on TCP " + port);
            }
            Thread.sleep(100);
        }
        fail("the Java server did not listen on TCP " + port + " within 30 s");
    }

    static Path checkout() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("native-test/softroce-vm.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("native-test/softroce-vm.sh not found above " + Path.of("").toAbsolutePath());
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
