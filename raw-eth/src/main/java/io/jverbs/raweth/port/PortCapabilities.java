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
 * @param tsoMaxFrame 0 without TCP segmentation offload; else the largest frame (Ethernet header
 *        included, at most 18 + 65,535) flagged {@link FrameBurst#TX_TCP_SEGMENTATION} the port
 *        takes, in transmit buffers of that size from {@link PacketPort#allocate(FrameBurst, int, int)};
 *        each segment the device cuts from it fits the {@code mtu}
 */
public record PortCapabilities(MacAddress mac, int mtu, int maxFrameLength, int maxBurst, boolean rxChecksumFlags,
                               boolean txIpChecksum, boolean txL4Checksum, int tsoMaxFrame) {
    /** The largest TCP frame a TSO frame may be, Ethernet header and one VLAN tag included: 18 + 65,535. */
    public static final int TSO_FRAME_LIMIT = 18 + 0xffff;

    public PortCapabilities {
        if (tsoMaxFrame != 0 && (tsoMaxFrame <= maxFrameLength || tsoMaxFrame > TSO_FRAME_LIMIT)) {
            throw new IllegalArgumentException("tsoMaxFrame " + tsoMaxFrame + " must be 0 or in (maxFrameLength "
                    + maxFrameLength + ", " + TSO_FRAME_LIMIT + "]");
        }
    }

    /** Whether the port offers TCP segmentation offload ({@link #tsoMaxFrame()} is not 0). */
    public boolean tso() {
        return tsoMaxFrame != 0;
    }

    /** A port that offloads nothing: software computes and checks every checksum. */
    public static PortCapabilities plain(MacAddress mac, int mtu, int maxBurst) {
        return new PortCapabilities(mac, mtu, mtu + 18, maxBurst, false, false, false, 0);
    }
}
