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

/** Valid perftest command lines that jperf's engine does not run yet fail with one line naming the flag, before any device is opened. */
class NotImplementedTest {
    @Test
    void namesWhatIsMissing() throws Exception {
        assertEquals("-c DC (it needs mlx5 DC transport support: mlx5dv DCT/DCI)",
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

    @Test
    void dcIsRefusedInOneLineNamingWhatItNeeds() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new Jperf(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                p -> Optional.of(new RdmaEngine()), SysfsRdma.system()).execute("send_lat", "-c", "DC", "-d", "nodev", "host");
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCodes.FAILURE, code, e);
        assertEquals("jperf send_lat: not implemented in jperf yet: -c DC (it needs mlx5 DC transport support: mlx5dv DCT/DCI)",
                e.strip());
        assertEquals("", out.toString(StandardCharsets.UTF_8), "refused before the header or any connection");
    }
}
