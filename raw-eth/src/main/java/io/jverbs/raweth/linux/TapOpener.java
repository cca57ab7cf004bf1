package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

/** Opens {@code tap:<name>} as a {@link TapPort} with its default options (a service); the hints are not needed. */
public final class TapOpener implements PortOpener {
    /** For the service loader. */
    public TapOpener() {
    }

    @Override
    public String scheme() {
        return "tap";
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        // The interface delivers every frame to the socket: nothing to steer.
        return TapPort.open(spec.argument());
    }
}
