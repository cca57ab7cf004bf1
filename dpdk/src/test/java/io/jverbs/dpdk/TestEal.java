package io.jverbs.dpdk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The one EAL of a test JVM (DPDK initializes once per process): created on first use with a
 * file prefix of its own, no hugepages and vdevs for each test class, and cleaned up when the JVM
 * exits, runtime directory included.
 */
final class TestEal {
    static final String PREFIX = "jverbs-test-" + ProcessHandle.current().pid();
    private static Eal eal;

    private TestEal() {}

    static synchronized Eal get() {
        if (eal == null) {
            eal = Eal.init(options(PREFIX)
                    .vdev("net_ring0")   // EthPortTest: loopback
                    .vdev("net_ring1")   // EthPortTest: stop/start, allocation
                    .vdev("net_null0")   // EthPortTest: bulk counts and stats
                    .vdev("net_null1")   // EthPortTest: use after close
                    .vdev("net_null2")   // EthPortTest: unsupported offloads
                    .build());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                eal.close();
                deleteRuntimeDir(PREFIX);
            }));
        }
        return eal;
    }

    /** Options every test EAL uses: main lcore 0, 256 MB without hugepages, no PCI, quiet. */
    static EalOptions.Builder options(String prefix) {
        return EalOptions.builder().lcores("0").noHuge().memoryMb(256).noPci().filePrefix(prefix).logLevel(5);
    }

    /** EAL leaves /var/run/dpdk/PREFIX (or $XDG_RUNTIME_DIR/dpdk/PREFIX) behind. */
    static void deleteRuntimeDir(String prefix) {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        for (Path base : new Path[] {Path.of("/var/run/dpdk"), xdg == null ? null : Path.of(xdg, "dpdk")}) {
            if (base == null) continue;
            Path dir = base.resolve(prefix);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort: a leftover directory is harmless
            }
        }
    }
}
