package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EalOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The one EAL of a raw-eth test JVM (DPDK initializes once per process): made on first use with a
 * file prefix of its own (other JVMs and helpers run DPDK beside it), no hugepages, no PCI, and
 * the net_ring loopback ports the tests use; vdevs with kernel peers are probed later
 * ({@link Eal#probe}). Closed, runtime directory included, when the JVM exits.
 */
final class DpdkTestEal {
    static final String PREFIX = "jverbs-raweth-" + ProcessHandle.current().pid();
    private static Eal eal;

    private DpdkTestEal() {}

    static synchronized Eal get() {
        if (eal == null) {
            eal = Eal.init(EalOptions.builder().lcores("0").noHuge().memoryMb(256).noPci().filePrefix(PREFIX).logLevel(5)
                    .vdev("net_ring0")   // DpdkPortTest: a port whose tx ring is its rx ring
                    .vdev("net_ring1")   // DpdkPortTest: use after close (its pool closes this ethdev)
                    .vdev("net_ring2")   // DpdkRingConformanceTest
                    .build());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                eal.close();
                deleteRuntimeDir();
            }));
        }
        return eal;
    }

    /** EAL leaves /var/run/dpdk/PREFIX (or $XDG_RUNTIME_DIR/dpdk/PREFIX) behind. */
    private static void deleteRuntimeDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        for (Path base : new Path[] {Path.of("/var/run/dpdk"), xdg == null ? null : Path.of(xdg, "dpdk")}) {
            if (base == null) continue;
            Path dir = base.resolve(PREFIX);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort: a leftover directory is harmless
            }
        }
    }
}
