package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.WireStatus;

import java.lang.foreign.MemorySegment;

/**
 * A whole RoCEv2 packet: IPv4, UDP to port 4791, the BTH, the extension headers its opcode
 * carries, the payload, the pad and the ICRC. One object per thread, re-pointed at each packet
 * with no allocation, like the header views it holds.
 *
 * <p>Receiving: {@link #wrapFrame} (an Ethernet frame), {@link #wrapIpv4} (from the IPv4 header)
 * or {@link #wrapTransport} (a UDP payload, as a datagram socket delivers it) checks the structure
 * and returns a {@link RoceStatus}, never throwing for bad bytes. The first two also verify the
 * ICRC; a UDP payload cannot be verified, since the ICRC covers the IPv4 header (its
 * identification included) that the socket hides. After {@link RoceStatus#OK} the views of the
 * headers the opcode carries read inside the packet; asking for one it does not carry throws
 * {@link IllegalStateException}.
 *
 * <p>Sending: {@link #layoutIpv4} (or {@link #layoutTransport} for a socket) writes the fixed
 * fields for an opcode and payload length (version, lengths, protocol, port 4791, DF, TTL 64,
 * P_Key 0xFFFF, PadCnt, zero pad) and points the views at their places; the caller sets the
 * addresses, ports, QPN, PSN and extension header fields and copies the payload to
 * {@link #payloadOffset()}; {@link #finishIpv4} (or {@link #finishDatagram}) then writes the IPv4
 * checksum and the ICRC.
 */
public final class RocePacket {
    /** IPv4, UDP, BTH and ICRC: the smallest RoCEv2 packet, an ACK is this plus its 4-byte AETH. */
    public static final int MIN_IPV4_LENGTH = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + Bth.LENGTH
            + Icrc.LENGTH;
    /** What rxe sends: the system default TTL (the GRH hop limit is not used). */
    public static final int DEFAULT_TTL = 64;

