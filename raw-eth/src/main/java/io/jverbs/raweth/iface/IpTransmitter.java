package io.jverbs.raweth.iface;

import java.lang.foreign.MemorySegment;

/**
 * How a {@link Socket} sends an IPv4 packet through its interface, without copying: {@link #begin}
 * reserves a transmit frame with the Ethernet and IPv4 headers written, the socket writes its
 * transport header and payload at {@link #offset()} in {@link #segment()}, and {@link #finish}
 * fills the transport checksum (in software, or by the port's offload) and sends the frame, or
 * queues it until the next hop's MAC is known. One per interface, reused for every packet. Over a
 * port with TCP segmentation offload a TCP sender may {@link #begin(int, int, int, int) begin} one
 * frame of up to 64 KiB that the device cuts into MTU-sized segments.
 *
 * {@snippet :
 * if (tx.begin(peer, IpProtocol.UDP, 8 + n) == IpTransmitter.OK) {
 *     udp.wrapUnchecked(tx.segment(), tx.offset(), 8 + n); // header, then the payload
 *     // ...
 *     tx.finish(IpTransmitter.CHECKSUM_UDP);
 * }
 * }
 */
public final class IpTransmitter {
    /** {@link #begin}: a frame is ready to be written. */
    public static final int OK = 0;
    /** {@link #begin}: the port has no transmit buffer now; keep the data and try at the next poll. */
    public static final int BUSY = 1;
    /** {@link #begin}: no route to the destination (off the prefix, no gateway); dropped and counted. */
    public static final int NO_ROUTE = 2;
    /** {@link #begin}: larger than the MTU (or the port's TSO frame) allows; dropped and counted (no fragmentation). */
    public static final int TOO_BIG = 3;

    /** {@link #finish}: the transport part carries its own checksum (or none). */
    public static final int CHECKSUM_NONE = 0;
    /** {@link #finish}: fill the UDP checksum (RFC 768, a computed 0 sent as all ones). */
    public static final int CHECKSUM_UDP = 1;
    /** {@link #finish}: fill the TCP checksum (RFC 9293 3.1). */
    public static final int CHECKSUM_TCP = 2;

    private final Interface iface;

    IpTransmitter(Interface iface) {
        this.iface = iface;
    }

    /**
     * Reserves a frame for an IPv4 packet to {@code destination} of {@code protocol} whose
     * transport part is {@code length} bytes.
     *
     * @return {@link #OK}, {@link #BUSY}, {@link #NO_ROUTE} or {@link #TOO_BIG}
     */
    public int begin(int destination, int protocol, int length) {
        return iface.begin(destination, protocol, length, 0, 0, 0);
    }

    /**
     * {@link #begin(int, int, int)} with the IPv4 DiffServ field {@code dscp} (0..63, RFC 2474;
     * ECN not-ECT) and time to live {@code ttl} (1..255; 0: the interface's
     * {@link InterfaceConfig#ttl()}), as a socket's per-connection settings (RFC 9293 MUST-48, 49).
     */
    public int begin(int destination, int protocol, int length, int dscp, int ttl) {
        return iface.begin(destination, protocol, length, 0, dscp, ttl);
    }

    /** Whether {@code address} is a broadcast address on this interface (all ones, or the subnet's). */
    public boolean isBroadcast(int address) {
        return iface.isBroadcast(address);
    }

    /**
     * Negative advice from a transport (RFC 1122 4.2.3.5, RFC 9293 MUST-20): retransmissions to
     * {@code destination} reached R1, so the interface asks for the next hop's link-layer address
     * again (an ARP request, rate-limited), still sending to the one it knows until a reply changes it.
     */
    public void negativeAdvice(int destination) {
        iface.negativeAdvice(destination);
    }

    /**
     * {@link #begin(int, int, int)} for a TCP frame the port cuts into segments of
     * {@code segmentSize} payload bytes (TCP segmentation offload): {@code length} may be up to
     * {@link #maxSegmentationLength()}; {@link #finish} flags the frame and leaves the checksums to
     * the device. Every frame begun this way is cut, even one within the MTU (a peer's MSS below
     * ours); a {@code segmentSize} of 0 is {@link #begin(int, int, int)}.
     *
     * @return {@link #OK}, {@link #BUSY}, {@link #NO_ROUTE} or {@link #TOO_BIG} (also when the port
     *         offers no TSO, the protocol is not TCP, or a segment would not fit the MTU)
     */
    public int begin(int destination, int protocol, int length, int segmentSize) {
        return iface.begin(destination, protocol, length, segmentSize, 0, 0);
    }

    /** {@link #begin(int, int, int, int)} with a socket's DiffServ field and TTL, as {@link #begin(int, int, int, int, int)}. */
    public int begin(int destination, int protocol, int length, int segmentSize, int dscp, int ttl) {
        return iface.begin(destination, protocol, length, segmentSize, dscp, ttl);
    }

    /**
     * The largest transport part (header and payload) one TSO frame carries, below 64 KiB; 0 when
     * the port offers no TCP segmentation offload.
     */
    public int maxSegmentationLength() {
        return iface.maxSegmentationLength();
    }

    /** The memory of the frame {@link #begin} reserved. */
    public MemorySegment segment() {
        return iface.txSegment();
    }

    /** Where the transport part goes in {@link #segment()}. */
    public long offset() {
        return iface.txL4Offset();
    }

    /** The interface's address: the packet's source. */
    public int source() {
        return iface.config().address().value();
    }

    /** The largest transport part (header and payload) one packet carries: MTU − 20. */
    public int maxLength() {
        return iface.mtu() - 20;
    }

    /**
     * Completes the packet {@link #begin} reserved: fills the checksum named by {@code checksum}
     * and sends it (or queues it for ARP resolution).
     */
    public void finish(int checksum) {
        iface.finish(checksum);
    }
}
