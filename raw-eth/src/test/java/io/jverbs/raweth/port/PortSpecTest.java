package io.jverbs.raweth.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PortSpecTest {
    @Test
    void parsesSchemeAndArgument() {
        assertEquals(new PortSpec("afpacket", "veth0"), PortSpec.parse("afpacket:veth0"));
        assertEquals(new PortSpec("verbs", "mlx5_0"), PortSpec.parse("VERBS:mlx5_0"));
        PortSpec dpdk = PortSpec.parse("dpdk:--no-pci --vdev=net_tap0,iface=x -l 0");
        assertEquals("dpdk", dpdk.scheme());
        assertEquals("--no-pci --vdev=net_tap0,iface=x -l 0", dpdk.argument());
        assertEquals("tap:a:b", PortSpec.parse("tap:a:b").toString(), "only the first colon separates");
    }

    @Test
    void refusesMalformedSpecsWithTheExpectedForm() {
        var noColon = assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("veth0"));
        assertTrue(noColon.getMessage().contains("<back end>:<argument>"), noColon.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortSpec.parse(":veth0"));
        var empty = assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("afpacket:"));
        assertTrue(empty.getMessage().contains("afpacket:<interface>"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("af packet:x"));
    }

    @Test
    void opensThroughTheRegisteredOpenerAndNamesTheMissingOnes() {
        MemoryPair pair = MemoryPair.create();
        PacketPort port = pair.a();
        PortSpec[] seen = new PortSpec[1];
        PortOpeners.register(new PortOpener() {
            @Override
            public String scheme() {
                return "testonly";
            }

            @Override
            public PacketPort open(PortSpec spec, PortHints hints) {
                seen[0] = spec;
                return port;
            }
        });
        try {
            assertSame(port, PortOpeners.open(PortSpec.parse("testonly:eth9")));
            assertEquals("eth9", seen[0].argument());
            var missing = assertThrows(IllegalArgumentException.class,
                    () -> PortOpeners.open(PortSpec.parse("nosuch:x")));
            assertTrue(missing.getMessage().contains("'nosuch'") && missing.getMessage().contains("testonly"),
                    missing.getMessage());
        } finally {
            PortOpeners.unregister("testonly");
            pair.close();
        }
    }
}
