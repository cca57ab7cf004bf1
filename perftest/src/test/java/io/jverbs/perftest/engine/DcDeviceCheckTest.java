package io.jverbs.perftest.engine;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.system.SysfsRdma;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Valid perftest command lines that jperf's engine does not run yet fail with one line naming the flag, before any connection. */
class NotImplementedTest {
    @Test
    void namesWhatIsMissing() throws Exception {
        assertEquals("-c DC on mlx5 (io.jverbs.verbs.mlx5 creates DCT/DCI; jperf's measured loops do not post through them yet)",
                RdmaEngine.notImplemented(Jperf.parse("write_bw", "-c", "DC")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_bw", "-c", "XRC")), "XRC runs (or the device refuses it)");
        assertNull(RdmaEngine.notImplemented(Jperf.parse("read_lat", "-c", "XRC")));
        for (String test : new String[] {"write_bw", "read_bw", "atomic_bw"}) {
            assertNull(RdmaEngine.notImplemented(Jperf.parse(test, "--run_infinitely", "-b")), test + " -b runs infinitely");
        }
        assertNull(RdmaEngine.notImplemented(Jperf.parse("write_bw", "--run_infinitely", "--loopback")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_bw", "--run_infinitely", "--loopback")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("read_bw", "--run_infinitely", "-b", "--loopback")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("write_bw", "--run_infinitely")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_bw", "--run_infinitely", "-c", "UD")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_bw", "-R", "-c", "UD")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_lat", "-R", "-c", "UD")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_bw", "-c", "UD")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("send_lat", "-e")));
        assertNull(RdmaEngine.notImplemented(Jperf.parse("write_bw", "-R", "-q", "2")));
    }

    /**
     * {@code -c DC} asks the device first (is it mlx5?), before listening or printing anything: on
     * this host, which has no RDMA device, that is the one line saying the device is missing. The
     * refusal by an rxe device is checked in the VM (JperfMlx5IT).
     */
    @Test
    void dcAsksTheDeviceBeforeAnything() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new Jperf(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                p -> Optional.of(new RdmaEngine()), SysfsRdma.system()).execute("send_lat", "-c", "DC", "-d", "nodev", "host");
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(ExitCodes.FAILURE, code, e);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("jperf send_lat: ") && e.contains("No RDMA device found (looking for nodev)"), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "refused before the header or any connection");
    }
}
