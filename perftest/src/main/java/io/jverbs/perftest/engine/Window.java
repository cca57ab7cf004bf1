package io.jverbs.perftest.engine;

import java.util.function.BooleanSupplier;

/**
 * The clock of one measured run: perftest's {@code -D} states (START for the margin, SAMPLE,
 * END; perftest drives them with SIGALRM, jperf reads {@link System#nanoTime()} in the loop), the
 * open-ended window of {@code --run_infinitely}, and the stall bound of every wait. Allocation-free; one per measured size, one thread.
 */
final class Window {
    /** Empty polls between two clock reads in a wait: reading the clock costs more than a poll. */
    static final int SPINS_PER_CLOCK_READ = 256;

    final boolean duration;
    final long startNs;
    final long sampleStartNs;
    final long sampleEndNs;
    final long stallNs;
    /** Between two progress calls: 1 s for -D's progress lines, -D seconds for --run_infinitely's rows. */
    private final long periodNs;
    /** --run_infinitely: ends the window when it answers true (read once per loop pass); else null. */
    private final BooleanSupplier stop;
    private long nextProgressNs;
    private long lastEventNs;
    private boolean seen;
    private int spins;

    private Window(boolean duration, long startNs, long sampleStartNs, long sampleEndNs, long stallNs) {
        this(duration, startNs, sampleStartNs, sampleEndNs, stallNs, 1_000_000_000L, null);
    }

    private Window(boolean duration, long startNs, long sampleStartNs, long sampleEndNs, long stallNs, long periodNs,
                   BooleanSupplier stop) {
        this.duration = duration;
        this.startNs = startNs;
        this.sampleStartNs = sampleStartNs;
        this.sampleEndNs = sampleEndNs;
        this.stallNs = stallNs;
        this.periodNs = periodNs;
        this.stop = stop;
        this.nextProgressNs = sampleStartNs + periodNs;
        this.lastEventNs = startNs;
    }

    /** An iteration run: no end but the count; a wait fails after {@code stallNs} without an event. */
    static Window iterations(long stallNs) {
        long now = System.nanoTime();
        return new Window(false, now, now, Long.MAX_VALUE, stallNs);
    }

    /**
     * A {@code -D} run: the first and last {@code marginSeconds} of {@code durationSeconds} are not
     * counted (perftest's START and END margins); the loop stops at the end of the sample window.
     */
    static Window duration(int durationSeconds, int marginSeconds, long stallNs) {
        long now = System.nanoTime();
        long margin = marginSeconds * 1_000_000_000L;
        return new Window(true, now, now + margin, now + durationSeconds * 1_000_000_000L - margin, stallNs);
    }

    /**
     * {@code --run_infinitely}: counted from now, with no end but {@code stop} (perftest's SIGINT
     * flag); progress (a result row) is due every {@code periodSeconds} (perftest's print thread
     * sleeps {@code -D} seconds between rows).
     */
    static Window infinite(int periodSeconds, BooleanSupplier stop, long stallNs) {
        long now = System.nanoTime();
        return new Window(true, now, now, Long.MAX_VALUE, stallNs, periodSeconds * 1_000_000_000L, stop);
    }

    /** Duration runs: whether {@code now} is past the sample window (perftest's END_STATE), or a stop was asked for. */
    boolean ended(long now) {
        return duration && (now >= sampleEndNs || stop != null && stop.getAsBoolean());
    }

    /** Duration runs: whether {@code now} is inside the sample window (perftest's SAMPLE_STATE). */
    boolean sampling(long now) {
        return duration && now >= sampleStartNs && now < sampleEndNs;
    }

    /** Whether a progress line is due at {@code now}; advances to the next second when it is. */
    boolean progressDue(long now) {
        if (!duration || now < nextProgressNs) {
            return false;
        }
        do {
            nextProgressNs += periodNs; // a late check skips the periods it missed: one call, not a burst
        } while (nextProgressNs <= now);
        return true;
    }

    /** Something arrived: the stall clock restarts at the next clock read (no clock read here). */
    void event() {
        seen = true;
    }

    /**
     * One empty poll of a wait: every {@link #SPINS_PER_CLOCK_READ} of them reads the clock and
     * throws {@link StalledException} when nothing arrived for the stall bound.
     *
     * @return the clock if it was read, else 0
     */
    long idle(String what) {
        if (++spins < SPINS_PER_CLOCK_READ) {
            return 0;
        }
        spins = 0;
        long now = System.nanoTime();
        if (seen) {
            seen = false;
            lastEventNs = now;
        } else if (now - lastEventNs > stallNs) {
            throw new StalledException(what, stallNs);
        }
        return now;
    }

    /** Raised by {@link #idle} (the message is built only then). */
    static final class StalledException extends EngineException {
        StalledException(String what, long stallNs) {
            super("no progress for " + stallNs / 1_000_000_000L + " s while waiting for " + what
                    + ": the peer stopped, or its settings differ (size, connection type, test)");
        }
    }
}
