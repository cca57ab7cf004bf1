package io.jverbs.rdmacm;

import io.jverbs.rdmacm.ffi.rdma_conn_param;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * What {@link CmId#connect} and {@link CmId#accept} send ({@code struct rdma_conn_param}, see
 * rdma_connect(3)). Fluent and mutable. The defaults suit a reliable connection: RDMA read/atomic
 * depths as large as the devices allow, and the maximum retry counts (RNR retry 7 = retry
 * forever, so a send waits for the peer to post a receive).
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
    int retryCount = 7;
    int rnrRetryCount = 7;

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

    /** Transport retries after a timeout, 0..7. */
    public ConnectionParameters retryCount(int n) {
        this.retryCount = check3Bits("retryCount", n);
        return this;
    }

    /** Retries after a receiver-not-ready NAK, 0..7; 7 retries forever. */
    public ConnectionParameters rnrRetryCount(int n) {
        this.rnrRetryCount = check3Bits("rnrRetryCount", n);
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
