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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the device lacks is refused before jperf listens, connects or prints anything ({@code -c DC}
 * on a device that is not mlx5, rdma_cm on a soft device): one line and exit 1, and no peer waits.
 */
class DcDeviceCheckTest {
    /**
     * {@code -c DC} asks the device first (is it mlx5?), before listening or printing anything: on
     * this host that is the soft device {@code jsoft0} (this module's tests configure it), which is
     * not mlx5, so the run is the one line saying DC needs one. The refusal by an rxe device is
     * checked in the VM (JperfMlx5IT).
     */
    @Test
    void dcAsksTheDeviceBeforeAnything() {
        String e = refused("send_lat", "-c", "DC", "-d", "jsoft0", "host");
        assertTrue(e.startsWith("jperf send_lat: -c DC: ") && e.contains("jsoft0") && e.contains("mlx5"), e);
    }

    /** rdma_cm cannot reach a device in this JVM: {@code -z} and {@code -R} on jsoft0 are one line saying so, before listening. */
    @Test
    void rdmaCmOnTheSoftDeviceIsRefusedBeforeAnything() {
        String z = refused("send_bw", "-z", "-d", "jsoft0");
        assertTrue(z.startsWith("jperf send_bw: -z: ") && z.contains("rdma_cm") && z.contains("jsoft0") && z.contains("TCP"), z);
        String r = refused("write_lat", "-R", "-d", "jsoft0", "host");
        assertTrue(r.startsWith("jperf write_lat: -R: ") && r.contains("rdma_cm") && r.contains("jsoft0"), r);
    }

    /** A device that does not exist is the one line naming it and the devices there are, before anything else. */
    @Test
    void aMissingDeviceIsNamedBeforeAnything() {
        String e = refused("send_lat", "-c", "DC", "-d", "nodev", "host");
        assertTrue(e.startsWith("jperf send_lat: ") && e.contains("No RDMA device named nodev") && e.contains("jsoft0"), e);
    }

    /** Runs jperf, which must fail (exit 1) with one line on stderr and nothing on stdout; returns the line. */
    private static String refused(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new Jperf(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                p -> Optional.of(new RdmaEngine()), SysfsRdma.system()).execute(args);
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(ExitCodes.FAILURE, code, e);
        assertEquals(1, e.lines().count(), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "refused before the header or any connection");
        return e;
    }
}
