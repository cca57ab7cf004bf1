package io.jverbs.perftest;

import java.util.EnumSet;
import java.util.Set;

/** Transport of the test QPs ({@code -c}). */
public enum Connection {
    /** Reliable connected. */
    RC,
    /** Unreliable connected. */
    UC,
    /** Unreliable datagram. */
    UD,
    /** Extended reliable connected (XRC SRQs). */
    XRC,
    /** Dynamically connected (mlx5). */
    DC;

    /**
     * The connection types perftest accepts for a test: send RC/UC/UD/XRC/DC, write RC/UC/XRC/DC,
     * read and atomic RC/XRC/DC.
     */
    public static Set<Connection> validFor(TestKind kind) {
        return switch (kind) {
            case SEND -> EnumSet.allOf(Connection.class);
            case WRITE -> EnumSet.of(RC, UC, XRC, DC);
            case READ, ATOMIC -> EnumSet.of(RC, XRC, DC);
        };
    }

    /** XRC and DC always use a shared receive queue in perftest. */
    public boolean usesSrq() {
        return this == XRC || this == DC;
    }
}
