package io.jverbs.raweth.port;

/**
 * A source of time in nanoseconds, injected wherever time matters (link latency, held frames,
 * capture timestamps, and the TCP stack's timers), so a simulation decides what "now" is and a
 * test replays the same run every time. Only differences between two readings mean anything, as
 * with {@link System#nanoTime()}; compare readings with {@code a - b < 0}, never {@code a < b}.
 *
 * <p>{@link #system()} is the wall of a real run; {@link ManualClock} is moved by the test.
 */
@FunctionalInterface
public interface NanoClock {
    /** The current time in nanoseconds from an arbitrary origin. */
    long nanos();

    /** {@link System#nanoTime()}. */
    static NanoClock system() {
        return System::nanoTime;
    }
}
