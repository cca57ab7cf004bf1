package io.jverbs.perftest;

/** What a test measures: bandwidth ({@code *_bw}) or latency ({@code *_lat}). */
public enum Measure {
    /** Bandwidth: many outstanding operations, throughput and message rate. */
    BW,
    /** Latency: one operation in flight, round-trip statistics. */
    LAT
}
