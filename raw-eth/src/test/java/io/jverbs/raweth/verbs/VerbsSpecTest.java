package io.jverbs.raweth.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import org.junit.jupiter.api.Test;

/** The {@code verbs:} spec syntax and the steering the opener derives from the hints (no device needed). */
class VerbsSpecTest {
    private static VerbsSpec parse(String text) {
        return VerbsSpec.parse(PortSpec.parse(text));
    }

    @Test
    void deviceAndOptions() {
        assertEquals(new VerbsSpec("mlx5_0", 1, null, 1500), parse("verbs:mlx5_0"));
        assertEquals(new VerbsSpec("mlx5_1", 2, MacAddress.parse("02:00:00:00:00:07"), 9000),
                parse("verbs:mlx5_1,port=2, mac=02:00:00:00:00:07,mtu=9000"));
    }

    @Test
    void badSpecsNameTheProblem() {
        for (String[] c : new String[][] {
            {"verbs:,port=1", "names no device"},
            {"verbs:mlx5_0,port=0", "port= must be 1..255, not '0'"},
            {"verbs:mlx5_0,mtu=", "mtu= must be 68..9978, not ''"},
            {"verbs:mlx5_0,mac=zz", "mac= must be XX:XX:XX:XX:XX:XX, not 'zz'"},
            {"verbs:mlx5_0,qps=2", "unknown option 'qps=2'; the options are port=, mac= and mtu="},
        }) {
            var e = assertThrows(IllegalArgumentException.class, () -> PortOpeners.check(PortSpec.parse(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void withoutAMacThereIsNothingToSteerByAndNoDeviceIsOpened() {
        var e = assertThrows(IllegalArgumentException.class, () -> PortOpeners.open(PortSpec.parse("verbs:nosuchdev0")));
        assertTrue(e.getMessage().contains("add ,mac=XX:XX:XX:XX:XX:XX"), e.getMessage());
    }

    @Test
    void hintsNarrowTheRuleAsFarAsTheyAreKnown() {
        assertTrue(VerbsOpener.rules(1, PortHints.mac(MacAddress.parse("02:00:00:00:00:01"))).isEmpty(), "the MAC alone");
        assertEquals(1, VerbsOpener.rules(1, new PortHints(MacAddress.parse("02:00:00:00:00:01"), Ipv4Address.parse("10.0.0.1"),
                Ipv4Address.parse("10.0.0.2"), 5001, 5002, true, false)).size());
        assertThrows(IllegalArgumentException.class, () -> new PortHints(null, null, null, 70000, -1, false, false));
    }
}
