package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.MacAddress;

/**
 * What a {@link PacketPort} offers.
 *
 * @param mac the port's MAC address
 * @param mtu the largest IP packet the port carries (1500 unless configured otherwise)
 * @param maxFrameLength the largest frame {@link PacketPort#receive} delivers and a transmit buffer
 *        holds, Ethernet header included, FCS excluded (mtu + 14, + 4 with a VLAN tag)
 * @param maxBurst the most frames one receive or transmit handles
 * @param rxChecksumFlags whether received frames carry {@link FrameBurst#RX_IP_CHECKSUM_GOOD} and
 *        {@link FrameBurst#RX_L4_CHECKSUM_GOOD} from the device, so software need not verify them
 * @param txIpChecksum whether the device fills the IPv4 header checksum of frames flagged
 *        {@link FrameBurst#TX_IP_CHECKSUM}
 * @param txL4Checksum whether the device fills TCP/UDP checksums of frames flagged
 *        {@link FrameBurst#TX_L4_CHECKSUM} (software leaves the pseudo-header sum in the field)
 * @param tsoMaxSegment the largest segment the device cuts a TCP frame flagged
 *        {@link FrameBurst#TX_TCP_SEGMENTATION} into, or 0 without TSO
 */
public record PortCapabilities(MacAddress mac, int mtu, int maxFrameLength, int maxBurst, boolean rxChecksumFlags,
                               boolean txIpChecksum, boolean txL4Checksum, int tsoMaxSegment) {
    /** A port that offloads nothing: software computes and checks every checksum. */
    public static PortCapabilities plain(MacAddress mac, int mtu, int maxBurst) {
        return new PortCapabilities(mac, mtu, mtu + 18, maxBurst, false, false, false, 0);
    }
}
