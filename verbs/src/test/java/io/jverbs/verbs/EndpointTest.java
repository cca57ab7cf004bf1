package io.jverbs.verbs;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pingpong text form of an endpoint: what rdma-core's ibv_*_pingpong print with "%04x:%06x:%06x:%s". */
class EndpointTest {
    private static final Gid V4 = Gid.ofIpv4(new byte[] {10, 77, 0, 1});

    @Test
    void formatsAsTheCProgramsDo() {
        assertEquals("0000:000011:abcdef:00000000000000000000ffff0a4d0001",
                new Endpoint(0, 0x11, 0xabcdef, V4).toPingPongString());
        Gid ib = new Gid(0xfe80000000000000L, 0x0002c90300a1b2c3L);
        assertEquals("ffff:ffffff:000000:fe800000000000000002c90300a1b2c3",
                new Endpoint(0xffff, 0xffffff, 0, ib).toPingPongString());
        assertEquals(Endpoint.PINGPONG_TEXT_LENGTH, new Endpoint(0, 0, 0, null).toPingPongString().length());
    }

    @Test
    void roundTrips() {
        Gid ib = new Gid(0xfe80000000000000L, 0x0002c90300a1b2c3L);
        for (Endpoint e : new Endpoint[] {new Endpoint(0, 0x11, 0xabcdef, V4), new Endpoint(0x1234, 1, 0xffffff, ib),
                new Endpoint(0, 0, 0, Gid.ZERO), new Endpoint(0xffff, 0xffffff, 0x000001, Gid.parse("::1"))}) {
            assertEquals(e, Endpoint.parsePingPong(e.toPingPongString()), e.toPingPongString());
        }
        // sscanf's %x reads upper case and short fields too.
        assertEquals(new Endpoint(0x1a, 0x11, 0xab, V4), Endpoint.parsePingPong("1A:11:AB:00000000000000000000FFFF0A4D0001"));
    }

    @Test
    void rejectsGarbledTextNamingWhatIsWrong() {
        String[][] cases = {
                {"", "4 fields"},
                {"hello", "4 fields"},
                {"0000:000011:abcdef", "4 fields"},
                {"0000:000011:abcdef:0000:extra", "4 fields"},
                {"0000:000011:abcdef:00000000000000000000ffff0a4d00", "32 hex digits"},
                {"0000:000011:abcdef:00000000000000000000ffff0a4d000100", "32 hex digits"},
                {"0000:000011:abcdef:00000000000000000000ffff0a4d000g", "32 hex digits"},
                {"0000:-00011:abcdef:00000000000000000000ffff0a4d0001", "QPN must be hex digits"},
                {"0x00:000011:abcdef:00000000000000000000ffff0a4d0001", "LID must be hex digits"},
                {":000011:abcdef:00000000000000000000ffff0a4d0001", "LID must be hex digits"},
                {"10000:000011:abcdef:00000000000000000000ffff0a4d0001", "LID 0x10000 is larger than 0xffff"},
                {"0000:1000000:abcdef:00000000000000000000ffff0a4d0001", "QPN 0x1000000 is larger than 0xffffff"},
                {"0000:000011:fffffffff:00000000000000000000ffff0a4d0001", "PSN must be hex digits"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Endpoint.parsePingPong(c[0]), c[0]);
            assertTrue(e.getMessage().contains("\"" + c[0] + "\"") && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void rejectsOutOfRangeNumbers() {
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(0, 1 << 24, 0, Gid.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(0, 0, -1, Gid.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(0x10000, 0, 0, Gid.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(-1, 0, 0, Gid.ZERO));
    }
}
