package io.jverbs.soft.device;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration syntax of soft devices on packet ports ({@code name=address[/prefix][:mtu]@port}). */
class SoftDeviceConfigTest {
    @Test
    void portEntriesAreSeparatedBySemicolonsAndKeepTheirCommas() {
        List<SoftDeviceConfig> c = SoftDeviceConfig.parse(
                "jsoft0=127.0.0.1; jsoft1=10.77.0.3/16:2048@afpacket:veth0,ring=v2 ;jsoft2=10.78.0.3@dpdk:--no-pci --vdev net_af_packet0,iface=v1");
        assertEquals(3, c.size());
        assertNull(c.get(0).port());
        assertEquals(SoftDeviceConfig.of("jsoft0", "127.0.0.1"), c.get(0));
        assertEquals("jsoft1", c.get(1).name());
        assertEquals("10.77.0.3", c.get(1).address().getHostAddress());
        assertEquals(16, c.get(1).prefixLength());
        assertEquals(2048, c.get(1).mtu());
        assertEquals("afpacket:veth0,ring=v2", c.get(1).port());
        assertEquals(24, c.get(2).prefixLength());
        assertEquals(1024, c.get(2).mtu());
        assertEquals("dpdk:--no-pci --vdev net_af_packet0,iface=v1", c.get(2).port());
        assertEquals(SoftDeviceConfig.onPort("jsoft2", "10.78.0.3", 24, "dpdk:--no-pci --vdev net_af_packet0,iface=v1"), c.get(2));
        // without a port, commas still separate
        assertEquals(2, SoftDeviceConfig.parse("a=10.0.0.1,b=10.0.0.2:2048").size());
    }

    @Test
    void badPortEntriesSayWhatIsWrong() {
        String[][] cases = {
            {"a=10.0.0.1,b=10.0.0.3@afpacket:veth0", "separated by ';'"},
            {"a=10.0.0.1/24", "only applies with a @port"},
            {"a=10.0.0.3/33@afpacket:veth0", "prefix length is 1..32"},
            {"a=10.0.0.3/x@afpacket:veth0", "is not a number"},
            {"a=10.0.0.3@veth0", "not a raw-eth port spec"},
            {"a=host.example@afpacket:veth0", "not an IPv4 address literal"},
        };
        for (String[] bad : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftDeviceConfig.parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
        }
    }
}
