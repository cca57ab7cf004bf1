package io.jverbs.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java side of {@code dpdk/bench-vs-c.sh} (a benchmark, not a test): one forwarding loop on
 * the vdevs of the EAL arguments it is given, the same arguments dpdk-testpmd and
 * {@code dpdk/bench/alloc_loop.c} get, through the public API only.
 *
 * <pre>
 * BurstBench EAL-ARGS... -- io    CPU WARMUP WINDOW PORT [PORT]   testpmd's io forwarding
 * BurstBench EAL-ARGS... -- alloc CPU WARMUP WINDOW PORT          alloc+fill+tx+rx+free on one port
 * BurstBench EAL-ARGS... -- alloc-each CPU WARMUP WINDOW PORT     the same, filling mbuf by mbuf
 * </pre>
 *
 * {@code io}: with one port, rx from it and tx back to it (testpmd's loop topology); with two,
 * rx from each and tx to the other (paired), one thread for both streams as one testpmd lcore.
 * Like {@code start tx_first}, each port first sends one burst of 64-byte frames. {@code alloc}:
 * the loop of alloc_loop.c, the allocation and fill in one call
 * ({@link MbufPool#allocate(MbufArray, int, int, MemorySegment)}); {@code alloc-each}: the same
 * work through the per-mbuf API ({@code length(64).write(0, header)} on each), for comparison. The loop runs on a registered thread pinned to CPU (testpmd's
 * forwarding lcore), warms up for WARMUP seconds and on until the JIT has compiled nothing for
 * {@value Window#QUIET_MS} ms (at most {@value Window#MAX_WARMUP_S} s: on a loaded machine the
 * compiler threads get little CPU, and a window that starts in not yet optimised code measures the
 * interpreter and its allocations), then counts received packets over WINDOW
 * seconds and prints {@code Mpps <rate> cpu-s <s> wall-s <s> bursts <n> bytes-per-burst <b>}: the
 * thread's CPU time in the window (on a shared machine the rate per CPU second is the fairer
 * figure), and its allocated bytes over the window per burst (one loop iteration).
 */
public final class BurstBench {
    static final int BURST = 32;
    /** Loop iterations between two looks at the clock. */
    static final int BATCH = 1024;
    /** The 14-byte Ethernet header alloc_loop.c copies: 02:00:00:00:00:02 from 02:00:00:00:00:01, IPv4. */
    static final MemorySegment HEADER = MemorySegment.ofArray(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0});

    private BurstBench() {}

    public static void main(String[] argv) throws Exception {
        int sep = Arrays.asList(argv).indexOf("--");
        if (sep < 0 || argv.length - sep < 6) {
            System.err.println("usage: BurstBench EAL-ARGS... -- io|alloc CPU WARMUP WINDOW PORT [PORT]");
            System.exit(2);
        }
        String[] eal = Arrays.copyOfRange(argv, 0, sep);
        String mode = argv[sep + 1];
        int cpu = Integer.parseInt(argv[sep + 2]);
        double warmup = Double.parseDouble(argv[sep + 3]);
        double window = Double.parseDouble(argv[sep + 4]);
        List<String> portNames = List.of(Arrays.copyOfRange(argv, sep + 5, argv.length));
        try (Eal e = Eal.init(EalOptions.builder().arg(eal).build())) {
            // The pool and queues of alloc_loop.c and of the testpmd command line in the script.
            MbufPool pool = MbufPool.create(e, "bench", 8191, 256, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            List<EthPort> ports = new ArrayList<>();
            for (String n : portNames) {
                EthPort p = EthPort.byName(e, n);
                p.configure(PortConfig.simple(pool).withDescriptors(1024, 1024));
                p.start();
                ports.add(p);
            }
            String[] result = new String[1];
            Throwable[] failure = new Throwable[1];
            Thread t = Thread.ofPlatform().name("bench-lcore").unstarted(() -> {
                try {
                    pin(cpu);
                    e.registerThread();
                    try {
                        result[0] = switch (mode) {
                            case "io" -> io(e, pool, ports, warmup, window);
                            case "alloc" -> alloc(e, pool, ports.getFirst(), warmup, window, false);
                            case "alloc-each" -> alloc(e, pool, ports.getFirst(), warmup, window, true);
                            default -> throw new IllegalArgumentException("mode io, alloc or alloc-each, got " + mode);
                        };
                    } finally {
                        e.unregisterThread();
                    }
                } catch (Throwable x) {
                    failure[0] = x;
                }
            });
            t.start();
            t.join();
            if (failure[0] != null) {
                failure[0].printStackTrace();
                System.exit(1);
            }
            System.out.println(result[0]);
            for (EthPort p : ports) p.close();
            pool.close();
        }
    }

    /** testpmd's io forwarding: per stream rx burst, tx burst of what came, free what tx refused. */
    private static String io(Eal eal, MbufPool pool, List<EthPort> ports, double warmup, double window) {
        int n = ports.size();
        EthPort[] rx = ports.toArray(EthPort[]::new);
        EthPort[] tx = new EthPort[n];
        MbufArray[] bufs = new MbufArray[n];
        for (int i = 0; i < n; i++) {
            tx[i] = rx[n == 1 ? i : i ^ 1];
            bufs[i] = new MbufArray(eal, BURST);
            // start tx_first: one burst of 64-byte frames per port
            pool.allocate(bufs[i], BURST, 64, HEADER);
            int sent = rx[i].txBurst(0, bufs[i]);
            if (sent < BURST) bufs[i].free(sent, BURST - sent);
        }
        Window w = new Window(warmup, window);
        long received = 0;
        do {
            received += ioBatch(rx, tx, bufs);
        } while (w.next(received, BATCH));
        for (MbufArray b : bufs) b.close();
        return w.result();
    }

    /**
     * {@value #BATCH} rounds over the streams, testpmd's forwarding loop. A method of its own so
     * the JIT compiles the hot loop as a method, whose code does not depend on the
     * {@link Window}'s state: when the loop was inside the measuring method, its on-stack
     * replacement had only seen warm-up and was deoptimised as the window opened, and the window
     * measured the interpreter and a recompilation for its first few hundred milliseconds.
     */
    private static long ioBatch(EthPort[] rx, EthPort[] tx, MbufArray[] bufs) {
        long received = 0;
        for (int k = 0; k < BATCH; k++) {
            for (int i = 0; i < rx.length; i++) {
                received += ioForward(rx[i], tx[i], bufs[i]);
            }
        }
        return received;
    }

    /**
     * One stream's burst, testpmd's pkt_burst_io_forward: rx, tx what came, free what tx refused.
     * A method of its own, as in testpmd, so the JIT compiles it as a whole rather than as the
     * inside of the measuring loop's on-stack replacement.
     */
    private static int ioForward(EthPort rx, EthPort tx, MbufArray b) {
        int got = rx.rxBurst(0, b);
        if (got == 0) return 0;
        int sent = tx.txBurst(0, b, 0, got);
        if (sent < got) b.free(sent, got - sent);
        return got;
    }

    /** alloc_loop.c's loop: alloc 32, fill each as a 64-byte frame, tx, rx, free. */
    private static String alloc(Eal eal, MbufPool pool, EthPort port, double warmup, double window, boolean each) {
        try (MbufArray tx = new MbufArray(eal, BURST); MbufArray rx = new MbufArray(eal, BURST)) {
            Window w = new Window(warmup, window);
            long received = 0;
            do {
                received += each ? allocEachBatch(pool, port, tx, rx) : allocBatch(pool, port, tx, rx);
            } while (w.next(received, BATCH));
            return w.result();
        }
    }

    /** {@value #BATCH} iterations of {@link #allocFillTxRxFree}, in a method of its own as {@link #ioBatch} is. */
    private static long allocBatch(MbufPool pool, EthPort port, MbufArray tx, MbufArray rx) {
        long received = 0;
        for (int k = 0; k < BATCH; k++) {
            received += allocFillTxRxFree(pool, port, tx, rx);
        }
        return received;
    }

    /** {@value #BATCH} iterations of {@link #allocFillEachTxRxFree}. */
    private static long allocEachBatch(MbufPool pool, EthPort port, MbufArray tx, MbufArray rx) {
        long received = 0;
        for (int k = 0; k < BATCH; k++) {
            received += allocFillEachTxRxFree(pool, port, tx, rx);
        }
        return received;
    }

    /** One iteration of alloc_loop.c's loop (a method of its own, as {@link #ioForward} is). */
    private static int allocFillTxRxFree(MbufPool pool, EthPort port, MbufArray tx, MbufArray rx) {
        pool.allocate(tx, BURST, 64, HEADER);
        int sent = port.txBurst(0, tx);
        if (sent < BURST) tx.free(sent, BURST - sent);
        int got = port.rxBurst(0, rx);
        rx.freeAll();
        return got;
    }

    /** {@link #allocFillTxRxFree} with alloc_loop.c's fill loop written against the per-mbuf API. */
    private static int allocFillEachTxRxFree(MbufPool pool, EthPort port, MbufArray tx, MbufArray rx) {
        pool.allocate(tx, BURST);
        for (int j = 0; j < BURST; j++) tx.get(j).length(64).write(0, HEADER);
        int sent = port.txBurst(0, tx);
        if (sent < BURST) tx.free(sent, BURST - sent);
        int got = port.rxBurst(0, rx);
        rx.freeAll();
        return got;
    }

    /** The warm-up, then the measured window: packets, bursts and allocated bytes over it. */
    private static final class Window {
        static final int QUIET_MS = 500;
        static final int MAX_WARMUP_S = 20;
        private final long start = System.nanoTime();
        private final long measureAt;
        private final long window;
        private boolean measuring;
        private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        private final java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        private long compileMs = -1, compiledAt = start;
        private long t0, t1, received0, received1, bursts, bytes0, bytes1, cpu0, cpu1;

        Window(double warmup, double window) {
            this.measureAt = start + (long) (warmup * 1e9);
            this.window = (long) (window * 1e9);
        }

        /** True when the JIT compiled nothing over the last {@link #QUIET_MS} ms. */
        private boolean jitQuiet(long t) {
            long ms = jit.getTotalCompilationTime();
            if (ms != compileMs) {
                compileMs = ms;
                compiledAt = t;
            }
            return t - compiledAt >= QUIET_MS * 1_000_000L;
        }

        /** Called every {@code iterations} loop iterations; false when the window is over. */
        boolean next(long received, int iterations) {
            long t = System.nanoTime();
            if (!measuring) {
                if (t >= measureAt && (jitQuiet(t) || t - start >= MAX_WARMUP_S * 1_000_000_000L)) {
                    measuring = true;
                    cpu0 = threads.getCurrentThreadCpuTime();
                    bytes0 = AllocatedBytes.current();
                    t0 = System.nanoTime();
                    received0 = received;
                }
                return true;
            }
            bursts += iterations;
            if (t - t0 < window) return true;
            bytes1 = AllocatedBytes.current();
            t1 = t;
            cpu1 = threads.getCurrentThreadCpuTime();
            received1 = received;
            return false;
        }

        String result() {
            double mpps = (received1 - received0) / ((t1 - t0) / 1e9) / 1e6;
            return String.format("Mpps %.2f cpu-s %.3f wall-s %.3f bursts %d bytes-per-burst %.4f bytes %d warmup-s %.1f", mpps,
                    (cpu1 - cpu0) / 1e9, (t1 - t0) / 1e9, bursts, (double) (bytes1 - bytes0) / bursts, bytes1 - bytes0,
                    (t0 - start) / 1e9);
        }
    }

    /** Pins the calling thread to {@code cpu} (sched_setaffinity), as EAL pins an lcore. */
    private static void pin(int cpu) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle setaffinity = linker.downcallHandle(linker.defaultLookup().findOrThrow("sched_setaffinity"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(128); // cpu_set_t
            mask.set(ValueLayout.JAVA_LONG, 8L * (cpu / 64), 1L << (cpu % 64));
            int rc = (int) setaffinity.invokeExact(0, 128L, mask);
            if (rc != 0) throw new IllegalStateException("sched_setaffinity(CPU " + cpu + ") failed");
        }
    }
}
