package io.jverbs.perftest;

import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import java.util.Objects;

/**
 * The raw Ethernet part of a {@code raw_ethernet_bw}/{@code _lat} run: the packet port and the
 * fields of the frames, as perftest's raw flags give them. Addresses and ports are named by role
 * (server, client) on both sides, as perftest's {@code -J -j -K -k} do; the MACs are this side's
 * and the peer's.
 *
 * @param port         the packet port ({@code --port}, or {@code -d DEV} for {@code verbs:DEV})
 * @param server       {@code --server} (else {@code --client})
 * @param ownMac       this side's MAC ({@code -B}): the destination of the frames it receives
 * @param peerMac      the peer's MAC ({@code -E}), or null (a bandwidth server never sends)
 * @param serverIp     the server's IPv4 address ({@code -J}), or null
 * @param clientIp     the client's IPv4 address ({@code -j}), or null
 * @param serverPort   the server's UDP/TCP port ({@code -K}), or -1
 * @param clientPort   the client's UDP/TCP port ({@code -k}), or -1
 * @param etherType    {@code -Y}, or -1: IPv4 with an IP address, else the 802.3 length
 * @param tcp          {@code --tcp}: TCP headers instead of UDP
 * @param ttl          the IPv4 TTL ({@code -L}, 64)
 * @param idleSeconds  jperf: a receiver that got frames gives up after this long without one
 */
public record RawEthernet(PortSpec port, boolean server, MacAddress ownMac, MacAddress peerMac, Ipv4Address serverIp,
                          Ipv4Address clientIp, int serverPort, int clientPort, int etherType, boolean tcp, int ttl,
                          int idleSeconds) {
    /** Ethernet header (14) and FCS (4): perftest's {@code RAWETH_ADDITION}; the IPv4 length is size − 18. */
    public static final int ETH_ADDITION = 18;
    /** The FCS the device appends: perftest sends size − 4 bytes. */
    public static final int FCS = 4;
    /** perftest's smallest raw message ({@code RAWETH_MIN_MSG_SIZE}). */
    public static final int MIN_SIZE = 64;

    public RawEthernet {
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(ownMac, "ownMac");
    }

    /** Frames carry an IPv4 header (perftest: a server or client IP was given). */
    public boolean hasIp() {
        return serverIp != null || clientIp != null;
    }

    /** Frames carry a UDP or TCP header (perftest: both ports were given). */
    public boolean hasL4() {
        return serverPort >= 0 && clientPort >= 0;
    }

    /** This side's IPv4 address as an int (0 when not given). */
    public int ownIp() {
        return value(server ? serverIp : clientIp);
    }

    /** The peer's IPv4 address as an int (0 when not given). */
    public int peerIp() {
        return value(server ? clientIp : serverIp);
    }

    /** This side's UDP/TCP port. */
    public int ownPort() {
        return server ? serverPort : clientPort;
    }

    /** The peer's UDP/TCP port. */
    public int peerPort() {
        return server ? clientPort : serverPort;
    }

    private static int value(Ipv4Address a) {
        return a == null ? 0 : a.value();
    }
}
