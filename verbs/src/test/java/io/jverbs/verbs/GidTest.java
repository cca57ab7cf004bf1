package io.jverbs.verbs;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GidTest {
    @Test
    void ipv4MappedRoundTrip() {
        Gid g = Gid.ofIpv4(new byte[] {10, 77, 0, 1});
        assertEquals("0000:0000:0000:0000:0000:ffff:0a4d:0001", g.toString());
        assertTrue(g.isIpv4Mapped());
        assertArrayEquals(new byte[] {10, 77, 0, 1}, g.ipv4());
        assertEquals(g, Gid.parse(g.toString()));
        assertEquals(g, Gid.of(g.toBytes()));
    }

    @Test
    void linkLocalIsNotIpv4() {
        Gid g = Gid.parse("fe80:0000:0000:0000:0202:c9ff:fe12:3456");
        assertFalse(g.isIpv4Mapped());
        assertEquals(0xfe80_0000_0000_0000L, g.high());
        assertThrows(IllegalStateException.class, g::ipv4);
        assertThrows(IllegalArgumentException.class, () -> Gid.parse("fe80::1"));
    }

    @Test
    void endpointRejectsOver24Bits() {
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(0, 1 << 24, 0, Gid.ZERO));
        assertEquals(Gid.ZERO, new Endpoint(0, 5, 6, null).gid());
    }
}
