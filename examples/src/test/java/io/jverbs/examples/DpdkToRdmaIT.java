package io.jverbs.examples;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EalOptions;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.it.TestDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DpdkToRdma} on the test device (the Soft-RoCE VM's rxe0): frames the kernel sends into a
 * DPDK net_tap port arrive in an extbuf pool in a buffer that is also an MR, and their payloads
 * reach the peer QP by RDMA WRITE from there, byte for byte. Needs root (tap, DPDK).
 */
@Tag("rdma")
class DpdkToRdmaIT {
    @Test
    void payloadsDpdkReceivedArriveByRdmaWriteByteForByte() throws Exception {
        Random random = new Random(42);
        List<byte[]> payloads = new ArrayList<>();
        for (int size : new int[] {1, 17, 64, 500, 1000, 1400, 2, 333}) {
            byte[] p = new byte[size];
            random.nextBytes(p);
            payloads.add(p);
        }
        long pid = ProcessHandle.current().pid();
        String iface = "jvit" + pid % 100000;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        DpdkToRdma.ensureTun(out);
        DpdkToRdma.Result r;
        try (Eal eal = Eal.init(EalOptions.builder().lcores("0").noHuge().memoryMb(128).noPci().vdev("net_tap0,iface=" + iface)
                .filePrefix("dpdk-to-rdma-it-" + pid).logLevel(4).build());
             Context ctx = TestDevice.open()) {
            r = DpdkToRdma.forward(eal, "net_tap0", iface, ctx, TestDevice.port(), TestDevice.gidIndex(), payloads, out);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertEquals(payloads.size(), r.forwarded().size(), text);
        for (int i = 0; i < payloads.size(); i++) {
            DpdkToRdma.Forwarded f = r.forwarded().get(i);
            assertEquals(payloads.get(i).length, f.payloadLength(), "frame " + i);
            assertTrue(f.bufferOffset() >= 0, "frame " + i + " lies in the shared buffer");
            assertArrayEquals(payloads.get(i), r.received().get(i), "payload " + i + " as the peer's memory holds it");
        }
        assertTrue(text.contains("MR deregistered true, pool freed true, port closed true, external memory unregistered true"), text);
    }

    @Test
    void theCommandForwardsAndTheBytesMatch() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.jverbs.examples.DpdkToRdma", "-d", TestDevice.device(), "-i", String.valueOf(TestDevice.port()), "-n", "4"));
        if (TestDevice.gidIndex() >= 0) cmd.addAll(List.of("-g", String.valueOf(TestDevice.gidIndex())));
        Path out = Files.createTempFile("dpdk-to-rdma", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(600, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly();
        String text = Files.readString(out);
        System.out.print(text);
        assertTrue(done, "timed out:\n" + text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("peer: 4 of 4 payloads arrived intact"), text);
        assertEquals(4, text.lines().filter(l -> l.startsWith("frame ") && l.endsWith(": done")).count(), text);
    }
}
