package io.jverbs.raweth.linux;

import io.jverbs.raweth.wire.MacAddress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces and veths for raw-eth's port tests (the Linux ports here, the DPDK port's in
 * {@code io.jverbs.raweth.dpdk}), named uniquely per JVM and removed by {@link #close()} whatever
 * happened. Commands are bounded (10 s); a failure names the command and what it printed.
 */
public final class HostNet implements AutoCloseable {
    /** Short and unique per JVM: interface names have at most 15 characters. */
    public static final String TAG = Long.toString(ProcessHandle.current().pid() % 100_000, 36);
    /** A /24 per JVM and purpose: 10.(base).(pid).0; namespaces keep equal subnets of other JVMs apart anyway. */
    static final int SUBNET = (int) (ProcessHandle.current().pid() % 250);

    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();

    /** A fresh namespace {@code jv<tag><suffix>} with loopback up and IPv6 off (no neighbour discovery chatter). */
    public String namespace(String suffix) {
        String ns = "jv" + TAG + suffix;
        tryRun("ip", "netns", "del", ns); // a leftover of a killed run with the same pid
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /**
     * A veth pair: {@code a} in the root namespace, up, without addresses or IPv6; {@code b} likewise,
     * or in {@code bNamespace} when not null (configured by the caller).
     */
    public void veth(String a, String b, String bNamespace) {
        tryRun("ip", "link", "del", a);
        if (bNamespace == null) {
            run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        } else {
            run("ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", bNamespace);
        }
        links.add(a);
        quietUp(a);
        if (bNamespace == null) {
            quietUp(b);
        }
    }

    private static void quietUp(String link) {
        run("sysctl", "-qw", "net.ipv6.conf." + link + ".disable_ipv6=1");
        run("ip", "link", "set", link, "up");
    }

    /** Moves {@code tap} into {@code ns} and brings it up there with {@code cidr} (address/prefix). */
    public static void tapInto(String tap, String ns, String cidr) {
        run("ip", "link", "set", tap, "netns", ns);
        run("ip", "-n", ns, "addr", "add", cidr, "dev", tap);
        run("ip", "-n", ns, "link", "set", tap, "up");
    }

    /** Runs a command and returns its output; throws naming it when it fails. */
    public static String run(String... cmd) {
        return runWithin(10, cmd);
    }

    /** {@link #run}, for a command that may take up to {@code seconds}. */
    public static String runWithin(int seconds, String... cmd) {
        Result r = tryRunWithin(seconds, cmd);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    public record Result(int exit, String output) {}

    /** Runs a command, bounded by 10 s; the exit code is the caller's to judge. */
    public static Result tryRun(String... cmd) {
        return tryRunWithin(10, cmd);
    }

    /** {@link #tryRun}, for a command that may take up to {@code seconds}. */
    public static Result tryRunWithin(int seconds, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + seconds + " s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The MAC of {@code link} in {@code ns} (null: the root namespace). */
    public static MacAddress mac(String ns, String link) {
        String path = "/sys/class/net/" + link + "/address";
        return MacAddress.parse((ns == null ? run("cat", path) : run("ip", "netns", "exec", ns, "cat", path)).trim());
    }

    @Override
    public void close() {
        for (String l : links) tryRun("ip", "link", "del", l);
        for (String ns : namespaces) tryRun("ip", "netns", "del", ns);
    }
}
