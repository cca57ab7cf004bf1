package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;

/**
 * What the caller of {@link PortOpener#open(PortSpec, PortHints)} knows about the traffic this
 * side will receive, for back ends that must steer frames to the port: a verbs RAW_PACKET QP sees
 * only frames an {@code ibv_create_flow} rule sends it. Back ends that see every frame of their
 * interface (AF_PACKET, TAP, a DPDK port in promiscuous mode) ignore the hints. Each field may be
 * unknown: null, or -1 for a port.
 *
 * @param localMac  the destination MAC of the frames to receive (jperf's {@code -B})
 * @param localIp   their destination IPv4 address, or null
 * @param peerIp    their source IPv4 address, or null
 * @param localPort their destination UDP/TCP port, or -1
 * @param peerPort  their source UDP/TCP port, or -1
 * @param tcp       the ports are TCP ports (else UDP)
 * @param lowLatency the traffic is a ping-pong whose latency matters more than batching: a back
 *                  end with a choice takes the lower-latency set-up unless its spec says otherwise
 *                  (AF_PACKET: TPACKET_V2 rings, whose frames reach user space at once, instead of
 *                  V3's blocks, which wait for their retire timeout when traffic is sparse)
 */
public record PortHints(MacAddress localMac, Ipv4Address localIp, Ipv4Address peerIp, int localPort, int peerPort,
                        boolean tcp, boolean lowLatency) {
    /** Nothing known. */
    public static final PortHints NONE = new PortHints(null, null, null, -1, -1, false, false);

    public PortHints {
        if (localPort < -1 || localPort > 0xFFFF || peerPort < -1 || peerPort > 0xFFFF) {
            throw new IllegalArgumentException("ports are 0..65535 or -1 (unknown), got " + localPort + " and " + peerPort);
        }
    }

    /** Only the local MAC is known. */
    public static PortHints mac(MacAddress localMac) {
        return new PortHints(localMac, null, null, -1, -1, false, false);
    }
}
