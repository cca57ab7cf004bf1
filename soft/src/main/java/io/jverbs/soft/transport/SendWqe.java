package io.jverbs.soft.transport;

import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WrOpcode;

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
    /** {@code wr.rdma.rkey} or {@code wr.atomic.rkey}. */
    public int rkey;
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
    /** The gather list. */
    public final ScatterList sges;

    // Requester progress (package-private).
    long length;        // sum of the SGE lengths
    int firstPsn;       // PSN of the first packet
    int lastPsn;        // PSN of the last packet (READ: of its last response)
    int packets;        // packets (READ: responses) it takes
    int nextPsn;        // READ: next response PSN expected; SEND/WRITE: next packet to send
    boolean started;    // the first packet has been sent
    io.jverbs.verbs.WcStatus localError; // it failed before sending (bad lkey, too long): completes in turn

    SendWqe(int maxSge) {
        sges = new ScatterList(maxSge);
    }

    boolean signaled() {
        return (flags & SendFlags.SIGNALED) != 0;
    }

    boolean isRead() {
        return opcode == WrOpcode.RDMA_READ.code();
    }

    boolean isAtomic() {
        return opcode == WrOpcode.ATOMIC_CMP_AND_SWP.code() || opcode == WrOpcode.ATOMIC_FETCH_AND_ADD.code();
    }
}
