package io.jverbs.perftest.engine;

/** A -D progress line is due: called by the loops at most once a second, never per message. */
@FunctionalInterface
interface Progress {
    /** {@code nowNs}: {@link System#nanoTime()} when the line is due. */
    void at(long nowNs);
}
