package io.jverbs.dpdk;

import org.junit.jupiter.api.Test;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * net_memif between two JVMs: this one is the server (its shared EAL), a forked JVM with its own
 * EAL and file prefix is the client ({@link MemifClient}). Frames go each way and arrive byte for
 * byte; every wait is bounded and fails with what it saw.
 */
class MemifTest {
    static final int COUNT = 64;

    /** Frame {@code i} from side {@code who}: lengths 60..187, a pattern both sides can recompute. */
    static byte[] frame(char who, int i) {
        byte[] f = new byte[60 + (i * 37) % 128];
        for (int j = 0; j < f.length; j++) f[j] = (byte) (who * 7 + i * 13 + j);
        return f;
    }

    static void awaitLinkUp(EthPort port, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!port.link().up()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(port.name() + " link not up within " + millis + " ms: " + port.link());
            }
            Thread.sleep(10);
        }
    }

    static void sendAll(EthPort port, MbufPool pool, char who, int count) throws InterruptedException {
        try (MbufArray tx = new MbufArray(pool.eal(), 1)) {
            for (int i = 0; i < count; i++) {
                byte[] f = frame(who, i);
                pool.allocate(tx, 1);
                tx.get(0).length(f.length).write(0, f);
                long deadline = System.currentTimeMillis() + 5000;
                while (port.txBurst(0, tx) == 0) {
                    if (System.currentTimeMillis() > deadline) {
                        tx.freeAll();
                        throw new IllegalStateException(port.name() + " took no frame for 5 s (frame " + i + ")");
                    }
                    Thread.sleep(1);
                }
            }
        }
    }

    @Test
    void framesCrossBetweenTwoJvmsByteForByte() throws Exception {
        Eal eal = TestEal.get();
        String socket = "/tmp/jverbs-memif-" + ProcessHandle.current().pid() + ".sock";
        String name = "net_memif_jv" + HostNet.TAG;
        eal.probe(name + ",role=server,socket=" + socket);
        EthPort port = EthPort.byName(eal, name);
        Path log = Files.createTempFile("jverbs-memif", ".out");
        Process client = null;
        try (MbufPool pool = MbufPool.create(eal, "memif-server", 2047, 32, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY)) {
            port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
            port.start();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            client = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    MemifClient.class.getName(), socket, Integer.toString(COUNT))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Process c = client;
            try {
                awaitLinkUp(port, 30_000);
            } catch (IllegalStateException e) {
                fail(e.getMessage() + "; client said: " + Files.readString(log));
            }
            sendAll(port, pool, 'S', COUNT);
            List<byte[]> got = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 20_000;
            try (MbufArray rx = new MbufArray(eal, 32)) {
                while (got.size() < COUNT && System.currentTimeMillis() < deadline && c.isAlive()) {
                    int n = port.rxBurst(0, rx);
                    for (int i = 0; i < n; i++) got.add(rx.get(i).read(0, rx.get(i).dataLength()));
                    rx.free(0, n);
                    if (n == 0) Thread.sleep(1);
                }
            }
            try (Writer w = new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8)) {
                w.write("done\n");
            }
            assertTrue(client.waitFor(30, TimeUnit.SECONDS), "the client JVM did not finish in 30 s: " + Files.readString(log));
            List<String> lines = Files.readAllLines(log).stream()
                    .filter(l -> l.startsWith("LINK") || l.startsWith("RECEIVED") || l.startsWith("SENT") || l.startsWith("BYE")
                            || l.startsWith("FAIL")).toList();
            assertEquals(List.of("LINK UP", "RECEIVED " + COUNT, "SENT " + COUNT, "BYE done"), lines,
                    "client: " + Files.readString(log));
            assertEquals(0, client.exitValue(), Files.readString(log));
            assertEquals(COUNT, got.size(), "frames from the client within 20 s");
            for (int i = 0; i < COUNT; i++) assertArrayEquals(frame('C', i), got.get(i), "client frame " + i);
        } finally {
            if (client != null) client.destroyForcibly();
            port.close();
            Files.deleteIfExists(log);
            Files.deleteIfExists(Path.of(socket));
        }
    }
}
