package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.engine.NetnsPair.Jperf;
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
    private static NetnsPair net;

    @BeforeAll
    static void namespaces() {
        net = new NetnsPair('a');
    }

    @AfterAll
    static void cleanup() {
        if (net != null) net.close();
    }

    @Test
    void bandwidthBetweenTwoNamespacesOverVeth() throws Exception {
        Jperf[] r = net.run("raw_ethernet_bw", iface -> "afpacket:" + iface,
                " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -s 1024 -n 20000");
        assertBandwidth(r, net, 20000);
    }

    /** Both sides exit 0 with a row; the client sent all, the server got most (veth may drop) and says what it lost. */
    static void assertBandwidth(Jperf[] r, NetnsPair net, int frames) {
        assertEquals(0, r[1].code(), r[1].out());
        assertEquals(0, r[0].code(), r[0].out());
        String[] client = NetnsPair.row(r[1].out());
        String[] server = NetnsPair.row(r[0].out());
        assertEquals("1024", client[0]);
        assertEquals(Integer.toString(frames), client[1]);
        assertTrue(Double.parseDouble(client[3]) > 1, "client MiB/s: " + String.join(" ", client));
        long got = Long.parseLong(server[1]);
        // veth drops when the receiver's ring overflows: the server reports what came, and what was lost.
        assertTrue(got > frames / 20 && got <= frames, "server received " + got);
        assertTrue(got == frames || r[0].out().contains("lost"), r[0].out());
        assertTrue(Double.parseDouble(server[3]) > 1, "server MiB/s: " + String.join(" ", server));
        assertTrue(r[0].out().contains("MAC attached  : " + net.macServer.toUpperCase()), r[0].out());
    }

    @Test
    void latencyBetweenTwoNamespacesOverVeth() throws Exception {
        Jperf[] r = net.run("raw_ethernet_lat", iface -> "afpacket:" + iface, " -J 10.77.0.1 -j 10.77.0.2 -K 5001 -k 5002 -n 2000");
        assertLatency(r, 2000);
    }

    /** Both sides exit 0 with a row of {@code frames} round trips and ordered figures. */
    static void assertLatency(Jperf[] r, int frames) {
        for (Jperf side : r) {
            assertEquals(0, side.code(), side.out());
            String[] row = NetnsPair.row(side.out());
            assertEquals("64", row[0]);
            assertEquals(Integer.toString(frames), row[1]);
            double min = Double.parseDouble(row[2]);
            double typical = Double.parseDouble(row[4]);
            double max = Double.parseDouble(row[3]);
            assertTrue(min > 0 && min <= typical && typical <= max, String.join(" ", row));
        }
    }
}
