package io.jverbs.verbs;

/** {@code enum ibv_wr_opcode}: what a send work request does. */
public enum WrOpcode {
    RDMA_WRITE(0), RDMA_WRITE_WITH_IMM(1), SEND(2), SEND_WITH_IMM(3), RDMA_READ(4), ATOMIC_CMP_AND_SWP(5),
    ATOMIC_FETCH_AND_ADD(6), LOCAL_INV(7), BIND_MW(8), SEND_WITH_INV(9), TSO(10), ATOMIC_WRITE(15);

    private final int code;

    WrOpcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
