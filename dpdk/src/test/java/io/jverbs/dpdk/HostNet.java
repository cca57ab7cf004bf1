package io.jverbs.dpdk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kernel peers for the vdev tests: network namespaces and veths with names unique to this JVM,
 * made with {@code ip} (root), removed by {@link #close()} whatever happened. Every command is
 * bounded (10 s) and a failure says which command and what it printed.
 */
final class HostNet implements AutoCloseable {
    /** Short and unique per JVM: interface names have at most 15 characters. */
    static final String TAG = Long.toString(ProcessHandle.current().pid() % 100_000, 36);

    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();

    /** A fresh namespace named {@code jv<tag><suffix>}, loopback up. */
    String namespace(String suffix) {
        String ns = "jv" + TAG + suffix;
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        run("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** Remembers a root-namespace link to delete at close (a veth or a tap moved back). */
    void ownLink(String name) {
        links.add(name);
    }

    /** Runs a command and returns its output; throws naming it when it fails. */
    static String run(String... cmd) {
        Result r = tryRun(cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    record Result(int exit, String output) {}

    /** Runs a command, bounded by 10 s; the exit code is the caller's to judge. */
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

    /** The MAC address of {@code link} in {@code ns} (null: the root namespace). */
    static MacAddress mac(String ns, String link) {
        String out = ns == null ? run("cat", "/sys/class/net/" + link + "/address")
                : run("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + link + "/address");
        return MacAddress.parse(out.trim());
    }

    @Override
    public void close() {
        for (String l : links) tryRun("ip", "link", "del", l);
        for (String ns : namespaces) tryRun("ip", "netns", "del", ns);
    }
}
