package io.jverbs.verbs;

/** {@code enum ibv_send_flags}, combined with {@code |}. */
public final class SendFlags {
    /** Wait for earlier RDMA reads and atomics before this request. */
    public static final int FENCE = 1;
    /** Generate a completion even when the QP does not signal all requests. */
    public static final int SIGNALED = 1 << 1;
    /** Raise a solicited event at the receiver. */
    public static final int SOLICITED = 1 << 2;
    /** Copy the payload into the WQE: no lkey needed, buffer reusable at once; up to max_inline_data. */
    public static final int INLINE = 1 << 3;
    /** Offload the IP checksum (RAW_PACKET on capable devices). */
    public static final int IP_CSUM = 1 << 4;

    private SendFlags() {}
}
