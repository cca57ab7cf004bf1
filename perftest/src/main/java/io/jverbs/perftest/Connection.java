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
    DC,
    /**
     * Raw Ethernet frames (perftest's {@code RawEth}, a RAW_PACKET QP): the connection of
     * {@code raw_ethernet_bw}/{@code _lat} only, never valid for {@code -c}.
     */
    RAW_ETH;

    /**
     * The connection types perftest accepts for a test: send RC/UC/UD/XRC/DC, write RC/UC/XRC/DC,
     * read and atomic RC/XRC/DC.
     */
    public static Set<Connection> validFor(TestKind kind) {
        return switch (kind) {
            case SEND -> EnumSet.of(RC, UC, UD, XRC, DC);
            case WRITE -> EnumSet.of(RC, UC, XRC, DC);
            case READ, ATOMIC -> EnumSet.of(RC, XRC, DC);
        };
    }

    /** The name perftest prints in its header: {@code RawEth} for raw Ethernet, else the enum's name. */
    public String perftestName() {
        return this == RAW_ETH ? "RawEth" : name();
    }

    /** XRC and DC always use a shared receive queue in perftest. */
    public boolean usesSrq() {
        return this == XRC || this == DC;
    }
}
