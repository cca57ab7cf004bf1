package io.jverbs.soft.transport;

import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;

import java.lang.foreign.MemorySegment;

/**
 * Between a {@link TransportPacket} and its bytes, through the wire package's {@link RocePacket}:
 * {@link #layout} writes the UDP payload of a packet to send (BTH to ICRC, the ICRC left for the
 * device layer, which knows the IPv4 addresses it covers), {@link #read} fills a transport packet
 * from one the wire package has checked. One codec per thread; neither call allocates.
 */
public final class PacketCodec {
    private final RocePacket roce = new RocePacket();

    /**
     * Lays {@code p} out at {@code offset} of {@code buffer} as a RoCEv2 UDP payload: BTH, the
     * extension headers of its opcode, the payload copied in, the pad; the ICRC field is zero.
     *
     * @return the bytes written
     * @throws IllegalArgumentException if the packet does not fit
     */
    public int layout(TransportPacket p, MemorySegment buffer, long offset) {
        RocePacket r = roce;
        Opcode op = p.opcode;
        int length = r.layoutTransport(buffer, offset, op, p.payloadLength);
        r.bth().setDestinationQp(p.destQp).setAckRequest(p.ackRequest).setPsn(p.psn);
        if (p.solicited) {
            r.bth().setFlags(true, false, r.bth().padCount(), r.bth().transportVersion());
        }
        if (op.hasDeth()) {
            r.deth().setQkey(p.qkey).setSourceQp(p.srcQp);
        }
        if (op.hasReth()) {
            r.reth().setVirtualAddress(p.va).setRkey(p.rkey).setDmaLength(p.dmaLength & 0xFFFFFFFFL);
        }
        if (op.hasAtomicEth()) {
            r.atomicEth().setVirtualAddress(p.va).setRkey(p.rkey).setSwapOrAdd(p.swapAdd).setCompare(p.compare);
        }
        if (op.hasAeth()) {
            r.aeth().setSyndrome(p.syndrome).setMsn(p.msn);
        }
        if (op.hasAtomicAckEth()) {
            r.atomicAckEth().setOriginalData(p.atomicOriginal);
        }
        if (op.hasImmediate()) {
            r.immDt().setImmediate(p.imm);
        }
        if (op.hasIeth()) {
            r.ieth().setRkey(p.rkey);
        }
        if (p.payloadLength > 0) {
            MemorySegment.copy(p.payload, p.payloadOffset, buffer, r.payloadOffset(), p.payloadLength);
        }
        return length;
    }

    /**
     * Fills {@code into} from a packet {@code parsed} wrapped with {@link io.jverbs.soft.wire.RoceStatus#OK} (its
     * payload, and its IPv4 header when it was wrapped with one, by reference: valid while the
     * received buffer is).
     *
     * @return {@code into}
     */
    public TransportPacket read(RocePacket parsed, long source, TransportPacket into) {
        Opcode op = parsed.opcode();
        into.clearHeaders();
        into.address = source;
        into.opcode = op;
        into.solicited = parsed.bth().solicitedEvent();
        into.destQp = parsed.bth().destinationQp();
        into.ackRequest = parsed.bth().ackRequest();
        into.psn = parsed.bth().psn();
        if (op.hasDeth()) {
            into.qkey = parsed.deth().qkey();
            into.srcQp = parsed.deth().sourceQp();
        }
        if (op.hasReth()) {
            into.va = parsed.reth().virtualAddress();
            into.rkey = parsed.reth().rkey();
            into.dmaLength = (int) parsed.reth().dmaLength();
        }
        if (op.hasAtomicEth()) {
            into.va = parsed.atomicEth().virtualAddress();
            into.rkey = parsed.atomicEth().rkey();
            into.swapAdd = parsed.atomicEth().swapOrAdd();
            into.compare = parsed.atomicEth().compare();
        }
        if (op.hasAeth()) {
            into.syndrome = parsed.aeth().syndrome();
            into.msn = parsed.aeth().msn();
        }
        if (op.hasAtomicAckEth()) {
            into.atomicOriginal = parsed.atomicAckEth().originalData();
        }
        if (op.hasImmediate()) {
            into.imm = parsed.immDt().immediate();
        }
        if (op.hasIeth()) {
            into.rkey = parsed.ieth().rkey();
        }
        into.payload = parsed.segment();
        into.payloadOffset = parsed.payloadOffset();
        into.payloadLength = parsed.payloadLength();
        if (parsed.hasIpv4() && parsed.ipv4().headerLength() == Ipv4Packet.MIN_HEADER_LENGTH) {
            into.ipv4Header = parsed.ipv4().segment();
            into.ipv4HeaderOffset = parsed.ipv4().offset();
        }
        return into;
    }
}
