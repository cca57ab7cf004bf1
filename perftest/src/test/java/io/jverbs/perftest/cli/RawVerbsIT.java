package io.jverbs.perftest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.system.SysfsRdma;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * jperf's raw tests on the verbs back end ({@code -d DEV}, found as a service) on the test device:
 * Soft-RoCE refuses RAW_PACKET QPs, and jperf says so in one line and exits 1, before printing any
 * report. (A RAW_PACKET-capable NIC runs the data path in the hardware group, not here.)
 */
@Tag("rdma")
class RawVerbsIT {
    private static final String DEV = System.getenv().getOrDefault("JVERBS_RDMA_DEV", "rxe0");

    private static void assertRefused(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Jperf(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Jperf::serviceEngine, SysfsRdma.system()).execute(args);
        String e = err.toString(StandardCharsets.UTF_8);
        System.out.println("jperf " + String.join(" ", args) + " -> exit " + code + "\n" + e);
        assertEquals(ExitCodes.FAILURE, code, e);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing is reported before the port opens");
        assertTrue(e.endsWith("\n") && e.indexOf('\n') == e.length() - 1, "one line: " + e);
        assertTrue(e.startsWith("jperf " + args[0] + ": "), e);
        assertTrue(e.contains(DEV) && e.contains("RAW_PACKET"), "names the device and the feature: " + e);
    }

    @Test
    void rawEthernetBwOnSoftRoceFailsWithTheTypedRefusal() {
        assertRefused("raw_ethernet_bw", "-d", DEV, "--server", "-B", "02:00:00:00:00:01", "-J", "10.77.0.1", "-j", "10.77.0.2",
                "-K", "5001", "-k", "5002");
    }

    @Test
    void rawEthernetLatOnSoftRoceFailsTheSameWayWithADevicePort() {
        assertRefused("raw_ethernet_lat", "-d", DEV, "-i", "1", "--client", "-B", "02:00:00:00:00:02", "-E", "02:00:00:00:00:01");
    }
}
