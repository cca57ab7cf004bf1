package io.jverbs.verbs;

/**
 * {@code enum ibv_qp_create_send_ops_flags}: the opcodes a QP created with
 * {@link QueuePair.Config#sendOps} may post through {@link ExtendedPost}, combined with {@code |}:
 * {@code SendOps.RDMA_WRITE | SendOps.SEND}.
 */
public final class SendOps {
    public static final long RDMA_WRITE = 1;
    public static final long RDMA_WRITE_WITH_IMM = 1 << 1;
    public static final long SEND = 1 << 2;
    public static final long SEND_WITH_IMM = 1 << 3;
    public static final long RDMA_READ = 1 << 4;
    public static final long ATOMIC_CMP_AND_SWP = 1 << 5;
    public static final long ATOMIC_FETCH_AND_ADD = 1 << 6;
    public static final long LOCAL_INV = 1 << 7;
    public static final long BIND_MW = 1 << 8;
    public static final long SEND_WITH_INV = 1 << 9;
    public static final long TSO = 1 << 10;

    private SendOps() {}
}
