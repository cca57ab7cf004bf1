package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

/** Opens {@code afpacket:<interface>} as an {@link AfPacketPort} with its default options (a service); the hints are not needed. */
public final class AfPacketOpener implements PortOpener {
    /** For the service loader. */
    public AfPacketOpener() {
    }

    @Override
    public String scheme() {
        return "afpacket";
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        // The interface delivers every frame to the socket: nothing to steer.
        return AfPacketPort.open(spec.argument());
    }
}
