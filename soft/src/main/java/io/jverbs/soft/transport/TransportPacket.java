package io.jverbs.soft.transport;

import io.jverbs.soft.wire.Opcode;

import java.lang.foreign.MemorySegment;

/**
 * One RoCEv2 packet as the transport sees it: the header fields it decides on, decoded, and where
 * the payload is. The transport fills one of these per packet it sends and hands it to a
 * {@link PacketSink}, which lays the packet out (the wire package's emit: headers for the opcode,
 * pad, ICRC); a received packet, parsed by the wire package, arrives as one of these too. Which
 * extension headers a packet carries follows from {@link #opcode}; fields of headers it does not
 * carry are ignored. Reused: a sink must copy what it keeps before returning.
 */
public final class TransportPacket {
    /** Where the packet goes (sent) or came from (received): opaque to the transport. */
    public long address;
    /** BTH opcode. */
    public Opcode opcode;
    /** BTH SE: solicited event. */
    public boolean solicited;
    /** BTH destination QP (24 bits). */
    public int destQp;
    /** BTH AckReq. */
    public boolean ackRequest;
    /** BTH PSN (24 bits). */
    public int psn;
    /** RETH or AtomicETH virtual address. */
    public long va;
    /** RETH or AtomicETH rkey; on a SEND with invalidate, the IETH's rkey. */
    public int rkey;
    /** RETH DMA length. */
    public int dmaLength;
    /** AETH syndrome. */
    public int syndrome;
    /** AETH MSN (24 bits). */
    public int msn;
    /** AtomicETH swap (CMP_SWAP) or add (FETCH_ADD) data. */
    public long swapAdd;
    /** AtomicETH compare data. */
    public long compare;
    /** AtomicAckETH original remote data. */
    public long atomicOriginal;
    /** DETH Q_Key. */
    public int qkey;
    /** DETH source QP. */
    public int srcQp;
    /** ImmDt. */
    public int imm;
    /** The payload's memory (any segment: a registered region when sending, the frame when received). */
    public MemorySegment payload = MemorySegment.NULL;
    /** The payload's offset in {@link #payload}. */
    public long payloadOffset;
    /** Payload bytes, without pad and ICRC. */
    public int payloadLength;
    /**
     * Received: the 20-byte IPv4 header the packet came with, where the device layer has one (a
     * raw frame; a socket receive may build it from the datagram's addresses), else
     * {@link MemorySegment#NULL}. A UD receive gets it as its GRH, as rxe gives it.
     */
    public MemorySegment ipv4Header = MemorySegment.NULL;
    /** The offset of {@link #ipv4Header} in its segment. */
    public long ipv4HeaderOffset;

    /** A copy of every field of {@code p} into this packet (the payload by reference). */
    public TransportPacket copyFrom(TransportPacket p) {
        address = p.address;
        opcode = p.opcode;
        solicited = p.solicited;
        destQp = p.destQp;
        ackRequest = p.ackRequest;
        psn = p.psn;
        va = p.va;
        rkey = p.rkey;
        dmaLength = p.dmaLength;
        syndrome = p.syndrome;
        msn = p.msn;
        swapAdd = p.swapAdd;
        compare = p.compare;
        atomicOriginal = p.atomicOriginal;
        qkey = p.qkey;
        srcQp = p.srcQp;
        imm = p.imm;
        payload = p.payload;
        payloadOffset = p.payloadOffset;
        payloadLength = p.payloadLength;
        ipv4Header = p.ipv4Header;
        ipv4HeaderOffset = p.ipv4HeaderOffset;
        return this;
    }

    void clearHeaders() {
        solicited = false;
        ackRequest = false;
        va = 0;
        rkey = 0;
        dmaLength = 0;
        syndrome = 0;
        msn = 0;
        swapAdd = 0;
        compare = 0;
        atomicOriginal = 0;
        qkey = 0;
        srcQp = 0;
        imm = 0;
        payload = MemorySegment.NULL;
        payloadOffset = 0;
        payloadLength = 0;
        ipv4Header = MemorySegment.NULL;
        ipv4HeaderOffset = 0;
    }

    @Override
    public String toString() {
        return String.format("%s qp=%d psn=%d%s%s len=%d", opcode, destQp, psn,
                ackRequest ? " A" : "", solicited ? " SE" : "", payloadLength);
    }
}