    /** Longer than the longest headers (40 bytes) and than pad + ICRC (7). */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64]).asReadOnly();

    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final UdpPacket udp = new UdpPacket();
    private final Bth bth = new Bth();
    private final Reth reth = new Reth();
    private final Aeth aeth = new Aeth();
    private final AtomicEth atomicEth = new AtomicEth();
    private final AtomicAckEth atomicAckEth = new AtomicAckEth();
    private final Deth deth = new Deth();
    private final ImmDt immDt = new ImmDt();
    private final Ieth ieth = new Ieth();
    private final Feth feth = new Feth();
    private final Icrc icrc = new Icrc();

    private MemorySegment segment = MemorySegment.NULL;
    private Opcode opcode;
    private boolean hasIpv4;
    private long ipv4Offset;
    private long bthOffset;
    private int transportLength;
    private int payloadLength;

    // ---- receive ----

    /** Checks an Ethernet II frame carrying a RoCEv2 packet, ICRC included. */
    public RoceStatus wrapFrame(MemorySegment segment, long offset, int length) {
        if (ethernet.wrap(segment, offset, length) != WireStatus.OK || ethernet.etherType() != EtherType.IPV4) {
            opcode = null;
            hasIpv4 = false;
            return RoceStatus.NOT_IPV4;
        }
        return wrapIpv4(segment, ethernet.payloadOffset(), ethernet.payloadLength());
    }

    /** Checks an IPv4 packet carrying RoCEv2, ICRC included; bytes after its total length (an Ethernet pad) are ignored. */
    public RoceStatus wrapIpv4(MemorySegment segment, long offset, int length) {
        opcode = null;
        hasIpv4 = false;
        if (ipv4.wrap(segment, offset, length) != WireStatus.OK) {
            return RoceStatus.IPV4_MALFORMED;
        }
        if (!ipv4.checksumValid()) {
            return RoceStatus.IPV4_BAD_CHECKSUM;
        }
        if (ipv4.protocol() != IpProtocol.UDP || ipv4.isFragment()) {
            return RoceStatus.NOT_UDP;
        }
        if (udp.wrap(segment, ipv4.payloadOffset(), ipv4.payloadLength()) != WireStatus.OK) {
            return RoceStatus.UDP_MALFORMED;
        }
        if (udp.destinationPort() != UdpPacket.ROCE_V2_PORT) {
            return RoceStatus.NOT_ROCE_PORT;
        }
        RoceStatus s = wrapTransport(segment, udp.payloadOffset(), udp.payloadLength());
        if (s != RoceStatus.OK) {
            return s;
        }
        if (!icrc.verifyIpv4(segment, offset)) {
            opcode = null;
            return RoceStatus.BAD_ICRC;
        }
        hasIpv4 = true;
        ipv4Offset = offset;
        return RoceStatus.OK;
    }

    /**
     * Checks a RoCEv2 UDP payload: BTH, extension headers, payload, pad and the 4-byte ICRC, whose
     * value is not checked (see the class comment).
     */
    public RoceStatus wrapTransport(MemorySegment segment, long offset, int length) {
        opcode = null;
        hasIpv4 = false;
        if (length < Bth.LENGTH + Icrc.LENGTH) {
            return RoceStatus.TRUNCATED;
        }
        bth.wrap(segment, offset, Bth.LENGTH);
        Opcode op = Opcode.of(bth.opcode());
        if (op == null) {
            return RoceStatus.BAD_OPCODE;
        }
        if (bth.transportVersion() != Bth.TRANSPORT_VERSION) {
            return RoceStatus.BAD_TRANSPORT_VERSION;
        }
        int data = length - op.headerLength() - Icrc.LENGTH;  // payload and pad
        if (data < 0) {
            return RoceStatus.TRUNCATED;
        }
        int pad = bth.padCount();
        if (pad > data || pad != 0 && !op.endsMessage()) {
            return RoceStatus.BAD_PAD;
        }
        // IBTA 9.2.1.1: payload + pad is a multiple of 4 (PadCnt exists to make it so).
        if (!op.hasPayload() && data != 0 || (data & 3) != 0
                || op == Opcode.RC_ATOMIC_WRITE && data - pad != Opcode.ATOMIC_WRITE_LENGTH) {
            return RoceStatus.BAD_LENGTH;
        }
        point(segment, offset, length, op, data - pad);
        return RoceStatus.OK;
    }

    private void point(MemorySegment segment, long offset, int length, Opcode op, int payload) {
        this.segment = segment;
        this.opcode = op;
        this.bthOffset = offset;
        this.transportLength = length;
        this.payloadLength = payload;
        if (op.hasDeth()) {
            deth.wrap(segment, offset + op.dethOffset(), Deth.LENGTH);
        }
        if (op.hasFeth()) {
            feth.wrap(segment, offset + op.fethOffset(), Feth.LENGTH);
        }
        if (op.hasReth()) {
            reth.wrap(segment, offset + op.rethOffset(), Reth.LENGTH);
        }
        if (op.hasAtomicEth()) {
            atomicEth.wrap(segment, offset + op.atomicEthOffset(), AtomicEth.LENGTH);
        }
        if (op.hasAeth()) {
            aeth.wrap(segment, offset + op.aethOffset(), Aeth.LENGTH);
        }
        if (op.hasAtomicAckEth()) {
            atomicAckEth.wrap(segment, offset + op.atomicAckEthOffset(), AtomicAckEth.LENGTH);
        }
        if (op.hasImmediate()) {
            immDt.wrap(segment, offset + op.immOffset(), ImmDt.LENGTH);
        }
        if (op.hasIeth()) {
            ieth.wrap(segment, offset + op.iethOffset(), Ieth.LENGTH);
        }
    }

    // ---- send ----

    /**
     * Lays out an IPv4 RoCEv2 packet of {@code opcode} with {@code payloadLength} payload bytes at
     * {@code offset}: IPv4 (IHL 5, TOS 0, identification 0, DF, TTL 64, UDP, addresses 0), UDP
     * (ports 0 → 4791, checksum 0), BTH (P_Key 0xFFFF, PadCnt, everything else 0), zeroed
     * extension headers, zero pad and ICRC. Points the views at their places.
     *
     * @return the IPv4 total length: the bytes written from {@code offset}
     * @throws IllegalArgumentException if it does not fit in the segment, or the payload length is
     *         negative, non-zero for an opcode without payload, or not 8 for ATOMIC WRITE
     */
    public int layoutIpv4(MemorySegment segment, long offset, Opcode opcode, int payloadLength) {
        int transport = transportLength(opcode, payloadLength);
        int udpLength = UdpPacket.HEADER_LENGTH + transport;
        int total = Ipv4Packet.MIN_HEADER_LENGTH + udpLength;
        if (total > 0xffff) {
            throw new IllegalArgumentException("a RoCEv2 packet of " + total + " bytes does not fit in IPv4");
        }
        ipv4.wrapUnchecked(segment, offset, total)
                .setHeaderLength(Ipv4Packet.MIN_HEADER_LENGTH)
                .setDscpEcn(0, 0)
                .setTotalLength(total)
                .setIdentification(0)
                .setFragmentation(true, false, 0)
                .setTtl(DEFAULT_TTL)
                .setProtocol(IpProtocol.UDP)
                .setChecksum(0)
                .setSource(0)
                .setDestination(0);
        udp.wrapUnchecked(segment, offset + Ipv4Packet.MIN_HEADER_LENGTH, udpLength)
                .setSourcePort(0)
                .setDestinationPort(UdpPacket.ROCE_V2_PORT)
                .setDatagramLength(udpLength)
                .setChecksum(0);
        layoutTransport(segment, offset + Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH, opcode, payloadLength);
        hasIpv4 = true;
        ipv4Offset = offset;
        return total;
    }

    /**
     * Lays out the UDP payload of a RoCEv2 packet (BTH to ICRC) at {@code offset}, as
     * {@link #layoutIpv4} does, for a datagram socket.
     *
     * @return the transport length: the bytes written from {@code offset}
     */
    public int layoutTransport(MemorySegment segment, long offset, Opcode opcode, int payloadLength) {
        int length = transportLength(opcode, payloadLength);
        if (offset < 0 || offset > segment.byteSize() - length) {
            throw new IllegalArgumentException("a " + opcode + " packet of " + length + " bytes at " + offset
                    + " does not fit in a segment of " + segment.byteSize());
        }
        int pad = -payloadLength & 3;
        // Zero the headers, the pad and the ICRC; the payload is the caller's. A copy from a zero
        // segment rather than asSlice().fill(), which would make a slice object per packet.
        MemorySegment.copy(ZEROS, 0, segment, offset, opcode.headerLength());
        MemorySegment.copy(ZEROS, 0, segment, offset + opcode.headerLength() + payloadLength, pad + Icrc.LENGTH);
        bth.wrapUnchecked(segment, offset, Bth.LENGTH)
                .setOpcode(opcode.code())
                .setFlags(false, false, pad, Bth.TRANSPORT_VERSION)
                .setPartitionKey(Bth.DEFAULT_PKEY);
        point(segment, offset, length, opcode, payloadLength);
        hasIpv4 = false;
        return length;
    }

    /** Writes the IPv4 header checksum and then the ICRC of a packet laid out by {@link #layoutIpv4}. */
    public void finishIpv4() {
        if (!hasIpv4 || opcode == null) {
            throw new IllegalStateException("finishIpv4 needs a packet laid out by layoutIpv4");
        }
        ipv4.fillChecksum();
        icrc.fillIpv4(segment, ipv4Offset);
    }

    /**
     * Writes the ICRC of a UDP payload laid out by {@link #layoutTransport}, for the IPv4 header the
     * kernel will put in front of it ({@link Icrc#computeDatagram}).
     */
    public void finishDatagram(int sourceAddress, int destinationAddress, int sourcePort) {
        if (opcode == null) {
            throw new IllegalStateException("finishDatagram needs a packet laid out by layoutTransport");
        }
        segment.set(Icrc.LAYOUT, bthOffset + transportLength - Icrc.LENGTH,
                icrc.computeDatagram(sourceAddress, destinationAddress, sourcePort, segment, bthOffset, transportLength));
    }

    /** BTH to ICRC for an opcode and payload length; throws for a length the opcode does not allow. */
    public static int transportLength(Opcode opcode, int payloadLength) {
        if (payloadLength < 0 || !opcode.hasPayload() && payloadLength != 0
                || opcode == Opcode.RC_ATOMIC_WRITE && payloadLength != Opcode.ATOMIC_WRITE_LENGTH) {
            throw new IllegalArgumentException(opcode + " cannot carry " + payloadLength + " payload bytes");
        }
        return opcode.headerLength() + payloadLength + (-payloadLength & 3) + Icrc.LENGTH;
    }

    // ---- accessors ----

    /** The opcode after {@link RoceStatus#OK} or a layout; {@code null} after any other status. */
    public Opcode opcode() {
        return opcode;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Whether the packet was wrapped or laid out with its IPv4 header ({@link #ipv4()} and {@link #udp()} are then valid). */
    public boolean hasIpv4() {
        return hasIpv4;
    }

    /** The IPv4 view: valid after {@link #wrapIpv4}/{@link #wrapFrame} (its status tells a malformed header) or {@link #layoutIpv4}. */
    public Ipv4Packet ipv4() {
        return ipv4;
    }

    /** The UDP view, as {@link #ipv4()}. */
    public UdpPacket udp() {
        return udp;
    }

    public Bth bth() {
        return bth;
    }

    public Reth reth() {
        require(op().hasReth(), "RETH");
        return reth;
    }

    public Aeth aeth() {
        require(op().hasAeth(), "AETH");
        return aeth;
    }

    public AtomicEth atomicEth() {
        require(op().hasAtomicEth(), "AtomicETH");
        return atomicEth;
    }

    public AtomicAckEth atomicAckEth() {
        require(op().hasAtomicAckEth(), "AtomicAckETH");
        return atomicAckEth;
    }

    public Deth deth() {
        require(op().hasDeth(), "DETH");
        return deth;
    }

    public ImmDt immDt() {
        require(op().hasImmediate(), "ImmDt");
        return immDt;
    }

    public Ieth ieth() {
        require(op().hasIeth(), "IETH");
        return ieth;
    }

    public Feth feth() {
        require(op().hasFeth(), "FETH");
        return feth;
    }

    private void require(boolean present, String header) {
        if (!present) {
            throw new IllegalStateException(opcode + " carries no " + header);
        }
    }

    @Override
    public String toString() {
        return opcode == null ? "RocePacket[none]" : "RocePacket[" + opcode + ", qp 0x" + Integer.toHexString(bth.destinationQp())
                + ", psn " + bth.psn() + ", payload " + payloadLength + "]";
    }

    /** Where the BTH starts in {@link #segment()}. */
    public long transportOffset() {
        return bthOffset;
    }

    /** BTH to ICRC inclusive: the UDP payload. */
    public int transportLength() {
        return transportLength;
    }

    /** Where the payload starts in {@link #segment()}. */
    public long payloadOffset() {
        return bthOffset + op().headerLength();
    }

    /** The payload without the pad. */
    public int payloadLength() {
        op();
        return payloadLength;
    }

    /** The pad bytes after the payload (the BTH's PadCnt). */
    public int padCount() {
        return transportLength - op().headerLength() - Icrc.LENGTH - payloadLength;
    }

    /** The ICRC as stored in the packet. */
    public int icrc() {
        op();
        return segment.get(Icrc.LAYOUT, bthOffset + transportLength - Icrc.LENGTH);
    }

    /** The opcode, or an exception when no packet is wrapped: the last wrap did not return OK. */
    private Opcode op() {
        Opcode o = opcode;
        if (o == null) {
            throw new IllegalStateException("no RoCEv2 packet: the last wrap did not return OK, or nothing was wrapped");
        }
        return o;
    }
}
