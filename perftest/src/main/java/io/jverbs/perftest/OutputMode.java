package io.jverbs.perftest;

/** What is printed ({@code --output}): the full report, or one number. */
public enum OutputMode {
    /** perftest's full text report (default). */
    FULL,
    /** {@code --output=bandwidth}: the average bandwidth only, {@code %lf}. */
    BANDWIDTH,
    /** {@code --output=message_rate}: the message rate only. */
    MESSAGE_RATE,
    /** {@code --output=latency}: the average latency only. */
    LATENCY
}
