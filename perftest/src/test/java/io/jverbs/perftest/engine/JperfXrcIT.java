package io.jverbs.perftest.engine;

import static io.jverbs.perftest.engine.Runs.PORT;
import static io.jverbs.perftest.engine.Runs.awaitPortFree;
import static io.jverbs.perftest.engine.Runs.c;
import static io.jverbs.perftest.engine.Runs.concat;
import static io.jverbs.perftest.engine.Runs.jperf;
import static io.jverbs.perftest.engine.Runs.pair;
import static io.jverbs.perftest.engine.Runs.positive;
import static io.jverbs.perftest.engine.Runs.process;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.it.TestDevice;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code -c XRC} on the test device ({@link TestDevice}), by its {@code IBV_DEVICE_XRC} flag. With
 * it (mlx5): jperf send_bw, write_bw and read_lat run between a jperf server and client, and
 * send_bw between jperf and C perftest both ways. Without it (Soft-RoCE): every side stops with
 * one line naming the device and the missing flag, in bounded time, whether the peer is jperf or
 * C perftest, and a peer that could run (an RC server here) sees the connection close instead of
 * waiting for QP info. Every side is time-boxed: a hang fails the test.
 */
@Tag("rdma")
class JperfXrcIT {
    /** Seconds any side may take; a refusal takes a few (the out-of-band connect, one sleep, the refusal). */
    private static final int T = 90;

    private static boolean xrc;

    @BeforeAll
    static void bounds() {
        Runs.boundWaits();
        try (Context ctx = TestDevice.open()) {
            xrc = ctx.queryDevice().supportsXrc();
        }
        System.out.println("XRC on " + TestDevice.device() + ": " + (xrc ? "supported" : "not supported"));
    }

    @BeforeEach
    void portFree() {
        awaitPortFree(PORT);
    }

    private static String[] args(String test, String... extra) {
        return Runs.onTestDevice(test, extra);
    }

    private static String[] client(String[] server) {
        return concat(server, "127.0.0.1");
    }

    @Test
    void jperfServerAndClient() {
        for (String test : List.of("send_bw", "write_bw", "read_lat")) {
            awaitPortFree(PORT);
            String[] a = args(test, "-c", "XRC");
            Runs.Result[] r = pair(() -> jperf(T, a), () -> jperf(T, client(a)));
            if (xrc) {
                runs(test, r[0], true);
                runs(test, r[1], false);
            } else {
                refusedByJperf(r[0]);
                refusedByJperf(r[1]);
            }
        }
    }

    @Test
    void jperfAndCPerftest() {
        String[] a = args("send_bw", "-c", "XRC");
        Runs.Result[] jServer = pair(() -> jperf(T, a), () -> process(T, c(client(a))));
        awaitPortFree(PORT);
        Runs.Result[] cServer = pair(() -> process(T, c(a)), () -> jperf(T, client(a)));
        if (xrc) {
            runs("send_bw", jServer[0], true);
            jServer[1].ok();
            positive(jServer[1].onlyRow()[3], "C client's average");
            cServer[0].ok();
            runs("send_bw", cServer[1], false);
        } else {
            refusedByJperf(jServer[0]);
            refusedByC(jServer[1]);
            refusedByC(cServer[0]);
            refusedByJperf(cServer[1]);
        }
    }

    /**
     * A peer that could run sees the refusing side close the connection: an RC server (jperf, then
     * C perftest) against a jperf {@code -c XRC} client. On an XRC device nothing refuses and the
     * two disagree on the transport; the check there is that both jperf sides end within their
     * bounds, whatever the outcome (C perftest has no such bound, so it is not run then).
     */
    @Test
    void aPeerThatCouldRunIsNotLeftWaiting() {
        String[] rc = args("send_bw");
        String[] xrcClient = client(args("send_bw", "-c", "XRC"));
        Runs.Result[] j = pair(() -> jperf(T, rc), () -> jperf(T, xrcClient));
        if (xrc) {
            System.out.println("RC server vs XRC client on an XRC device, exit codes: " + j[0].exit() + "/" + j[1].exit());
            return;
        }
        refusedByJperf(j[1]);
        assertEquals(ExitCodes.FAILURE, j[0].exit(), j[0].toString());
        assertTrue(j[0].err().contains("closed the connection"), "the RC server names the closed connection: " + j[0]);
        assertEquals(1, j[0].err().strip().lines().count(), j[0].toString());
        System.out.println("jperf RC server -> " + j[0].err().strip());

        awaitPortFree(PORT);
        Runs.Result[] cr = pair(() -> process(T, c(rc)), () -> jperf(T, xrcClient));
        refusedByJperf(cr[1]);
        assertEquals(1, cr[0].exit(), "C server ends with its failure, not killed by the time box (124): " + cr[0]);
        assertTrue(cr[0].err().contains("Failed to exchange data between server and clients"), cr[0].toString());
        System.out.println("C RC server -> " + cr[0].err().strip().replace('\n', '|'));
    }

    /** An XRC run: exit 0, perftest's XRC header, SRQ numbers in the address lines, a figure where this side measures. */
    private static void runs(String test, Runs.Result r, boolean server) {
        r.ok();
        assertTrue(r.out().contains(" Connection type : XRC\t\tUsing SRQ      : ON\n"), r.toString());
        int perSide = test.endsWith("_lat") ? 2 : 1;
        assertTrue(r.out().contains(" Number of qps   : " + perSide + "\t\t"), r.toString());
        assertEquals(2 * perSide, r.out().lines().filter(l -> l.contains(" address: ") && l.contains(" SRQn 0x")).count(),
                "local and remote address lines, each with an SRQ number: " + r);
        boolean measures = !(server && test.equals("read_lat"));
        if (measures) {
            positive(r.onlyRow()[test.endsWith("_bw") ? 3 : 2], test + (server ? " server" : " client") + " figure");
        } else {
            assertTrue(r.rows().isEmpty(), "a read_lat server prints no row: " + r);
        }
    }

    /** jperf on a device without XRC: exit 1 and one line that names the device and the missing capability. */
    private static void refusedByJperf(Runs.Result r) {
        assertEquals(ExitCodes.FAILURE, r.exit(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + r);
        assertTrue(err.contains("-c XRC: XRC domains are not supported by " + TestDevice.device()), err);
        assertTrue(err.contains("IBV_DEVICE_XRC"), err);
        assertTrue(r.rows().isEmpty(), r.toString());
        System.out.println(r.who() + " -> " + err);
    }

    /** C perftest on a device without XRC: it fails in ctx_init (exit 1), not killed by the time box (124). */
    private static void refusedByC(Runs.Result r) {
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("Error opening XRC domain"), r.toString());
    }
}
