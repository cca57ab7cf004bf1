package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jperf raw_ethernet_bw and raw_ethernet_lat as a user runs them: two jperf processes, each in a
 * network namespace of its own ({@code ip netns exec}), on the two ends of a veth pair, with
 * {@code --port afpacket:<veth>} (the AF_PACKET back end found as a service). Needs root, as the
 * raw-eth AF_PACKET tests do. The namespaces and the veth are removed whatever happens.
 */
class RawEthernetNetnsTest {
    private static final String TAG = Long.toString(ProcessHandle.current().pid() % 100_000, 36);
    private static final String NS_S = "jvr" + TAG + "s";
    private static final String NS_C = "jvr" + TAG + "c";
    private static final String IF_S = "jvr" + TAG + "s";
    private static final String IF_C = "jvr" + TAG + "c";
    private static String macS;
    private static String macC;

    @BeforeAll
    static void namespaces() {
        for (String ns : new String[] {NS_S, NS_C}) {
            sh(false, "ip", "netns", "del", ns);
            sh(true, "ip", "netns", "add", ns);
            sh(true, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
        }
        sh(true, "ip", "link", "add", IF_S, "netns", NS_S, "type", "veth", "peer", "name", IF_C, "netns", NS_C);
        sh(true, "ip", "-n", NS_S, "link", "set", IF_S, "up");
        sh(true, "ip", "-n", NS_C, "link", "set", IF_C, "up");
        macS = sh(true, "ip", "netns", "exec", NS_S, "cat", "/sys/class/net/" + IF_S + "/address").strip();
        macC = sh(true, "ip", "netns", "exec", NS_C, "cat", "/sys/class/net/" + IF_C + "/address").strip();
    }

    @AfterAll
    static void cleanup() {
        sh(false, "ip", "netns", "del", NS_S); // deleting a namespace deletes its veth end and the pair
        sh(false, "ip", "netns", "del", NS_C);
    }

    private static String sh(boolean check, String... cmd) {
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

    /** A jperf process in {@code ns}; its output, exit code. */
    record Jperf(int code, String out) {
    }

    private static Process start(String ns, String line) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, "io.jverbs.perftest.cli.Jperf"));
        cmd.addAll(List.of(line.split(" +")));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Starts the server, waits until it prints its table header (its port is open), then runs the client. */
    private static Jperf[] run(String test, String common) throws Exception {
        Process server = start(NS_S, test + " --port afpacket:" + IF_S + " --server -B " + macS + " -E " + macC + common);
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
            Process client = start(NS_C, test + " --port afpacket:" + IF_C + " --client -B " + macC + " -E " + macS + common);
            String clientOut = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(120, TimeUnit.SECONDS));
            assertTrue(server.waitFor(120, TimeUnit.SECONDS));
            serverOut.append(rest.get(10, TimeUnit.SECONDS));
            System.out.println("---- server (" + NS_S + ")\n" + serverOut + "---- client (" + NS_C + ")\n" + clientOut);
            return new Jperf[] {new Jperf(server.exitValue(), serverOut.toString()), new Jperf(client.exitValue(), clientOut)};
        } finally {
            server.destroyForcibly();
        }
    }

    /** The first result row after the table header: its whitespace-separated fields. */
    private static String[] row(String out) {
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].startsWith(" #bytes")) {
                return lines[i + 1].trim().split("\\s+");
            }
        }
        throw new AssertionError("no result row in:\n" + out);
    }

    @Test
    void bandwidthBetweenTwoNamespacesOverVeth() throws Exception {
        Jperf[] r = run("raw_ethernet_bw", " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -s 1024 -n 20000");
        assertEquals(0, r[1].code(), r[1].out());
        assertEquals(0, r[0].code(), r[0].out());
        String[] client = row(r[1].out());
        String[] server = row(r[0].out());
        assertEquals("1024", client[0]);
        assertEquals("20000", client[1]);
        assertTrue(Double.parseDouble(client[3]) > 1, "client MiB/s: " + String.join(" ", client));
        long got = Long.parseLong(server[1]);
        // veth drops when the receiver's ring overflows: the server reports what came, and what was lost.
        assertTrue(got > 1000 && got <= 20000, "server received " + got);
        assertTrue(got == 20000 || r[0].out().contains("lost"), r[0].out());
        assertTrue(Double.parseDouble(server[3]) > 1, "server MiB/s: " + String.join(" ", server));
        assertTrue(r[0].out().contains("MAC attached  : " + macS.toUpperCase()), r[0].out());
    }

    @Test
    void latencyBetweenTwoNamespacesOverVeth() throws Exception {
        Jperf[] r = run("raw_ethernet_lat", " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -n 2000");
        for (Jperf side : r) {
            assertEquals(0, side.code(), side.out());
            String[] row = row(side.out());
            assertEquals("64", row[0]);
            assertEquals("2000", row[1]);
            double min = Double.parseDouble(row[2]);
            double typical = Double.parseDouble(row[4]);
            double max = Double.parseDouble(row[3]);
            assertTrue(min > 0 && min <= typical && typical <= max, String.join(" ", row));
        }
    }
}
