package io.jverbs.raweth.iface;

import io.jverbs.raweth.wire.WireStatus;

/**
 * The counters of one {@link Interface}: a {@code long} per {@link Counter} and per
 * {@link WireStatus} (malformed headers by reason), indexed by ordinal so counting allocates
 * nothing. Written by the polling thread; read them there, or accept a slightly stale value.
 */
public final class InterfaceStats {
    private final long[] counters = new long[Counter.values().length];
    private final long[] malformed = new long[WireStatus.values().length];

    InterfaceStats() {
    }

    /** How many times {@code counter} happened. */
    public long count(Counter counter) {
        return counters[counter.ordinal()];
    }

    /** How many packets were dropped as malformed for {@code reason} ({@link WireStatus#OK} stays 0). */
    public long malformed(WireStatus reason) {
        return malformed[reason.ordinal()];
    }

    /** All malformed drops together. */
    public long malformedTotal() {
        long n = 0;
        for (long m : malformed) {
            n += m;
        }
        return n;
    }

    void add(Counter counter) {
        counters[counter.ordinal()]++;
    }

    void add(Counter counter, long n) {
        counters[counter.ordinal()] += n;
    }

    void add(WireStatus reason) {
        malformed[reason.ordinal()]++;
    }

    /** The non-zero counters, one {@code name=value} each, for a log line. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("InterfaceStats[");
        String sep = "";
        for (Counter c : Counter.values()) {
            if (counters[c.ordinal()] != 0) {
                s.append(sep).append(c).append('=').append(counters[c.ordinal()]);
                sep = ", ";
            }
        }
        for (WireStatus w : WireStatus.values()) {
            if (malformed[w.ordinal()] != 0) {
                s.append(sep).append(w).append('=').append(malformed[w.ordinal()]);
                sep = ", ";
            }
        }
        return s.append(']').toString();
    }
}
