package io.jverbs.perftest.engine;

import static io.jverbs.perftest.engine.Runs.PORT;
import static io.jverbs.perftest.engine.Runs.awaitPortFree;
import static io.jverbs.perftest.engine.Runs.jperf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.system.HugePages;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.it.TestDevice;
import io.jverbs.verbs.mlx5.Mlx5;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * jperf's options that need more than Soft-RoCE has, by what the test device and machine offer:
 * {@code -c DC} (an mlx5 device), {@code --use_ib_dm_dmabuf} (on-device memory) and
 * {@code --use_hugepages} (free huge pages). Without the feature each test stops at once with exit
 * 1 and one line naming the device and what is missing, before it listens (so no peer is needed
 * and none waits); with it, device memory and huge pages run write_bw and read_bw in
 * {@code --loopback}. DC on mlx5 is refused as not implemented in jperf's loops yet.
 */
@Tag("rdma")
class JperfMlx5IT {
    private static final int T = 120;
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

    @Test
    void dcConnection() {
        for (String test : List.of("write_bw", "read_bw", "send_bw", "atomic_bw")) {
            awaitPortFree(PORT);
            Runs.Result r = jperf(T, args(test, "-c", "DC")).await();
            String expected = mlx5 ? "not implemented in jperf yet: -c DC on mlx5"
                    : "-c DC: DC transport (mlx5 DCT/DCI) is not supported by " + TestDevice.device();
            refused(r, expected);
            assertFalse(Runs.listening(PORT), "refused before listening");
        }
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
