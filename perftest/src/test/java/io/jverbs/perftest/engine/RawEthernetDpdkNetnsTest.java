package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.engine.NetnsPair.Jperf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RawEthernetNetnsTest} with the DPDK back end on both sides: each jperf process opens
 * {@code --port "dpdk:<EAL args> --vdev net_af_packet0,iface=<veth>"} (the opener found as a
 * service), initializing an EAL of its own without hugepages or PCI, with a file prefix of its own.
 * Needs root and DPDK's af_packet PMD (librte_net_af_packet), as the raw-eth DPDK tests do.
 */
class RawEthernetDpdkNetnsTest {
    private static NetnsPair net;

    @BeforeAll
    static void namespaces() {
        net = new NetnsPair('d');
    }

    @AfterAll
    static void cleanup() throws IOException {
        if (net == null) return;
        net.close();
        // rte_eal_cleanup leaves each prefix's runtime directory behind.
        for (String dir : List.of(net.ifServer + "b", net.ifServer + "l", net.ifClient + "b", net.ifClient + "l")) {
            Path d = Path.of("/var/run/dpdk", dir);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.walk(d)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Each side's EAL: its own file prefix (runtime directory) and lcore. */
    private static Function<String, String> dpdk(String run) {
        return iface -> "dpdk:--no-huge -m 256 --no-pci -l " + (iface.equals(net.ifServer) ? 0 : 1) + " --log-level 5"
                + " --file-prefix " + iface + run + " --vdev net_af_packet0,iface=" + iface;
    }

    @Test
    void bandwidthOverDpdkAfPacket() throws Exception {
        Jperf[] r = net.run("raw_ethernet_bw", dpdk("b"), " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -s 1024 -n 20000");
        RawEthernetNetnsTest.assertBandwidth(r, net, 20000);
        assertTrue(r[0].out().contains("net_af_packet0"), "the server's port is the DPDK ethdev:\n" + r[0].out());
    }

    @Test
    void latencyOverDpdkAfPacket() throws Exception {
        Jperf[] r = net.run("raw_ethernet_lat", dpdk("l"), " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -n 2000");
        RawEthernetNetnsTest.assertLatency(r, 2000);
        assertTrue(r[1].out().contains("net_af_packet0"), "the client's port is the DPDK ethdev:\n" + r[1].out());
    }
}
