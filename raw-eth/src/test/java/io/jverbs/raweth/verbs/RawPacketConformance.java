package io.jverbs.raweth.verbs;

import io.jverbs.raweth.port.PortConformance;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.verbs.Context;

/**
 * The {@link PortConformance} suite on two {@link RawPacketPort}s, steered by two locally
 * administered MACs: on one device port by default (the NIC loops frames between its own QPs),
 * or on {@code JVERBS_RAW_PEER_DEV} when set (a second device cabled back). Run by
 * {@link RawPacketPortIT} on a device with RAW_PACKET QPs; its name keeps surefire from running it
 * on its own.
 */
public class RawPacketConformance extends PortConformance {
    static final MacAddress MAC_A = MacAddress.parse("02:6a:76:72:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:6a:76:72:00:0b");

    @Override
    protected Link openLink() {
        String peer = System.getenv("JVERBS_RAW_PEER_DEV");
        Context ctxA = RawPacketPortIT.open();
        Context ctxB = peer == null || peer.isBlank() ? ctxA : Context.open(peer);
        try {
            int port = RawPacketPortIT.port();
            RawPacketPort a = RawPacketPort.open(ctxA, RawPacketPort.Config.of(port, MAC_A));
            RawPacketPort b = RawPacketPort.open(ctxB, RawPacketPort.Config.of(port, MAC_B));
            return Link.pair(a, b, 512).onClose(() -> {
                ctxA.close();
                ctxB.close();
            });
        } catch (RuntimeException e) {
            ctxA.close();
            ctxB.close();
            throw e;
        }
    }
}
