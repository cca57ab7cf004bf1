package io.jverbs.raweth.port;

/**
 * A {@link NanoClock} that stands still until it is moved: the virtual time of a simulation, where
 * a test advances the clock between polls and every run is the same. Thread-safe: a reader on
 * another thread sees each {@link #advance} once it returns.
 */
public final class ManualClock implements NanoClock {
    private volatile long now;

    /** A clock at 0. */
    public ManualClock() {
        this(0);
    }

    /** A clock at {@code start} nanoseconds. */
    public ManualClock(long start) {
        now = start;
    }

    @Override
    public long nanos() {
        return now;
    }

    /**
     * Moves the clock forward by {@code nanos} and returns the new time.
     *
     * @throws IllegalArgumentException if {@code nanos} is negative: time does not run backwards
     */
    public synchronized long advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a clock advances by a non-negative amount, not " + nanos);
        }
        long t = now + nanos;
        now = t;
        return t;
    }

    @Override
    public String toString() {
        return "ManualClock[" + now + " ns]";
    }
}
