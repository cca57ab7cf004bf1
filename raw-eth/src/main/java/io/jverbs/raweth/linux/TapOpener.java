package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

/**
 * Opens {@code tap:<name>[,tso]} as a {@link TapPort} (a service): its default options, with
 * {@code tso} the {@code IFF_VNET_HDR} offloads and 16 TSO buffers ({@link TapPort.Options#withTso});
 * the hints are not needed.
 */
public final class TapOpener implements PortOpener {
    /** For the service loader. */
    public TapOpener() {
    }

    @Override
    public String scheme() {
        return "tap";
    }

    @Override
    public void check(PortSpec spec) {
        options(spec);
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        // The interface delivers every frame to the socket: nothing to steer.
        int comma = spec.argument().indexOf(',');
        return TapPort.open((comma < 0 ? spec.argument() : spec.argument().substring(0, comma)).trim(), options(spec));
    }

    private static TapPort.Options options(PortSpec spec) {
        String[] parts = spec.argument().split(",", -1);
        TapPort.Options options = TapPort.Options.DEFAULTS;
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].trim().equalsIgnoreCase("tso")) {
                throw new IllegalArgumentException("'" + spec + "': unknown option '" + parts[i].trim()
                        + "'; tap takes <name>[,tso] (tso: checksum and segmentation offload through IFF_VNET_HDR)");
            }
            options = options.withTso(16);
        }
        return options;
    }
}
