package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code ,tso} option of the {@code afpacket:} and {@code tap:} specs. Needs root. */
class TsoSpecTest {
    private static final String A = "jv" + HostNet.TAG + "oa";
    private static final String B = "jv" + HostNet.TAG + "ob";
    private static final String TAP = "jv" + HostNet.TAG + "ot";

    @Test
    void tsoOptionOpensPortsThatOfferIt() {
        try (HostNet net = new HostNet()) {
            net.veth(A, B, null);
            try (PacketPort v3 = PortOpeners.open(PortSpec.parse("afpacket:" + A + ",tso"));
                 PacketPort v2 = PortOpeners.open(PortSpec.parse("afpacket:" + B + ", ring=v2, TSO"));
                 PacketPort tap = PortOpeners.open(PortSpec.parse("tap:" + TAP + ",tso"))) {
                for (PacketPort p : new PacketPort[] {v3, v2, tap}) {
                    PortCapabilities c = p.capabilities();
                    assertEquals(PortCapabilities.TSO_FRAME_LIMIT, c.tsoMaxFrame(), p.name());
                    assertTrue(c.txL4Checksum() && !c.txIpChecksum(), p.name() + ": " + c);
                }
                assertEquals(AfPacketPort.RingVersion.V2, ((AfPacketPort) v2).ringVersion());
                assertEquals(TAP, ((TapPort) tap).interfaceName());
            }
            try (PacketPort plain = PortOpeners.open(PortSpec.parse("afpacket:" + A))) {
                assertFalse(plain.capabilities().tso() || plain.capabilities().txL4Checksum());
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PortOpeners.check(PortSpec.parse("tap:x,gso")));
        assertTrue(e.getMessage().contains("<name>[,tso]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortOpeners.check(PortSpec.parse("afpacket:x,tso4")));
    }
}
