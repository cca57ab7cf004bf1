package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

import java.util.Locale;

/**
 * Opens {@code afpacket:<interface>[,ring=v2|v3][,tso]} as an {@link AfPacketPort} (a service): its default
 * options, with {@code ring=v2} the {@link AfPacketPort.Options#lowLatency() low-latency} V2 rings,
 * with {@code tso} the {@code PACKET_VNET_HDR} offloads ({@link AfPacketPort.Options#withTso});
 * without a {@code ring=}, V2 when the hints ask for {@link PortHints#lowLatency() low latency}.
 * The hints are not needed: the interface delivers every frame to the socket, nothing to steer.
 */
public final class AfPacketOpener implements PortOpener {
    /** For the service loader. */
    public AfPacketOpener() {
    }

    @Override
    public String scheme() {
        return "afpacket";
    }

    @Override
    public void check(PortSpec spec) {
        options(spec);
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        AfPacketPort.Options options = options(spec);
        if (hints.lowLatency() && !ringGiven(spec)) {
            options = options.withRingVersion(AfPacketPort.RingVersion.V2);
        }
        return AfPacketPort.open(interfaceName(spec), options);
    }

    private static boolean ringGiven(PortSpec spec) {
        String[] parts = spec.argument().split(",", -1);
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].trim().toLowerCase(Locale.ROOT).startsWith("ring=")) {
                return true;
            }
        }
        return false;
    }

    private static String interfaceName(PortSpec spec) {
        int comma = spec.argument().indexOf(',');
        return (comma < 0 ? spec.argument() : spec.argument().substring(0, comma)).trim();
    }

    /** The options after the interface name. */
    private static AfPacketPort.Options options(PortSpec spec) {
        String[] parts = spec.argument().split(",", -1);
        AfPacketPort.Options options = AfPacketPort.Options.DEFAULTS;
        for (int i = 1; i < parts.length; i++) {
            options = switch (parts[i].trim().toLowerCase(Locale.ROOT)) {
                case "ring=v2" -> options.withRingVersion(AfPacketPort.RingVersion.V2);
                case "ring=v3" -> options.withRingVersion(AfPacketPort.RingVersion.V3);
                case "tso" -> options.withTso(true);
                default -> throw new IllegalArgumentException("'" + spec + "': unknown option '" + parts[i].trim()
                        + "'; afpacket takes <interface>[,ring=v2|v3][,tso] (v2: lowest latency, v3: batching;"
                        + " tso: checksum and segmentation offload through PACKET_VNET_HDR)");
            };
        }
        return options;
    }
}
