package io.jverbs.verbs;

/**
 * {@code enum ibv_create_cq_wc_flags}: the fields an extended CQ produces for each completion
 * ({@link CompletionQueue.Config#extended(long)}), combined with {@code |}. A field not asked for
 * costs nothing and cannot be read from {@link ExtendedCompletions}.
 */
public final class CompletionFields {
    public static final long BYTE_LEN = 1;
    public static final long IMM = 1 << 1;
    public static final long QP_NUM = 1 << 2;
    public static final long SRC_QP = 1 << 3;
    public static final long SLID = 1 << 4;
    public static final long SL = 1 << 5;
    public static final long DLID_PATH_BITS = 1 << 6;
    public static final long COMPLETION_TIMESTAMP = 1 << 7;
    public static final long CVLAN = 1 << 8;
    public static final long FLOW_TAG = 1 << 9;
    public static final long COMPLETION_TIMESTAMP_WALLCLOCK = 1 << 11;
    /** {@code IBV_WC_STANDARD_FLAGS}: what a classic {@code struct ibv_wc} holds. */
    public static final long STANDARD = BYTE_LEN | IMM | QP_NUM | SRC_QP | SLID | SL | DLID_PATH_BITS;

    private CompletionFields() {}
}
