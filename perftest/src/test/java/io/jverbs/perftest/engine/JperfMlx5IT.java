package io.jverbs.perftest.engine;

import static io.jverbs.perftest.engine.Runs.PORT;
import static io.jverbs.perftest.engine.Runs.awaitPortFree;
import static io.jverbs.perftest.engine.Runs.c;
import static io.jverbs.perftest.engine.Runs.check;
import static io.jverbs.perftest.engine.Runs.concat;
import static io.jverbs.perftest.engine.Runs.jperf;
import static io.jverbs.perftest.engine.Runs.pair;
import static io.jverbs.perftest.engine.Runs.process;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.system.HugePages;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.it.TestDevice;
import io.jverbs.verbs.mlx5.Mlx5;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * jperf's options that need more than Soft-RoCE has, by what the test device and machine offer:
 * {@code -c DC} (an mlx5 device), {@code --use_ib_dm_dmabuf} (on-device memory) and
 * {@code --use_hugepages} (free huge pages). Without the feature each test stops at once with exit
 * 1 and one line naming the device and what is missing, before it listens (so no peer is needed
 * and none waits); with it, device memory and huge pages run write_bw and read_bw in
 * {@code --loopback}, and {@code -c DC} runs all eight tests jperf with jperf and jperf with C
 * perftest both ways.
 */
@Tag("rdma")
class JperfMlx5IT {
    private static final int T = 120;
    private static final List<String> TESTS = List.of("write_bw", "read_bw", "send_bw", "atomic_bw", "write_lat", "read_lat",
            "send_lat", "atomic_lat");
    private static final Pattern ADDRESS = Pattern.compile("^ (local|remote) address: .* QPN (?:0x)?([0-9a-f]+) .*SRQn (\\S+)$");
    private static boolean mlx5;
    private static long maxDm;

    @BeforeAll
    static void capabilities() {
        Runs.boundWaits();
        try (Context ctx = TestDevice.open()) {
            mlx5 = Mlx5.isSupported(ctx);
            maxDm = ctx.queryDevice().maxDeviceMemorySize();
        }
        System.out.println(TestDevice.device() + ": mlx5=" + mlx5 + " max_dm_size=" + maxDm + " " + HugePages.system());
    }

    private static String[] args(String test, String... extra) {
        return Runs.onTestDevice(test, extra);
    }

    /**
     * {@code -c DC}, each test. Not mlx5: one line, exit 1, before listening. mlx5: jperf server
     * and client, jperf server and C client, C server and jperf client, each pair's tables checked
     * as {@link InteropIT} checks them, and each side's DC set-up in its address lines.
     */
    @Test
    void dcConnection() {
        for (String test : TESTS) {
            awaitPortFree(PORT);
            String[] a = args(test, "-c", "DC");
            if (!mlx5) {
                refused(jperf(T, a).await(), "-c DC: DC transport (mlx5 DCT/DCI) is not supported by " + TestDevice.device());
                assertFalse(Runs.listening(PORT), "refused before listening");
                continue;
            }
            String[] client = concat(a, "127.0.0.1");
            dcPair(test, pair(() -> jperf(T, a), () -> jperf(T, client)));
            awaitPortFree(PORT);
            dcPair(test, pair(() -> jperf(T, a), () -> process(T, c(client))));
            awaitPortFree(PORT);
            dcPair(test, pair(() -> process(T, c(a)), () -> jperf(T, client)));
        }
    }

    /**
     * One DC pair: both tables as in {@link InteropIT}; both sides print the DC header; each side
     * has one QP (BW: initiators on the client, targets on the server) or two (latency: an
     * initiator, then a target); every remote address line names the QP the peer printed as local
     * (so the DCT numbers went over as perftest sends them, after RTR), and a target's number is
     * not 0 (what a DCT has before RTR).
     */
    private static void dcPair(String test, Runs.Result[] r) {
        boolean jperfServer = r[0].who().startsWith("jperf"), jperfClient = r[1].who().startsWith("jperf");
        check(test, r[0], r[1], jperfServer, jperfClient);
        int perSide = test.endsWith("_lat") ? 2 : 1;
        List<List<String[]>> addresses = new ArrayList<>();
        for (Runs.Result side : r) {
            assertTrue(side.out().contains(" Connection type : DC"), side.toString());
            List<String[]> lines = side.out().lines().map(ADDRESS::matcher).filter(Matcher::matches)
                    .map(m -> new String[] {m.group(1), m.group(2), m.group(3)}).toList();
            assertEquals(2 * perSide, lines.size(), "local and remote address lines with an SRQ number: " + side);
            addresses.add(lines);
        }
        for (int s = 0; s < 2; s++) {
            List<String> local = addresses.get(s).stream().filter(l -> l[0].equals("local")).map(l -> l[1]).toList();
            List<String> remoteOfPeer = addresses.get(1 - s).stream().filter(l -> l[0].equals("remote")).map(l -> l[1]).toList();
            assertEquals(local.stream().map(q -> Integer.parseInt(q, 16)).toList(),
                    remoteOfPeer.stream().map(q -> Integer.parseInt(q, 16)).toList(), "the peer got " + r[s].who() + "'s QPNs");
            // a DC target: the server's QPs in a bandwidth test, the second of each latency side
            int target = perSide == 2 ? 1 : s == 0 ? 0 : -1;
            if (target >= 0) {
                assertNotEquals(0, Integer.parseInt(local.get(target), 16), "a DCT number after RTR: " + r[s]);
            }
        }
        System.out.println(r[0].who() + " | " + r[1].who() + " -> " + String.join(" ", r[1].rows().isEmpty()
                ? r[0].onlyRow() : r[1].onlyRow()));
    }

    @Test
    void deviceMemory() {
        if (maxDm == 0) {
            for (String test : List.of("write_bw", "read_bw")) {
                refused(jperf(T, args(test, "--use_ib_dm_dmabuf", TestDevice.device())).await(),
                        "--use_ib_dm_dmabuf: device memory is not supported by " + TestDevice.device());
            }
            return;
        }
        // 2 QP slots of 4 KiB per side fit any ConnectX's device memory.
        for (String test : List.of("write_bw", "read_bw", "send_bw")) {
            Runs.Result r = jperf(T, args(test, "--loopback", "-s", "4096", "--use_ib_dm_dmabuf", TestDevice.device())).await().ok();
            Runs.positive(r.onlyRow()[3], r.who() + " average");
            System.out.println(r.who() + " -> " + String.join(" ", r.onlyRow()));
        }
    }

    @Test
    void hugePages() {
        if (HugePages.system().free() <= 0) {
            refused(jperf(T, args("write_bw", "--use_hugepages")).await(), "--use_hugepages: no free huge pages");
            return;
        }
        for (String test : List.of("write_bw", "read_bw")) {
            Runs.Result r = jperf(T, args(test, "--loopback", "--use_hugepages")).await().ok();
            Runs.positive(r.onlyRow()[3], r.who() + " average");
            System.out.println(r.who() + " -> " + String.join(" ", r.onlyRow()));
        }
    }

    private static void refused(Runs.Result r, String expected) {
        assertEquals(ExitCodes.FAILURE, r.exit(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + r);
        assertTrue(err.contains(expected), err);
        assertTrue(r.rows().isEmpty(), r.toString());
        assertEquals("", r.out(), "nothing printed before the refusal: " + r);
        System.out.println(r.who() + " -> " + err);
    }
}
