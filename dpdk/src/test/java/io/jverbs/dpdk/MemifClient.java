package io.jverbs.dpdk;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Arrays;

/**
 * The client end of {@link MemifTest}, in a JVM of its own (DPDK initializes once per process):
 * connects to the test JVM's memif server, checks the frames it receives against
 * {@link MemifTest#frame}, sends its own, and prints one line per step. Every wait is bounded.
 */
public final class MemifClient {
    private MemifClient() {}

    public static void main(String[] args) throws Exception {
        String socket = args[0];
        int count = Integer.parseInt(args[1]);
        String prefix = "jverbs-memifc-" + ProcessHandle.current().pid();
        try (Eal eal = Eal.init(TestEal.options(prefix).vdev("net_memif0,role=client,socket=" + socket).build());
             MbufPool pool = MbufPool.create(eal, "memif-client", 2047, 32, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY)) {
            EthPort port = EthPort.byName(eal, "net_memif0");
            port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
            port.start();
            MemifTest.awaitLinkUp(port, 20_000);
            System.out.println("LINK UP");
            int got = 0;
            long deadline = System.nanoTime() + 20_000_000_000L;
            try (MbufArray rx = new MbufArray(eal, 32)) {
                while (got < count) {
                    if (System.nanoTime() > deadline) {
                        System.out.println("FAIL received " + got + " of " + count + " frames in 20 s");
                        return;
                    }
                    int n = port.rxBurst(0, rx);
                    for (int i = 0; i < n; i++, got++) {
                        Mbuf m = rx.get(i);
                        byte[] f = m.read(0, m.dataLength());
                        if (!Arrays.equals(MemifTest.frame('S', got), f)) {
                            System.out.println("FAIL frame " + got + " differs: " + f.length + " bytes");
                            return;
                        }
                    }
                    rx.free(0, n);
                    if (n == 0) Thread.sleep(1);
                }
            }
            System.out.println("RECEIVED " + got);
            MemifTest.sendAll(port, pool, 'C', count);
            System.out.println("SENT " + count);
            // Stay connected until the server has read our frames (it says so on stdin), at most 20 s.
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            long until = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < until && !in.ready()) Thread.sleep(5);
            System.out.println(in.ready() ? "BYE " + in.readLine() : "FAIL no word from the server in 20 s");
        } finally {
            TestEal.deleteRuntimeDir(prefix);
        }
    }
}
