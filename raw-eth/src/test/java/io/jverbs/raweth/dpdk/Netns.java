package io.jverbs.raweth.dpdk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kernel peers for the port tests: network namespaces and links with names unique to this JVM,
 * made with {@code ip} (root) and removed by {@link #close()} whatever happened. Every command is
 * bounded (10 s); a failure names the command and what it printed.
 */
final class Netns implements AutoCloseable {
    /** Short and unique per JVM: interface names have at most 15 characters. */
    static final String TAG = Long.toString(ProcessHandle.current().pid() % 100_000, 36);

    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();

    /** A fresh namespace {@code jr<tag><suffix>} with loopback up and IPv6 off (no stray traffic). */
    String namespace(String suffix) {
        String ns = "jr" + TAG + suffix;
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /** A root-namespace link deleted at close. */
    void ownLink(String name) {
        links.add(name);
    }

    static String run(String... cmd) {
        Result r = tryRun(cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    record Result(int exit, String output) {}

    static Result tryRun(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 10 s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A counter of {@code /proc/net/snmp} in {@code ns}, e.g. {@code ("Udp", "InCsumErrors")}. */
    static long snmp(String ns, String group, String field) {
        String[] lines = run("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith(group + ":") && lines[i + 1].startsWith(group + ":")) {
                String[] names = lines[i].trim().split("\\s+");
                String[] values = lines[i + 1].trim().split("\\s+");
                for (int j = 1; j < names.length; j++) {
                    if (names[j].equals(field)) return Long.parseLong(values[j]);
                }
            }
        }
        throw new IllegalArgumentException("no " + group + " " + field + " in /proc/net/snmp of " + ns);
    }

    @Override
    public void close() {
        for (String l : links) tryRun("ip", "link", "del", l);
        for (String ns : namespaces) tryRun("ip", "netns", "del", ns);
    }
}
