package io.jverbs.perftest;

/** The operation a perftest test measures; its name is the one perftest prints in headers. */
public enum TestKind {
    /** RDMA Write ({@code ib_write_*}). */
    WRITE("RDMA_Write"),
    /** RDMA Read ({@code ib_read_*}). */
    READ("RDMA_Read"),
    /** Send/receive ({@code ib_send_*}). */
    SEND("Send"),
    /** Atomic fetch-and-add or compare-and-swap ({@code ib_atomic_*}). */
    ATOMIC("Atomic");

    private final String perftestName;

    TestKind(String perftestName) {
        this.perftestName = perftestName;
    }

    /** The name perftest prints: {@code Send}, {@code RDMA_Write}, {@code RDMA_Read}, {@code Atomic}. */
    public String perftestName() {
        return perftestName;
    }

    /**
     * Latency samples are round trips; perftest halves them for send and write (a ping-pong of two
     * one-way transfers) and keeps them whole for read and atomic (one request-response).
     */
    public int rttFactor() {
        return this == READ || this == ATOMIC ? 1 : 2;
    }

    /** Whether the receiver sees completions (send), so it has a receive queue depth. */
    public boolean hasReceiveCompletions() {
        return this == SEND;
    }
}
