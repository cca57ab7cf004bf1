package io.jverbs.rdmacm;

import io.jverbs.rdmacm.ffi.rdma_conn_param;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * What {@link CmId#connect} and {@link CmId#accept} send ({@code struct rdma_conn_param}, see
 * rdma_connect(3)), plus the QP's ACK timeout. Fluent and mutable.
 *
 * <p>Defaults, chosen for a reliable connection that notices a dead peer:
 * <table>
 * <caption>defaults</caption>
 * <tr><th>parameter</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@link #responderResources}, {@link #initiatorDepth}</td><td>{@link #DEVICE_MAX}</td>
 *     <td>RDMA read/atomic depths as large as both devices allow</td></tr>
 * <tr><td>{@link #retryCount}</td><td>6</td><td>transport retries after an ACK timeout, then the
 *     work request fails with {@code RETRY_EXC_ERR}. Not 7: Soft-RoCE (rxe) retries forever with 7
 *     (measured on Linux 6.1), so a silent dead peer would never be noticed there</td></tr>
 * <tr><td>{@link #ackTimeout}</td><td>17: 4.096 µs × 2<sup>17</sup> ≈ 0.54 s per try</td><td>rdma_cm's
 *     own choice from the path ({@code -1}) is 19 on RoCE, ≈ 2.1 s per try: 15 s to notice a dead
 *     peer (measured); a kernel without the option keeps its own choice silently</td></tr>
 * <tr><td>{@link #rnrRetryCount}</td><td>7 (forever)</td><td>a send waits for the peer to post a
 *     receive; only a live peer sends RNR NAKs, so this never delays noticing a dead one</td></tr>
 * </table>
 *
 * <p>The bound: a peer that vanishes without a word (host down, cable pulled) fails the oldest
 * outstanding work request with {@code RETRY_EXC_ERR} after about (retryCount + 1) × ACK timeout,
 * ≈ 7 × 0.54 s ≈ 3.8 s with the defaults (the device may add jitter; measured on rxe:
 * ackTimeout 14 with retryCount 1 took 0.2 s, with 6 0.5 s; rdma_cm's choice with 6: 16 s). A peer whose
 * process ends is noticed sooner: its kernel disconnects for it, and
 * {@link CmConnection}'s waits end on the DISCONNECTED event.
 */
public final class ConnectionParameters {
    /** {@code RDMA_MAX_RESP_RES} / {@code RDMA_MAX_INIT_DEPTH}: let librdmacm use the device limit. */
    public static final int DEVICE_MAX = 0xff;
    /**
     * Private data limits on IB and RoCE (the IB CM message sizes minus, for a request, the 36-byte
     * rdma_cm header): the kernel refuses more. iWARP allows more; jverbs targets IB/RoCE.
     */
    public static final int MAX_CONNECT_PRIVATE_DATA = 56, MAX_ACCEPT_PRIVATE_DATA = 196, MAX_REJECT_PRIVATE_DATA = 148;

    byte[] privateData = new byte[0];
    int responderResources = DEVICE_MAX;
    int initiatorDepth = DEVICE_MAX;
    int retryCount = 6;
    int rnrRetryCount = 7;
    /** rdma_cm's ack timeout exponent is 19 on RoCE (2.1 s per try); 17 bounds a dead peer at ≈ 3.8 s. */
    static final int DEFAULT_ACK_TIMEOUT = 17;
    int ackTimeout = DEFAULT_ACK_TIMEOUT;
    /** ackTimeout was set by the caller: failing to apply it is an error, not a silent fallback. */
    boolean ackTimeoutSet;

    /** Bytes for the peer, delivered in its CONNECT_REQUEST or ESTABLISHED event (null: none). */
    public ConnectionParameters privateData(byte[] data) {
        this.privateData = data == null ? new byte[0] : data.clone();
        return this;
    }

    /** RDMA reads and atomics the peer may have outstanding to us (≤ max_qp_rd_atom), or {@link #DEVICE_MAX}. */
    public ConnectionParameters responderResources(int n) {
        this.responderResources = checkByte("responderResources", n);
        return this;
    }

    /** RDMA reads and atomics we may have outstanding to the peer (≤ max_qp_init_rd_atom), or {@link #DEVICE_MAX}. */
    public ConnectionParameters initiatorDepth(int n) {
        this.initiatorDepth = checkByte("initiatorDepth", n);
        return this;
    }

    /** Transport retries after an ACK timeout, 0..7 (default 6; rxe treats 7 as forever). */
    public ConnectionParameters retryCount(int n) {
        this.retryCount = check3Bits("retryCount", n);
        return this;
    }

    /** Retries after a receiver-not-ready NAK, 0..7; 7 retries forever. */
    public ConnectionParameters rnrRetryCount(int n) {
        this.rnrRetryCount = check3Bits("rnrRetryCount", n);
        return this;
    }

    /**
     * The QP's local ACK timeout exponent, 0..31: 4.096 µs × 2<sup>n</sup> per try
     * ({@code rdma_set_option(RDMA_OPTION_ID_ACK_TIMEOUT)}, applied on connect and accept);
     * default 17 (≈ 0.54 s); -1 leaves rdma_cm's choice from the path (19 on RoCE). Smaller
     * values notice a silent dead peer sooner, too small ones retransmit needlessly on a slow or
     * congested path.
     */
    public ConnectionParameters ackTimeout(int n) {
        if (n < -1 || n > 31) throw new IllegalArgumentException("ackTimeout must be 0..31 (or -1: rdma_cm's choice), got " + n);
        this.ackTimeout = n;
        this.ackTimeoutSet = true;
        return this;
    }

    /** Fills a {@code struct rdma_conn_param}; the private data is copied into {@code allocator}'s memory. */
    MemorySegment encode(SegmentAllocator allocator, int maxPrivateData, String call) {
        checkPrivateData(privateData, maxPrivateData, call);
        MemorySegment p = allocator.allocate(rdma_conn_param.layout());
        p.fill((byte) 0);
        if (privateData.length > 0) {
            rdma_conn_param.private_data(p, allocator.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, privateData));
            rdma_conn_param.private_data_len(p, (byte) privateData.length);
        }
        rdma_conn_param.responder_resources(p, (byte) responderResources);
        rdma_conn_param.initiator_depth(p, (byte) initiatorDepth);
        rdma_conn_param.retry_count(p, (byte) retryCount);
        rdma_conn_param.rnr_retry_count(p, (byte) rnrRetryCount);
        return p;
    }

    static void checkPrivateData(byte[] data, int max, String call) {
        if (data != null && data.length > max) {
            throw new IllegalArgumentException(call + " carries at most " + max + " bytes of private data on IB/RoCE, got "
                    + data.length);
        }
    }

    private static int checkByte(String what, int n) {
        if (n < 0 || n > 0xff) throw new IllegalArgumentException(what + " must be 0..255, got " + n);
        return n;
    }

    private static int check3Bits(String what, int n) {
        if (n < 0 || n > 7) throw new IllegalArgumentException(what + " must be 0..7, got " + n);
        return n;
    }
}
