package io.jverbs.verbs;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PostPollBenchmark's loops, C and Java, run round-robin one batch ({@value
 * PostPollBenchmark#BATCH} operations, 15-250 us) at a time, each batch timed: every variant
 * sees the same machine conditions, which separate JMH forks on a shared, busy machine do not.
 * Prints the median and p10 ns/op of each variant and its ratio to the C loop. JMH stays the
 * reference for allocation (-prof gc); this is for the ratio. Args: [seconds (default 20)].
 */
public final class PostPollBenchmarkInterleaved {
    @FunctionalInterface
    interface Loop {
        long run() throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 20;
        PostPollBenchmark b = new PostPollBenchmark();
        b.setUp();
        Map<String, Loop> loops = new LinkedHashMap<>();
        loops.put("prebuilt C", b::prebuiltC);
        loops.put("prebuilt Java", b::prebuiltJava);
        loops.put("prebuilt raw FFM", b::prebuiltRawFfm);
        loops.put("rebuild C", b::rebuildC);
        loops.put("rebuild Java", b::rebuildJava);
        loops.put("list16 C", b::list16C);
        loops.put("list16 Java", b::list16Java);
        Loop[] l = loops.values().toArray(new Loop[0]);
        long sink = 0;
        long warmUntil = System.nanoTime() + (long) (Math.min(5, seconds / 4) * 1e9);
        while (System.nanoTime() < warmUntil) {
            for (Loop loop : l) sink += loop.run();
        }
        int rounds = 0;
        double[][] t = new double[l.length][1 << 16];
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && rounds < t[0].length) {
            for (int i = 0; i < l.length; i++) {
                long t0 = System.nanoTime();
                sink += l[i].run();
                t[i][rounds] = (System.nanoTime() - t0) / (double) PostPollBenchmark.BATCH;
            }
            rounds++;
        }
        b.tearDown();
        String[] names = loops.keySet().toArray(new String[0]);
        double cMedian = 0;
        System.out.printf("interleaved, %d rounds of %d ops per variant (sink %d)%n", rounds, PostPollBenchmark.BATCH, sink);
        for (int i = 0; i < l.length; i++) {
            double[] s = Arrays.copyOf(t[i], rounds);
            Arrays.sort(s);
            double median = s[rounds / 2];
            if (names[i].endsWith(" C")) cMedian = median;
            System.out.printf("  %-17s median %7.2f ns/op  p10 %7.2f  min %7.2f  x C %.2f%n", names[i], median, s[rounds / 10], s[0],
                    median / cMedian);
        }
    }
}
