package io.jverbs.soft.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An nftables table of one test (its name has the JVM's pid and a sequence number, so parallel
 * builds never share one), deleted by {@link #close} whatever the test did. Rules are lines of
 * {@code chain in} (the input hook: the packet is on the loopback capture, then dropped before
 * its socket) or {@code chain out} (the output hook: the packet never reaches the link, so it is
 * not captured, and the sender's {@code sendto} fails with EPERM, which the soft device counts as
 * a loss). Each rule should end in {@code counter drop}; {@link #dropped} reads the counters.
 */
final class Nft implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    final String table;

    private Nft(String table) {
        this.table = table;
    }

    /** Fails (never skips) when this JVM is not root: nftables and tcpdump need it. */
    static void requireRoot(String what) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    assertEquals("0", line.split("\\s+")[2],
                            what + " needs root (nftables rules on lo and tcpdump): run the soft module's tests as root, as CI does");
                    return;
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status to check for root", e);
        }
        fail("no Uid line in /proc/self/status");
    }

    /**
     * Loads a table with an {@code in} and an {@code out} filter chain holding these rules, and a
     * dynamic set {@code hit} of IPv4 addresses for drop-once rules ({@link #once}).
     */
    static Nft load(List<String> in, List<String> out) {
        requireRoot("a test dropping packets");
        Nft t = new Nft("jverbs_soft_" + ProcessHandle.current().pid() + "_" + SEQUENCE.incrementAndGet());
        StringBuilder s = new StringBuilder("table inet " + t.table + " {\n set hit { type ipv4_addr; flags dynamic; }\n");
        s.append(" chain in { type filter hook input priority 0;\n");
        in.forEach(r -> s.append("  ").append(r).append('\n'));
        s.append(" }\n chain out { type filter hook output priority 0;\n");
        out.forEach(r -> s.append("  ").append(r).append('\n'));
        s.append(" }\n}\n");
        run(List.of("nft", "-f", "-"), s.toString());
        return t;
    }

    /**
     * A rule dropping the first RoCEv2 packet to {@code destination} with this BTH opcode and PSN
     * (raw payload matches: the BTH follows the 8-byte UDP header, its opcode is bits 64..71 of the
     * transport header, its PSN bits 136..159) and no later one: the first match puts the address
     * into {@code hit}, which the rule then excludes.
     */
    static String once(String destination, int opcode, int psn) {
        return String.format("ip daddr %s udp dport 4791 @th,64,8 0x%x @th,136,24 0x%x ip daddr != @hit add @hit { ip daddr } counter drop",
                destination, opcode, psn);
    }

    /** A rule dropping {@code percent}% of the RoCEv2 packets to {@code destination}, at random. */
    static String random(String destination, int percent) {
        return "ip daddr " + destination + " udp dport 4791 numgen random mod 100 < " + percent + " counter drop";
    }

    /** A rule dropping every RoCEv2 packet to {@code destination}. */
    static String all(String destination) {
        return "ip daddr " + destination + " udp dport 4791 counter drop";
    }

    /** The packets each rule dropped so far, in rule order (the in chain's first). */
    long[] dropped() {
        String listing = run(List.of("nft", "list", "table", "inet", table), null);
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(listing);
        List<Long> n = new ArrayList<>();
        while (m.find()) {
            n.add(Long.parseLong(m.group(1)));
        }
        return n.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public void close() {
        run(List.of("nft", "delete", "table", "inet", table), null);
    }

    private static String run(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
            assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + out + (stdin == null ? "" : "\n" + stdin));
            return out;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", cmd) + ": " + e.getMessage() + " (is nftables installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
