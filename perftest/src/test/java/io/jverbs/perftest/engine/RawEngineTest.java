package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.report.BwResult;
import io.jverbs.perftest.report.LatencyStats;
import io.jverbs.perftest.report.RunReport;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** raw_ethernet_bw and _lat end to end over two in-memory ports, each side on its own thread. */
class RawEngineTest {
    static final String MAC_S = "02:00:00:00:00:0a";
    static final String MAC_C = "02:00:00:00:00:0b";
    static final String ADDR = " -J 10.9.0.1 -j 10.9.0.2 -K 7000 -k 7001";

    /** One side's outcome: its report and what it printed. */
    record Side(RunReport report, String out, String err) {
    }

    static TestParameters params(String line) throws Exception {
        return Jperf.parse(line.split(" +"));
    }

    static Side side(TestParameters p, PacketPort port) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RunReport report = new RunReport(p, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        RawEngine.run(p, report, port);
        return new Side(report, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the server (started first, as perftest needs) and the client; returns {server, client}. */
    static Side[] pair(String test, String common, String serverExtra, int dropEvery) throws Exception {
        TestParameters ps = params(test + " --port afpacket:s --server -B " + MAC_S + " -E " + MAC_C + common
                + serverExtra);
        TestParameters pc = params(test + " --port afpacket:c --client -B " + MAC_C + " -E " + MAC_S + common);
        // A thread each: the common pool may have one worker on a small machine.
        try (PipePorts pipe = new PipePorts(MacAddress.parse(MAC_S), MacAddress.parse(MAC_C), dropEvery);
             ExecutorService threads = Executors.newFixedThreadPool(2)) {
            CompletableFuture<Side> server = CompletableFuture.supplyAsync(() -> side(ps, pipe.a), threads);
            Thread.sleep(100);
            CompletableFuture<Side> client = CompletableFuture.supplyAsync(() -> side(pc, pipe.b), threads);
            return new Side[] {server.get(60, TimeUnit.SECONDS), client.get(60, TimeUnit.SECONDS)};
        }
    }

    @Test
    void bandwidthCountsEveryFrameOnBothSides() throws Exception {
        Side[] s = pair("raw_ethernet_bw", ADDR + " -n 20000 -s 1024", "", 0);
        BwResult server = s[0].report().bandwidthResults().getFirst();
        BwResult client = s[1].report().bandwidthResults().getFirst();
        assertEquals(20000, client.iterations());
        assertEquals(20000, server.iterations(), s[0].out());
        assertEquals(1024, client.size());
        assertTrue(client.average() > 0 && client.peak() >= client.average() * 0.99, client.toString());
        assertTrue(server.average() > 0 && server.msgRate() > 0, server.toString());
        assertEquals(0, server.peak(), "a server has no peak, as in perftest");
        assertFalse(s[0].out().contains("ignored"), s[0].out());
        assertTrue(s[0].out().contains("                    Send BW Test\n"), s[0].out());
        assertTrue(s[0].out().contains(" Connection type : RawEth"), s[0].out());
        assertTrue(s[0].out().contains("MAC attached  : 02:00:00:00:00:0A\n"), s[0].out());
        assertTrue(s[1].out().contains("|Source IP |10.9.0.2    |\n"), s[1].out());
        assertFalse(s[1].out().contains("MAC attached"), "a bw client has no flow rule: " + s[1].out());
    }

    @Test
    void bandwidthServerReportsLostFramesAfterTheIdleTimeout() throws Exception {
        Side[] s = pair("raw_ethernet_bw", ADDR + " -n 5000 -s 128", " --idle-timeout 1", 10);
        BwResult server = s[0].report().bandwidthResults().getFirst();
        assertEquals(4500, server.iterations(), "every 10th frame was lost on the wire");
        assertTrue(s[0].out().contains(" jperf: received 4500 of 5000 frames; 500 lost (none for 1 s)\n"), s[0].out());
        assertEquals(5000, s[1].report().bandwidthResults().getFirst().iterations());
    }

    @Test
    void latencyPingPongTimesEveryRoundTripOnBothSides() throws Exception {
        Side[] s = pair("raw_ethernet_lat", ADDR + " --tcp -n 2000", "", 0);
        for (Side side : s) {
            LatencyStats l = side.report().latencyResults().getFirst();
            assertEquals(2000, l.iterations());
            assertEquals(64, l.size(), "2 bytes raised to perftest's raw minimum");
            assertTrue(side.out().contains(" Min msg size for RawEth is 64B - changing msg size to 64 \n"), side.out());
            assertTrue(l.min() > 0 && l.min() <= l.typical() && l.typical() <= l.max(), l.toString());
            assertTrue(l.p99() >= l.typical() && l.average() < 10_000, l.toString());
            assertTrue(side.out().contains("**TCP header"), side.out());
            assertTrue(side.out().contains("MAC attached"), "both lat sides print their rule: " + side.out());
        }
    }

    @Test
    void sizesAboveTheMtuAreClampedAndFramesWithoutIpUseTheLengthAsType() throws Exception {
        Side[] s = pair("raw_ethernet_bw", " -n 500", "", 0);
        BwResult client = s[1].report().bandwidthResults().getFirst();
        assertEquals(PipePorts.MTU, client.size());
        assertTrue(s[1].out().contains(" Max msg size in RawEth is MTU 1500\n Changing msg size to this MTU\n"),
                s[1].out());
        assertTrue(s[1].out().contains("|DEFAULT               |"), s[1].out());
        assertEquals(500, s[0].report().bandwidthResults().getFirst().iterations());
    }

    @Test
    void durationRunsCountTheSampleWindow() throws Exception {
        Side[] s = pair("raw_ethernet_lat", ADDR + " -D 2 -f 0", "", 0);
        long[] trips = new long[2];
        for (int i = 0; i < 2; i++) {
            LatencyStats l = s[i].report().latencyResults().getFirst();
            // Few on a loaded 2-core host (two spinning threads share it with builds): the count
            // matters less than that both sides counted the same ping-pong.
            assertTrue(l.iterations() >= 10, "round trips in 2 s: " + l.iterations());
            assertTrue(l.samples() >= 10 && l.max() >= l.min() && l.min() > 0, l.toString());
            trips[i] = l.iterations();
        }
        assertTrue(Math.abs(trips[0] - trips[1]) <= 3, "server " + trips[0] + ", client " + trips[1]);
        Side[] b = pair("raw_ethernet_bw", ADDR + " -D 2 -f 0 -s 256", "", 0);
        BwResult client = b[1].report().bandwidthResults().getFirst();
        BwResult server = b[0].report().bandwidthResults().getFirst();
        assertTrue(client.iterations() > 1000 && server.iterations() > 1000, client + " / " + server);
        assertTrue(server.iterations() <= client.iterations() + PipePorts.SLOTS, client + " / " + server);
    }

    @Test
    void aSilentPeerFailsTheServerWithAHint() throws Exception {
        System.setProperty("jperf.rawFirstFrameSeconds", "1");
        try (PipePorts pipe = new PipePorts(MacAddress.parse(MAC_S), MacAddress.parse(MAC_C), 0)) {
            TestParameters ps = params("raw_ethernet_bw --port afpacket:s --server -B " + MAC_S + ADDR);
            EngineException e = org.junit.jupiter.api.Assertions.assertThrows(EngineException.class,
                    () -> side(ps, pipe.a));
            assertTrue(e.getMessage().contains("the client's first frame (start the server first"), e.getMessage());
        } finally {
            System.clearProperty("jperf.rawFirstFrameSeconds");
        }
    }
}
