package io.jverbs.perftest.oob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PerftestVersionTest {
    @Test
    void jperfAdvertises606NulPadded() {
        byte[] golden = {'6', '.', '0', '6', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(golden, PerftestVersion.JPERF.encode());
        double v = PerftestVersion.JPERF.number();
        assertTrue(v >= PerftestVersion.MIN_COMPATIBLE && v < PerftestVersion.NEGOTIATION, "in [5.70, 6.28)");
    }

    @Test
    void decodesPerftestVersionsAsAtofDoes() {
        assertEquals(6.29, decode("6.29").number());
        assertEquals(6.1, decode("6.1").number());
        assertTrue(decode("6.1").number() > decode("6.06").number(), "atof, not strverscmp");
        assertEquals(6.29, decode("6.29-rc1").number());
        assertEquals("5.60", decode("5.60").text());
    }

    @Test
    void garbageIsNotAVersion() {
        for (String s : new String[] {"HTTP/1.1 200 OK\r", "", "six", "6", ".5", "6.06 beta"}) {
            OobException e = assertThrows(OobException.class, () -> decode(s), s);
            assertEquals(OobException.Kind.GARBAGE, e.kind());
            assertTrue(e.getMessage().contains("peer is not perftest/jperf"), e.getMessage());
        }
        byte[] noNul = "6.066666666666666".substring(0, 16).getBytes(StandardCharsets.US_ASCII);
        assertEquals(OobException.Kind.GARBAGE, assertThrows(OobException.class, () -> PerftestVersion.decode(noNul, "v")).kind());
        byte[] http = "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
        OobException e = assertThrows(OobException.class, () -> PerftestVersion.decode(http, "version exchange"));
        assertTrue(e.getMessage().contains("47 45 54 20 2f"), e.getMessage());
        assertTrue(e.getMessage().contains("\"GET / HTTP/1.1..\""), e.getMessage());
    }

    static PerftestVersion decode(String s) {
        byte[] wire = new byte[16];
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, wire, 0, Math.min(a.length, 16));
        return PerftestVersion.decode(wire, "version exchange");
    }
}
