package io.jverbs.raweth.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code dpdk:} spec syntax: words, quotes, the {@code --} options, the default {@code --in-memory}. */
class DpdkSpecTest {
    private static DpdkSpec parse(String text) {
        return DpdkSpec.parse(PortSpec.parse(text));
    }

    @Test
    void wordsSplitAtSpacesQuotesGroupAndCommasStay() {
        DpdkSpec s = parse("dpdk:--no-huge -m 256 --no-pci --vdev net_af_packet0,iface=veth0 --file-prefix p1");
        assertEquals(List.of("--no-huge", "-m", "256", "--no-pci", "--vdev", "net_af_packet0,iface=veth0", "--file-prefix", "p1"),
                s.ealArgs());
        assertNull(s.port());
        assertEquals(32, s.burst());
        assertEquals(List.of("--vdev", "net_pcap0,rx_pcap=/tmp/a b.pcap", "x\"y", "--file-prefix=q"),
                parse("dpdk:--vdev 'net_pcap0,rx_pcap=/tmp/a b.pcap'  'x\"y' --file-prefix=q").ealArgs());
        assertEquals(List.of("ab c", ""), DpdkSpec.words("a\"b c\" ''"));
    }

    @Test
    void optionsFollowALoneDoubleDash() {
        DpdkSpec s = parse("dpdk:--no-pci --in-memory --vdev net_ring0 -- port=net_ring0 burst=64");
        assertEquals(List.of("--no-pci", "--in-memory", "--vdev", "net_ring0"), s.ealArgs());
        assertEquals("net_ring0", s.port());
        assertEquals(64, s.burst());
        assertEquals("1", parse("dpdk:--no-pci -- port=1").port());
    }

    @Test
    void withoutAFilePrefixTheEalRunsInMemory() {
        assertEquals(List.of("--no-pci", "--in-memory"), parse("dpdk:--no-pci").ealArgs());
        assertEquals(List.of("--no-shconf"), parse("dpdk:--no-shconf").ealArgs());
    }

    @Test
    void badSpecsNameTheProblem() {
        for (String[] c : new String[][] {
            {"dpdk:--no-pci -- colour=red", "unknown option 'colour=red' after --"},
            {"dpdk:--no-pci -- port=", "port= needs an ethdev name or id"},
            {"dpdk:--no-pci -- burst=2000", "burst= must be 1..1024, not '2000'"},
            {"dpdk:--no-pci -- burst=x", "burst= must be 1..1024, not 'x'"},
            {"dpdk:--vdev \"net_tap0", "unbalanced \" in"},
            {"dpdk:-- port=1", "gives no EAL arguments"},
        }) {
            var e = assertThrows(IllegalArgumentException.class, () -> PortOpeners.check(PortSpec.parse(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
