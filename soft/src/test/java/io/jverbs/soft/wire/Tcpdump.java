package io.jverbs.soft.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tcpdump writing one interface's packets that match a filter into a pcap file (read back with
 * {@link RxeCapture#records}), for the soft device's wire tests on lo and perftest's interop test
 * on the VM's TAP. A capture that lost frames fails as such: the devices would be blamed for its
 * holes.
 */
public final class Tcpdump implements AutoCloseable {
    /** The pcap file. */
    public final Path file;
    private final Path log;
    private final Process process;

    private Tcpdump(Path file, Path log, Process process) {
        this.file = file;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts tcpdump on {@code iface} into {@code file} (its log beside it, NAME-tcpdump.log) and
     * waits until it listens.
     */
    public static Tcpdump start(String iface, String filter, Path file) throws IOException, InterruptedException {
        Path log = file.resolveSibling(file.getFileName().toString().replace(".pcap", "") + "-tcpdump.log");
        // Immediate mode: without it a SIGTERM lost what still sat in ring blocks. Immediate mode
        // gives fixed ring slots of the snap length, so the snap length is a jumbo frame's (9216,
        // more than any RoCEv2 frame at MTU 4096), not 262144: with that a 128 MiB ring was 512
        // slots, and a loaded host dropped 4373 of 4459 loopback frames of the loss test.
        Process p = new ProcessBuilder("tcpdump", "-i", iface, "-n", "--immediate-mode", "-B", "131072", "-U", "-s", "9216",
                "-w", file.toString(), filter)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Tcpdump t = new Tcpdump(file, log, p);
        for (int i = 0; i < 200; i++) {
            if (Files.readString(log).contains("listening on")) {
                return t;
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        t.close();
        throw new IllegalStateException("tcpdump on " + iface + " did not start: " + Files.readString(log));
    }

    /** Stops tcpdump once the file stops growing, and fails if the kernel dropped any frame. */
    public void stop() throws IOException, InterruptedException {
        // tcpdump exits on SIGTERM without writing what it has not read yet: wait for the file to settle.
        long size = -1;
        for (int stable = 0, i = 0; stable < 4 && i < 100; i++) {
            long now = Files.size(file);
            stable = now == size ? stable + 1 : 0;
            size = now;
            Thread.sleep(50);
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String text = Files.readString(log);
        assertTrue(text.lines().anyMatch(l -> l.equals("0 packets dropped by kernel")), "tcpdump lost packets: " + text);
    }

    /** Stops tcpdump if {@link #stop} was not called (a test that failed early). */
    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            try {
                stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
