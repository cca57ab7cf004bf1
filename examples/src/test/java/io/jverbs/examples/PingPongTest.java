package io.jverbs.examples;

import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.Mtu;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pingpong pieces that need no device: command line, address lines, report. The wire format
 * is tested with the exchange itself, in the verbs module (PingPongExchangeTest).
 */
class PingPongTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
    private final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

    private PingPong.Options parse(String spec, String... args) {
        return PingPong.parse(args, spec, 4096, "Usage: x\n", outStream, errStream);
    }

    @Test
    void parsesGetoptStyle() {
        PingPong.Options o = parse("p:d:i:s:m:r:n:l:eg:oc", "-n100", "-g", "1", "--size=64", "--mtu", "2048", "-ec",
                "-p", "0x4853", "10.77.0.1", "-d", "rxe0");
        assertEquals(100, o.iters);
        assertEquals(1, o.gidIndex);
        assertEquals(64, o.size);
        assertEquals(Mtu.MTU_2048, o.mtu);
        assertTrue(o.events && o.check);
        assertEquals(18515, o.port);
        assertEquals("10.77.0.1", o.serverName);
        assertEquals("rxe0", o.ibDev);
        PingPong.Options d = parse("p:d:i:s:m:r:n:l:eg:oc");
        assertEquals(4096, d.size);
        assertEquals(1000, d.iters);
        assertEquals(500, d.rxDepth);
        assertEquals(-1, d.gidIndex);
        assertEquals(Mtu.MTU_1024, d.mtu);
        assertNull(d.serverName);
    }

    @Test
    void badFlagsPrintUsageAndExitTwo() {
        assertEquals(2, RcPingPong.run(new String[] {"-x"}, outStream, errStream));
        assertTrue(out.toString().startsWith("Usage:"), out.toString());
        assertTrue(err.toString().contains("invalid option -- 'x'"), err.toString());
        assertEquals(2, UdPingPong.run(new String[] {"-m", "1024"}, outStream, errStream), "ud has no -m");
        assertEquals(2, SrqPingPong.run(new String[] {"-n"}, outStream, errStream));
        assertEquals(2, RcPingPong.run(new String[] {"-m", "1000"}, outStream, errStream));
        assertEquals(2, RcPingPong.run(new String[] {"--iters=ten"}, outStream, errStream));
        assertEquals(2, RcPingPong.run(new String[] {"a", "b"}, outStream, errStream));
        assertEquals(1, SrqPingPong.run(new String[] {"-q", "600"}, outStream, errStream));
        assertTrue(err.toString().contains("rx_depth 500 is too small for 600 QPs"), err.toString());
    }

    @Test
    void addressLinesMatchTheC() {
        Endpoint e = new Endpoint(0, 0x11, 0x123, Gid.ofIpv4(new byte[] {10, 77, 0, 1}));
        assertEquals("  local address:  LID 0x0000, QPN 0x000011, PSN 0x000123, GID ::ffff:10.77.0.1",
                PingPong.addressLine("local address: ", e, ","));
        assertEquals("  remote address: LID 0x0000, QPN 0x000011, PSN 0x000123: GID ::ffff:10.77.0.1",
                PingPong.addressLine("remote address:", e, ":"));
    }

    @Test
    void reportLines() {
        PingPong.report(outStream, 0, 10_000_000L, 4096, 1000);
        assertEquals("8192000 bytes in 0.01 seconds = 6553.60 Mbit/sec\n1000 iters in 0.01 seconds = 10.00 usec/iter\n", out.toString());
    }
}
