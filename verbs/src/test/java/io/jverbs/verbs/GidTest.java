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
    }

    @Test
    void printsAsInetNtop() {
        assertEquals("::ffff:10.77.0.1", Gid.ofIpv4(new byte[] {10, 77, 0, 1}).toInetString());
        assertEquals("::", Gid.ZERO.toInetString());
        assertEquals("::1", new Gid(0, 1).toInetString());
        assertEquals("fe80::202:c9ff:fe12:3456", Gid.parse("fe80:0000:0000:0000:0202:c9ff:fe12:3456").toInetString());
        assertEquals("::10.0.0.1", new Gid(0, 0x0a000001L).toInetString());
        assertEquals("1:0:1::", Gid.parse("0001:0000:0001:0000:0000:0000:0000:0000").toInetString());
        assertEquals("1:0:2:3:4:5:6:7", Gid.parse("0001:0000:0002:0003:0004:0005:0006:0007").toInetString());
        assertEquals("1:0:0:2::3", Gid.parse("1:0:0:2:0:0:0:3").toInetString());
        assertEquals("1::2:0:0:3:4", Gid.parse("1:0:0:2:0:0:3:4").toInetString());   // a tie: the first run
    }

    @Test
    void parsesEveryFormItPrints() {
        for (Gid g : new Gid[] {Gid.ZERO, new Gid(0, 1), Gid.ofIpv4(new byte[] {(byte) 192, (byte) 168, 1, (byte) 255}),
                new Gid(0, 0x0a000001L), new Gid(0xfe80_0000_0000_0000L, 0x0202_c9ff_fe12_3456L),
                new Gid(0x0001_0000_0001_0000L, 0), new Gid(-1, -1), new Gid(0x0001_0000_0000_0002L, 3)}) {
            assertEquals(g, Gid.parse(g.toString()), g.toString());
            assertEquals(g, Gid.parse(g.toInetString()), g.toInetString());
        }
        assertEquals(new Gid(0xfe80_0000_0000_0000L, 1), Gid.parse("FE80::1"));
    }

    @Test
    void rejectsWhatIsNotIpv6() {
        for (String bad : new String[] {"", ":", ":::", "1::2::3", "fe80", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                "12345::", "g::1", "::1.2.3", "::256.0.0.1", "::1.2.3.4.5", "1.2.3.4", "1:2:3:4:5:6:7::8:9", "::-1", "::+1", "1:2:3:4:5:6:7:8 "}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gid.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void endpointRejectsOver24Bits() {
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(0, 1 << 24, 0, Gid.ZERO));
        assertEquals(Gid.ZERO, new Endpoint(0, 5, 6, null).gid());
    }
}
