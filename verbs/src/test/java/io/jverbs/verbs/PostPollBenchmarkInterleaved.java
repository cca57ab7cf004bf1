package io.jverbs.verbs;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PostPollBenchmark's loops, C and Java, run round-robin one batch ({@value
 * PostPollBenchmark#BATCH} operations, 15-250 us) at a time, each batch timed: every variant
 * sees the same machine conditions, which separate JMH forks on a shared, busy machine do not.
 * Prints the median, p10 and min ns/op of each variant, its ratio to its C twin and the bytes it
 * allocated per operation, then the data-path goals:
 * <ul>
 *   <li>prebuilt: jverbs post+poll of a prebuilt request &lt;= 1.05 x the bare FFM floor (the same
 *       two downcalls as bare {@code invokeExact});</li>
 *   <li>rebuilt: jverbs clear+add+sge+post+poll &lt;= 1.15 x (C rebuilt + the downcall cost, i.e.
 *       floor - C prebuilt, from the same run);</li>
 *   <li>&lt;= 0.01 bytes allocated per operation, every variant.</li>
 * </ul>
 * {@link BoundsChecks#ENABLED} is a static final, so the bench profile runs this class twice, the
 * second time with {@code -Djverbs.disableBoundsChecks=true}. Args: [seconds (default 20)].
 */
public final class PostPollBenchmarkInterleaved {
    @FunctionalInterface
    interface Loop {
        long run() throws Throwable;
    }

    static final double PREBUILT_GOAL = 1.05, REBUILT_GOAL = 1.15, ALLOC_GOAL = 0.01;

    public static void main(String[] args) throws Throwable {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 20;
        PostPollBenchmark b = new PostPollBenchmark();
        b.setUp();
        Map<String, Loop> loops = new LinkedHashMap<>();
        loops.put("prebuilt C", b::prebuiltC);
        loops.put("prebuilt bare FFM", b::prebuiltRawFfm);
        loops.put("prebuilt jverbs", b::prebuiltJava);
        loops.put("patched jverbs", b::patchedJava);
        loops.put("rebuilt C", b::rebuildC);
        loops.put("rebuilt jverbs", b::rebuildJava);
        loops.put("list16 C", b::list16C);
        loops.put("list16 jverbs", b::list16Java);
        String[] names = loops.keySet().toArray(new String[0]);
        Loop[] l = loops.values().toArray(new Loop[0]);
        long sink = 0;
        long warmUntil = System.nanoTime() + (long) (Math.min(5, seconds / 4) * 1e9);
        while (System.nanoTime() < warmUntil) {
            for (Loop loop : l) sink += loop.run();
        }
        int rounds = 0;
        double[][] t = new double[l.length][1 << 16];
        long[] allocated = new long[l.length];
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && rounds < t[0].length) {
            for (int i = 0; i < l.length; i++) {
                long a0 = AllocatedBytes.current();
                long t0 = System.nanoTime();
                sink += l[i].run();
                long t1 = System.nanoTime();
                allocated[i] += AllocatedBytes.current() - a0;
                t[i][rounds] = (t1 - t0) / (double) PostPollBenchmark.BATCH;
            }
            rounds++;
        }
        b.tearDown();

        String mode = "bounds checks " + (BoundsChecks.ENABLED ? "on" : "off (-D" + BoundsChecks.DISABLE_PROPERTY + "=true)");
        System.out.printf("interleaved, %s: %d rounds of %d ops per variant (sink %d)%n", mode, rounds, PostPollBenchmark.BATCH, sink);
        Map<String, Double> median = new LinkedHashMap<>();
        double cMedian = 0, maxAlloc = 0;
        for (int i = 0; i < l.length; i++) {
            double[] s = Arrays.copyOf(t[i], rounds);
            Arrays.sort(s);
            double m = s[rounds / 2];
            median.put(names[i], m);
            if (names[i].endsWith(" C")) cMedian = m;
            double bytesPerOp = allocated[i] / ((double) rounds * PostPollBenchmark.BATCH);
            maxAlloc = Math.max(maxAlloc, bytesPerOp);
            System.out.printf("  %-18s median %7.2f ns/op  p10 %7.2f  min %7.2f  x C %.2f  %.4f B/op%n", names[i], m, s[rounds / 10], s[0],
                    m / cMedian, bytesPerOp);
        }
        double floor = median.get("prebuilt bare FFM"), cPrebuilt = median.get("prebuilt C"), cRebuilt = median.get("rebuilt C");
        double prebuilt = median.get("prebuilt jverbs") / floor;
        double downcalls = floor - cPrebuilt;
        double rebuilt = median.get("rebuilt jverbs") / (cRebuilt + downcalls);
        System.out.printf("goals, %s:%n", mode);
        System.out.printf("  prebuilt: jverbs %.2f / bare FFM %.2f = %.3f (goal <= %.2f) %s%n", median.get("prebuilt jverbs"), floor, prebuilt,
                PREBUILT_GOAL, verdict(prebuilt <= PREBUILT_GOAL));
        System.out.printf("  rebuilt:  jverbs %.2f / (C rebuilt %.2f + downcalls %.2f) = %.3f (goal <= %.2f) %s%n",
                median.get("rebuilt jverbs"), cRebuilt, downcalls, rebuilt, REBUILT_GOAL, verdict(rebuilt <= REBUILT_GOAL));
        System.out.printf("  allocation: at most %.4f B/op (goal <= %.2f) %s%n", maxAlloc, ALLOC_GOAL, verdict(maxAlloc <= ALLOC_GOAL));
    }

    private static String verdict(boolean met) {
        return met ? "MET" : "MISSED";
    }
}
