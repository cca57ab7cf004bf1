package io.jverbs.soft.transport;

import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WrOpcode;

import java.lang.foreign.MemorySegment;

/**
 * One send work request in a QP's send ring: the fields of {@code ibv_send_wr} the transport uses,
 * filled in place by {@link SoftQp#nextSend()} callers and reused when the ring wraps (one object per
 * slot, made when the QP is made). The trailing fields are the requester's progress on it.
 */
public final class SendWqe {
    /** {@code wr_id}. */
    public long wrId;
    /** {@code opcode}: an {@code enum ibv_wr_opcode} value ({@link WrOpcode#code()}). */
    public int opcode;
    /** {@code send_flags}: {@link SendFlags} bits. */
    public int flags;
    /** {@code imm_data} as the wire carries it (big-endian meaning is the device layer's business). */
    public int imm;
    /** {@code wr.rdma.remote_addr} or {@code wr.atomic.remote_addr}. */
    public long remoteAddress;
    /**
     * {@code wr.rdma.rkey} or {@code wr.atomic.rkey}; BIND_MW: {@code bind_mw.rkey}, the window's
     * new key; LOCAL_INV: {@code invalidate_rkey}.
     */
    public int rkey;
    /** BIND_MW: the window's current key (the {@code ibv_mw.rkey} the request names); its address is {@link #remoteAddress}. */
    public int mwKey;
    /** BIND_MW: the key of the region the window covers ({@code bind_info.mr}). */
    public int mrKey;
    /** BIND_MW: {@code bind_info.length} (0 unbinds a type 1 window). */
    public long bindLength;
    /** BIND_MW: {@code bind_info.mw_access_flags}. */
    public int bindAccess;
    /** {@code wr.atomic.compare_add}. */
    public long compareAdd;
    /** {@code wr.atomic.swap}. */
    public long swap;
    /** UD: the destination address (opaque to the transport: the device layer's AH). */
    public long udAddress;
    /** UD: {@code wr.ud.remote_qpn}. */
    public int udRemoteQpn;
    /** UD: {@code wr.ud.remote_qkey}; with the high bit set the QP's own Q_Key is sent (verbs). */
    public int udRemoteQkey;
    /** The gather list (ignored with {@link SendFlags#INLINE}). */
    public final ScatterList sges;
    /**
     * With {@link SendFlags#INLINE}: the payload, copied here when the request is posted (verbs
     * lets the caller reuse its buffer at once); {@code max_inline_data} bytes.
     */
    public final MemorySegment inlineData;
    /** With {@link SendFlags#INLINE}: how many bytes of {@link #inlineData} are the payload. */
    public int inlineLength;

    // Requester progress (package-private).
    long length;        // sum of the SGE lengths
    int firstPsn;       // PSN of the first packet
    int lastPsn;        // PSN of the last packet (READ: of its last response)
    int nextPsn;        // READ: next response PSN expected; SEND/WRITE: next packet to send
    boolean started;    // the first packet has been sent
    io.jverbs.verbs.WcStatus localError; // it failed before sending (bad lkey, too long): completes in turn

    SendWqe(int maxSge, int maxInline) {
        sges = new ScatterList(maxSge);
        inlineData = MemorySegment.ofArray(new byte[maxInline]);
    }

    boolean isInline() {
        return (flags & SendFlags.INLINE) != 0;
    }

    boolean signaled() {
        return (flags & SendFlags.SIGNALED) != 0;
    }

    boolean isRead() {
        return opcode == WrOpcode.RDMA_READ.code();
    }

    /** BIND_MW and LOCAL_INV: executed by the requester in send-queue order, no packet. */
    boolean isLocal() {
        return opcode == WrOpcode.BIND_MW.code() || opcode == WrOpcode.LOCAL_INV.code();
    }

    boolean isAtomic() {
        return opcode == WrOpcode.ATOMIC_CMP_AND_SWP.code() || opcode == WrOpcode.ATOMIC_FETCH_AND_ADD.code();
    }
}
