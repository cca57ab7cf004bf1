package io.jverbs.perftest.report;

import java.util.Objects;

/**
 * What a BW engine measured for one message size, in nanoseconds of one monotonic clock
 * ({@link System#nanoTime()}). Messages are numbered 0..messages−1 over all QPs in posting order,
 * as perftest's {@code tposted}/{@code tcompleted}.
 *
 * @param size         message size in bytes
 * @param messages     messages sent: iterations × QPs
 * @param postedNs     {@code postedNs[i]}: when message i was posted (length ≥ messages)
 * @param completedNs  {@code completedNs[j]}: when the completion covering message j was polled;
 *                     required at every j = k·cqModeration − 1 and at messages − 1 (the others are
 *                     ignored, so an engine writes one slot per signalled completion)
 * @param postList     messages per post call ({@code -l}); peak windows start at post boundaries
 * @param cqModeration messages per signalled completion ({@code -Q})
 */
public record BwTimestamps(long size, int messages, long[] postedNs, long[] completedNs, int postList,
                           int cqModeration) {
    public BwTimestamps {
        Objects.requireNonNull(postedNs, "postedNs");
        Objects.requireNonNull(completedNs, "completedNs");
        if (messages < 1 || postedNs.length < messages || completedNs.length < messages) {
            throw new IllegalArgumentException("need " + messages + " timestamps, have posted " + postedNs.length
                    + ", completed " + completedNs.length);
        }
        if (postList < 1 || cqModeration < 1) {
            throw new IllegalArgumentException("postList and cqModeration must be ≥ 1");
        }
    }
}
