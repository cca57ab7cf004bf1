package io.jverbs.verbs;

/** {@code enum ibv_wc_opcode}: what kind of work a completion is for. */
public enum WcOpcode {
    SEND(0), RDMA_WRITE(1), RDMA_READ(2), COMP_SWAP(3), FETCH_ADD(4), BIND_MW(5), LOCAL_INV(6), TSO(7),
    ATOMIC_WRITE(9), RECV(128), RECV_RDMA_WITH_IMM(129), TM_ADD(130), TM_DEL(131), TM_SYNC(132), TM_RECV(133),
    TM_NO_TAG(134), DRIVER1(135), DRIVER2(136), DRIVER3(137), UNKNOWN(-1);

    private static final WcOpcode[] LOW = new WcOpcode[10];
    private static final WcOpcode[] HIGH = new WcOpcode[10];

    static {
        for (WcOpcode o : values()) {
            if (o.code >= 0 && o.code < 10) LOW[o.code] = o;
            if (o.code >= 128) HIGH[o.code - 128] = o;
        }
    }

    private final int code;

    WcOpcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static WcOpcode of(int code) {
        WcOpcode o = code >= 0 && code < 10 ? LOW[code] : code >= 128 && code < 138 ? HIGH[code - 128] : null;
        return o == null ? UNKNOWN : o;
    }

    /** True for receive-side completions ({@code opcode & IBV_WC_RECV}). */
    public boolean isReceive() {
        return code >= 128;
    }
}
