package io.jverbs.raweth.port;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A port's counters: written only by the thread on its data path, read by {@link PacketPort#stats()}
 * from any thread. Opaque accesses keep each value whole without a fence on the hot path (a reader
 * may see a count a burst old). For ports' use.
 */
public final class PortCounters {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;

    /** {@code n} counters, numbered from 0, all zero. */
    public PortCounters(int n) {
        values = new long[n];
    }

    /** Adds {@code delta} to counter {@code i}: the data-path thread only. */
    public void add(int i, long delta) {
        SLOTS.setOpaque(values, i, (long) SLOTS.getOpaque(values, i) + delta);
    }

    /** Counter {@code i}, from any thread. */
    public long get(int i) {
        return (long) SLOTS.getOpaque(values, i);
    }

    /**
     * One step of a polled device's wait (nothing to block on): a spin hint for the first 1000
     * empty polls, then the core is yielded.
     */
    public static void pause(int emptyPolls) {
        if (emptyPolls < 1000) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
