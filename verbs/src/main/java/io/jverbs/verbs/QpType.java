package io.jverbs.verbs;

/** {@code enum ibv_qp_type}. */
public enum QpType {
    /** Reliable connected: send/recv, RDMA write/read, atomics. */
    RC(2),
    /** Unreliable connected: send/recv and RDMA write. */
    UC(3),
    /** Unreliable datagram: sends of up to one MTU to any UD QP, addressed per request. */
    UD(4),
    /** Raw Ethernet frames (mlx5; Soft-RoCE refuses it). */
    RAW_PACKET(8),
    /** XRC initiator. */
    XRC_SEND(9),
    /** XRC target. */
    XRC_RECV(10),
    /**
     * {@code IBV_QPT_DRIVER}: a provider-specific type, created through the provider's own library;
     * here mlx5's dynamically connected QPs ({@code io.jverbs.verbs.mlx5}).
     */
    DRIVER(0xff);

    private final int code;

    QpType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static QpType of(int code) {
        for (QpType t : values()) {
            if (t.code == code) return t;
        }
        throw new IllegalArgumentException("unknown ibv_qp_type " + code);
    }
}
