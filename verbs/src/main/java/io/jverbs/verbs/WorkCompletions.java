package io.jverbs.verbs;

import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_wc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable array of {@code struct ibv_wc} that {@link CompletionQueue#poll} fills. Read it by
 * index: no object per completion. The index is checked against the capacity unless
 * {@link BoundsChecks} are off; the array is this object's own memory and lives as long as it
 * does, so that check is its bounds check and the reads go to absolute addresses (no segment
 * bounds and liveness checks on top, which cost ~0.5 ns per post+poll). One instance per
 * polling thread.
 */
public final class WorkCompletions {
    /** {@code IBV_WC_GRH}: a UD receive buffer starts with a 40-byte GRH. */
    public static final int FLAG_GRH = 1;
    /** {@code IBV_WC_WITH_IMM}. */
    public static final int FLAG_WITH_IMM = 1 << 1;
    /** {@code IBV_WC_IP_CSUM_OK}: RAW_PACKET receive with a good IP checksum. */
    public static final int FLAG_IP_CSUM_OK = 1 << 2;
    /** {@code IBV_WC_WITH_INV}. */
    public static final int FLAG_WITH_INV = 1 << 3;

    private static final long SIZE = ibv_wc.sizeof();
    private static final long WR_ID = ibv_wc.wr_id$offset();
    private static final long STATUS = ibv_wc.status$offset();
    private static final long OPCODE = ibv_wc.opcode$offset();
    private static final long VENDOR_ERR = ibv_wc.vendor_err$offset();
    private static final long BYTE_LEN = ibv_wc.byte_len$offset();
    private static final long IMM = ibv_wc.imm_data$offset();
    private static final long QP_NUM = ibv_wc.qp_num$offset();
    private static final long SRC_QP = ibv_wc.src_qp$offset();
    private static final long FLAGS = ibv_wc.wc_flags$offset();
    private static final long SLID = ibv_wc.slid$offset();
    private static final long SL = ibv_wc.sl$offset();
    private static final long PKEY = ibv_wc.pkey_index$offset();

    private final int capacity;
    private final MemorySegment wc;
    /** {@code wc.address()}, read once for the poll path. */
    final long address;

    public WorkCompletions(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.wc = Arena.ofAuto().allocate(ibv_wc.layout(), capacity);
        this.address = wc.address();
    }

    public int capacity() {
        return capacity;
    }

    /** The {@code struct ibv_wc[]} itself. */
    public MemorySegment segment() {
        return wc;
    }

    public long wrId(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_LONG_UNALIGNED, at(i) + WR_ID);
    }

    public WcStatus status(int i) {
        return WcStatus.of(statusCode(i));
    }

    public int statusCode(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + STATUS);
    }

    public boolean isSuccess(int i) {
        return statusCode(i) == 0;
    }

    public WcOpcode opcode(int i) {
        return WcOpcode.of(BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + OPCODE));
    }

    public int vendorError(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + VENDOR_ERR);
    }

    /** Bytes received (receive completions only). */
    public int byteLength(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + BYTE_LEN);
    }

    /** Immediate data in host order (valid when {@link #FLAG_WITH_IMM} is set). */
    public int immediateData(int i) {
        return Integer.reverseBytes(BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + IMM));
    }

    /** The invalidated rkey (valid when {@link #FLAG_WITH_INV} is set). */
    public int invalidatedRkey(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + IMM);
    }

    public int qpNumber(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + QP_NUM);
    }

    /** The sender's QP number (UD receives). */
    public int sourceQp(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + SRC_QP);
    }

    public int flags(int i) {
        return BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_INT_UNALIGNED, at(i) + FLAGS);
    }

    public int slid(int i) {
        return Short.toUnsignedInt(BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_SHORT_UNALIGNED, at(i) + SLID));
    }

    public int serviceLevel(int i) {
        return Byte.toUnsignedInt(BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_BYTE, at(i) + SL));
    }

    public int pkeyIndex(int i) {
        return Short.toUnsignedInt(BoundsChecks.EVERYTHING.get(ValueLayout.JAVA_SHORT_UNALIGNED, at(i) + PKEY));
    }

    /** libibverbs' text for the status of completion {@code i} ({@code ibv_wc_status_str}). */
    public String statusText(int i) {
        return Native.string(IbVerbs.ibv_wc_status_str(statusCode(i)));
    }

    /** One line describing completion {@code i}, for logs and error messages. */
    public String describe(int i) {
        if (!isSuccess(i) && io.jverbs.verbs.internal.JfrEvents.ErrorCompletion.enabled()) { // never from poll
            new io.jverbs.verbs.internal.JfrEvents.ErrorCompletion(status(i).name(), statusText(i), opcode(i).name(),
                    qpNumber(i), wrId(i), vendorError(i)).commit();
        }
        return "wr_id=" + wrId(i) + " status=" + status(i) + " (" + statusText(i) + ") opcode=" + opcode(i)
                + " byte_len=" + byteLength(i) + " qp=0x" + Integer.toHexString(qpNumber(i))
                + " vendor_err=0x" + Integer.toHexString(vendorError(i));
    }

    /** The address of completion {@code i}. */
    private long at(int i) {
        if (BoundsChecks.ENABLED && Integer.compareUnsigned(i, capacity) >= 0) {
            throw new IndexOutOfBoundsException("completion " + i + " of " + capacity);
        }
        return address + i * SIZE;
    }
}
