package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.cli.Jperf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frames perftest sends, byte for byte, and the receive filter standing in for its flow rule. */
class RawFramesTest {
    private static final String ADDR = " -J 10.0.0.1 -j 10.0.0.2 -K 5000 -k 5001";

    private static RawEthernet raw(String role, String extra) throws Exception {
        String macs = role.equals("--client") ? " -B 02:00:00:00:00:0b -E 02:00:00:00:00:0a"
                : " -B 02:00:00:00:00:0a -E 02:00:00:00:00:0b";
        return Jperf.parse(("raw_ethernet_lat --port afpacket:x " + role + macs + extra).split(" +")).raw();
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void udpFrameIsPerftestsLayout() throws Exception {
        RawFrames f = new RawFrames(raw("--client", ADDR), 64, true);
        assertEquals(60, f.frameLength());
        assertArrayEquals(HexFormat.of().parseHex("02000000000a02000000000b0800"
                + "4500002e00000000401166bd0a0000020a000001" + "13891388001a0000" + "00".repeat(18)),
                bytes(f.template()));
    }

    @Test
    void tcpAndNonIpFrames() throws Exception {
        byte[] tcp = bytes(new RawFrames(raw("--client", ADDR + " --tcp"), 80, true).template());
        assertEquals(76, tcp.length);
        // protocol 6 in the IP header; TCP: ports, seq 0, ack 0, data offset 5, flags 0, window 8192, checksum 0.
        assertEquals(6, tcp[23]);
        assertArrayEquals(HexFormat.of().parseHex("138913880000000000000000500020000000" + "0000"),
                java.util.Arrays.copyOfRange(tcp, 34, 54));
        byte[] plain = bytes(new RawFrames(raw("--client", ""), 100, true).template());
        assertEquals(96, plain.length);
        assertEquals(0, plain[12]);
        assertEquals(82, plain[13], "the 802.3 length: size - 18");
        byte[] typed = bytes(new RawFrames(raw("--client", " -Y 0x88b5"), 100, true).template());
        assertEquals((byte) 0x88, typed[12]);
        assertEquals((byte) 0xb5, typed[13]);
    }

    @Test
    void theFilterTakesThePeersFramesOnly() throws Exception {
        RawFrames client = new RawFrames(raw("--client", ADDR), 128, true);
        RawFrames server = new RawFrames(raw("--server", ADDR), 128, true);
        MemorySegment c = client.template();
        MemorySegment s = server.template();
        assertTrue(server.matches(c, 0, (int) c.byteSize()), "the client's frame reaches the server");
        assertTrue(client.matches(s, 0, (int) s.byteSize()), "and the server's the client");
        assertFalse(server.matches(s, 0, (int) s.byteSize()), "its own frame is not the peer's");
        for (int at : new int[] {5, 26, 29, 35, 37, 23}) { // dst MAC, src IP, dst IP, src port, dst port, protocol
            MemorySegment x = Arena.ofAuto().allocate(c.byteSize());
            x.copyFrom(c);
            x.set(ValueLayout.JAVA_BYTE, at, (byte) (x.get(ValueLayout.JAVA_BYTE, at) ^ 1));
            assertFalse(server.matches(x, 0, (int) x.byteSize()), "byte " + at + " changed");
        }
        assertFalse(server.matches(c, 0, 13), "truncated Ethernet");
        assertFalse(server.matches(c, 0, 30), "truncated IPv4");
    }

    @Test
    void garbageNeverThrows() throws Exception {
        RawFrames server = new RawFrames(raw("--server", ADDR + " --tcp"), 128, false);
        MemorySegment m = Arena.ofAuto().allocate(256);
        Random r = new Random(7);
        byte[] b = new byte[256];
        for (int i = 0; i < 20_000; i++) {
            r.nextBytes(b);
            if (i % 2 == 0) { // keep the MAC and the IPv4 EtherType so the parsers below run too
                System.arraycopy(HexFormat.of().parseHex("02000000000a02000000000b080045"), 0, b, 0, 15);
            }
            MemorySegment.copy(b, 0, m, ValueLayout.JAVA_BYTE, 0, b.length);
            server.matches(m, 0, r.nextInt(257));
        }
    }
}
