package io.jverbs.raweth.verbs;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Flow;

import java.util.List;

/**
 * Opens {@code verbs:<device>[,port=<n>][,mac=<MAC>][,mtu=<n>]} (syntax: {@link VerbsSpec}) as a
 * {@link RawPacketPort} on a context of its own, which the port closes (a service). The QP sees only
 * frames a flow rule steers to it: one rule for the destination MAC ({@code mac=}, else
 * {@link PortHints#localMac()}), narrowed by the hints' IPv4 addresses and UDP/TCP ports when they
 * are known, as perftest's raw tests build theirs. A device without RAW_PACKET QPs (Soft-RoCE)
 * throws {@link io.jverbs.core.NotSupportedException}, with the context closed.
 */
public final class VerbsOpener implements PortOpener {
    /** For the service loader. */
    public VerbsOpener() {
    }

    @Override
    public String scheme() {
        return "verbs";
    }

    @Override
    public void check(PortSpec spec) {
        VerbsSpec.parse(spec);
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        VerbsSpec s = VerbsSpec.parse(spec);
        MacAddress mac = s.mac() != null ? s.mac() : hints.localMac();
        if (mac == null) {
            throw new IllegalArgumentException("'" + spec + "': a RAW_PACKET QP receives only the frames a flow rule steers"
                    + " to it, by destination MAC: add ,mac=XX:XX:XX:XX:XX:XX (jperf passes -B)");
        }
        RawPacketPort.Config c = RawPacketPort.Config.of(s.port(), mac);
        c = new RawPacketPort.Config(c.port(), mac, s.mtu(), c.receiveFrames(), c.transmitFrames(), c.maxBurst(), rules(s.port(), hints));
        Context ctx = Context.open(s.device());
        return RawPacketPort.open(ctx, c, true);
    }

    /** The rule the hints allow, without the MAC (the port adds it), or none for the MAC alone. */
    static List<Flow.Builder> rules(int port, PortHints h) {
        if (h.localIp() == null && h.peerIp() == null && h.localPort() < 0 && h.peerPort() < 0) {
            return List.of();
        }
        Flow.Builder b = Flow.builder(port);
        if (h.localIp() != null) b.destinationIpv4(h.localIp().value());
        if (h.peerIp() != null) b.sourceIpv4(h.peerIp().value());
        if (h.localPort() >= 0 || h.peerPort() >= 0) {
            if (h.tcp()) b.tcp(h.peerPort(), h.localPort()); else b.udp(h.peerPort(), h.localPort());
        }
        return List.of(b);
    }
}
