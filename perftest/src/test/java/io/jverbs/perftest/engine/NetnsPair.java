package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Two network namespaces joined by a veth pair, named after this JVM's pid and a variant letter
 * (each test class has its own), and jperf processes run in them ({@code ip netns exec}) as a user
 * runs them. Needs root. {@link #close()} removes both namespaces, which removes the veth.
 */
final class NetnsPair implements AutoCloseable {
    final String nsServer;
    final String nsClient;
    final String ifServer;
    final String ifClient;
    final String macServer;
    final String macClient;

    /** A jperf process's exit code and output. */
    record Jperf(int code, String out) {
    }

    NetnsPair(char variant) {
        String tag = "jvr" + Long.toString(ProcessHandle.current().pid() % 100_000, 36) + variant;
        nsServer = ifServer = tag + "s";
        nsClient = ifClient = tag + "c";
        for (String ns : new String[] {nsServer, nsClient}) {
            sh(false, "ip", "netns", "del", ns);
            sh(true, "ip", "netns", "add", ns);
            sh(true, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
        }
        sh(true, "ip", "link", "add", ifServer, "netns", nsServer, "type", "veth", "peer", "name", ifClient, "netns", nsClient);
        sh(true, "ip", "-n", nsServer, "link", "set", ifServer, "up");
        sh(true, "ip", "-n", nsClient, "link", "set", ifClient, "up");
        macServer = sh(true, "ip", "netns", "exec", nsServer, "cat", "/sys/class/net/" + ifServer + "/address").strip();
        macClient = sh(true, "ip", "netns", "exec", nsClient, "cat", "/sys/class/net/" + ifClient + "/address").strip();
    }

    @Override
    public void close() {
        sh(false, "ip", "netns", "del", nsServer); // deleting a namespace deletes its veth end and the pair
        sh(false, "ip", "netns", "del", nsClient);
    }

    static String sh(boolean check, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || check && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        }
    }

    /** jperf in {@code ns} with {@code --port port} (one argument, spaces and all) and {@code line} split at spaces. */
    private static Process start(String ns, String test, String port, String line) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, "io.jverbs.perftest.cli.Jperf", test, "--port", port));
        cmd.addAll(List.of(line.trim().split(" +")));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /**
     * Starts the server on {@code portOf(ifServer)}, waits until it prints its table header (its
     * port is open), then runs the client on {@code portOf(ifClient)}; both print to stdout.
     */
    Jperf[] run(String test, Function<String, String> portOf, String common) throws Exception {
        Process server = start(nsServer, test, portOf.apply(ifServer), "--server -B " + macServer + " -E " + macClient + common);
        BufferedReader sout = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder serverOut = new StringBuilder();
        try {
            String l;
            while ((l = sout.readLine()) != null) {
                serverOut.append(l).append('\n');
                if (l.startsWith(" #bytes")) {
                    break;
                }
            }
            assertTrue(serverOut.toString().contains(" #bytes"), "the server did not start: " + serverOut);
            CompletableFuture<String> rest = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            Process client = start(nsClient, test, portOf.apply(ifClient), "--client -B " + macClient + " -E " + macServer + common);
            String clientOut = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(120, TimeUnit.SECONDS));
            assertTrue(server.waitFor(120, TimeUnit.SECONDS));
            serverOut.append(rest.get(10, TimeUnit.SECONDS));
            System.out.println("---- server (" + nsServer + ")\n" + serverOut + "---- client (" + nsClient + ")\n" + clientOut);
            return new Jperf[] {new Jperf(server.exitValue(), serverOut.toString()), new Jperf(client.exitValue(), clientOut)};
        } finally {
            server.destroyForcibly();
        }
    }

    /** The first result row after the table header: its whitespace-separated fields. */
    static String[] row(String out) {
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].startsWith(" #bytes")) {
                return lines[i + 1].trim().split("\\s+");
            }
        }
        throw new AssertionError("no result row in:\n" + out);
    }
}
