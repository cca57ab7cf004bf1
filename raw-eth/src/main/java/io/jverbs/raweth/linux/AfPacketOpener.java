package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

import java.util.Locale;

/**
 * Opens {@code afpacket:<interface>[,ring=v2|v3]} as an {@link AfPacketPort} (a service): its default
 * options, with {@code ring=v2} the {@link AfPacketPort.Options#lowLatency() low-latency} V2 rings.
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
    public PacketPort open(PortSpec spec) {
        return open(spec.toString(), spec.argument());
    }

    /** Opens {@code argument}, an interface and options; {@code spec} names the whole spec in errors. */
    static AfPacketPort open(String spec, String argument) {
        String[] parts = argument.split(",", -1);
        AfPacketPort.Options options = AfPacketPort.Options.DEFAULTS;
        for (int i = 1; i < parts.length; i++) {
            String option = parts[i].trim().toLowerCase(Locale.ROOT);
            options = switch (option) {
                case "ring=v2" -> options.withRingVersion(AfPacketPort.RingVersion.V2);
                case "ring=v3" -> options.withRingVersion(AfPacketPort.RingVersion.V3);
                default -> throw new IllegalArgumentException("'" + spec + "': unknown option '" + parts[i].trim()
                        + "'; afpacket takes <interface>[,ring=v2|v3] (v2: lowest latency, v3: batching)");
            };
        }
        return AfPacketPort.open(parts[0].trim(), options);
    }
}
