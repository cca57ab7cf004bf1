package io.jverbs.raweth.port;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/** The bytes the current thread has allocated so far, for tests that assert a path allocates nothing. */
public final class AllocatedBytes {
    /**
     * No window of {@link #assertWarmWindowAllocatesNothing} starts this long after the first began:
     * time for the JIT to finish its compiles on a loaded machine, where a fixed count of short
     * windows may all run before C2 is done.
     */
    public static final long MAX_NANOS = 20_000_000_000L;
    private static final Object BEAN = ManagementFactory.getThreadMXBean();
    private static final MethodHandle ALLOCATED;

    static {
        try {
            // Through a method handle: the tests compile in the module, which does not read
            // jdk.management, and reflection would box the value it measures.
            ALLOCATED = MethodHandles.publicLookup()
                    .findVirtual(Class.forName("com.sun.management.ThreadMXBean"), "getCurrentThreadAllocatedBytes",
                            MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AllocatedBytes() {
    }

    /** {@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes()}, without boxing. */
    public static long current() {
        try {
            return (long) ALLOCATED.invokeExact(BEAN);
        } catch (Throwable e) {
            throw new IllegalStateException("ThreadMXBean.getCurrentThreadAllocatedBytes failed", e);
        }
    }

    /**
     * Asserts that a warm loop allocates nothing: runs {@code window} (a fixed amount of the work
     * under test, already warmed up by the caller) until one run allocates 0 bytes on this thread,
     * starting none after {@link #MAX_NANOS}. Earlier runs may see the JIT finish a compile or
     * deoptimize once (a few hundred bytes on this thread, not per operation); the claim is one
     * whole window at 0 B. Prints the bytes of each run.
     *
     * @param what the work one window does, for the messages (e.g. "20,000 echo rounds, 80,000 frames")
     * @param window the work, the same each run
     * @return the bytes each run allocated, the last 0
     * @throws AssertionError naming {@code what} and the bytes of the runs, if none allocated nothing
     */
    public static long[] assertWarmWindowAllocatesNothing(String what, Runnable window) {
        return assertWarmWindowAllocatesNothing(what, window, MAX_NANOS);
    }

    /** {@link #assertWarmWindowAllocatesNothing(String, Runnable)} starting no window after {@code maxNanos}. */
    static long[] assertWarmWindowAllocatesNothing(String what, Runnable window, long maxNanos) {
        long[] bytes = new long[16];
        int w = 0;
        long start = System.nanoTime();
        while (true) {
            long before = current();
            window.run();
            long b = current() - before;
            if (w == bytes.length) {
                bytes = Arrays.copyOf(bytes, 2 * w); // between windows, outside what is measured
            }
            bytes[w++] = b;
            if (b == 0 || System.nanoTime() - start >= maxNanos) {
                break;
            }
        }
        long[] runs = Arrays.copyOf(bytes, w);
        if (runs[w - 1] != 0) {
            throw new AssertionError(what + ": every warm window allocated (" + w + " in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms); bytes per window " + list(runs)
                    + ", least " + Arrays.stream(runs).min().getAsLong());
        }
        System.out.println(what + ": bytes allocated per window " + list(runs));
        return runs;
    }

    /** The first and last few of {@code runs}. */
    private static String list(long[] runs) {
        int n = runs.length;
        if (n <= 10) {
            return Arrays.toString(runs);
        }
        String first = Arrays.toString(Arrays.copyOf(runs, 5));
        String last = Arrays.toString(Arrays.copyOfRange(runs, n - 5, n));
        return first.substring(0, first.length() - 1) + ", … " + (n - 10) + " more …, " + last.substring(1);
    }
}
