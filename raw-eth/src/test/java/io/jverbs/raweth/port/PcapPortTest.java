package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.TcpPacket;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PcapPort records what crosses a port in a file tshark and tcpdump read back field for field. */
class PcapPortTest {
    /** tshark's checksum status "good" (PROTO_CHECKSUM_E_GOOD). */
    private static final String GOOD = "1";
    /** Expert severity "chat" (PI_CHAT), which tshark gives a SYN. */
    private static final String CHAT = "2097152";
    @TempDir
    Path dir;

    /** The whole port contract holds through the wrapper (both ends into one shared file). */
    @Nested
    class Conformance extends PortConformance {
        @Override
        protected Link openLink() throws IOException {
            MemoryPair pair = MemoryPair.builder().queueDepth(64).txBuffers(64).build();
            PcapWriter w = PcapWriter.open(Files.createTempFile(dir, "conformance", ".pcap"));
            return Link.pair(PcapPort.wrap(pair.a(), w), PcapPort.wrap(pair.b(), w), 64)
                    .onClose(() -> {
                        pair.close();
                        w.close();
                    });
        }
    }

    /** ARP, ICMP echo, UDP and a TCP handshake, one millisecond of virtual time apart. */
    private static List<byte[]> conversation() {
        return List.of(
                TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B),
                TestFrames.arp(ArpPacket.REPLY, MAC_B, IP_B, MAC_A, IP_A),
                TestFrames.echo(true, MAC_A, MAC_B, IP_A, IP_B, 0x1234, 1, 56),
                TestFrames.echo(false, MAC_B, MAC_A, IP_B, IP_A, 0x1234, 1, 56),
                TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 40_000, 4791, 300),
                TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 50_000, 80, 1000, 0, TcpPacket.SYN, 0),
                TestFrames.tcp(MAC_B, MAC_A, IP_B, IP_A, 80, 50_000, 7000, 1001, TcpPacket.SYN | TcpPacket.ACK, 0),
                TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 50_000, 80, 1001, 7001, TcpPacket.ACK | TcpPacket.PSH, 1400));
    }

    /** Writes the conversation as seen from port a: odd frames a sends, even ones it receives. */
    private Path capture(PcapWriter.Resolution resolution) {
        Path file = dir.resolve("conversation-" + resolution + ".pcap");
        ManualClock clock = new ManualClock();
        Instant start = Instant.parse("2025-01-02T03:04:05Z");
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             PcapPort a = PcapPort.wrap(pair.a(), PcapWriter.open(file, clock, start, resolution, 65_535, 0))) {
            List<byte[]> frames = conversation();
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                boolean fromA = TestFrames.MAC_A == (ByteBuffer.wrap(f, 6, 8).order(ByteOrder.BIG_ENDIAN).getLong() >>> 16);
                if (fromA) {
                    TestFrames.send(a, f);
                    assertArrayEquals(f, TestFrames.receiveAll(pair.b()).getFirst());
                } else {
                    TestFrames.send(pair.b(), f);
                    assertArrayEquals(f, TestFrames.receiveAll(a).getFirst());
                }
                clock.advance(1_000_123);
            }
            assertEquals(frames.size(), a.writer().frames());
            a.writer().close(); // the port closes it too; a second close is harmless
        }
        return file;
    }

    private static List<String> run(String... command) throws IOException, InterruptedException {
        return Tools.run(command);
    }

    @Test
    void tsharkReadsEveryFieldBack() throws Exception {
        for (PcapWriter.Resolution res : PcapWriter.Resolution.values()) {
            Path file = capture(res);
            List<String> lines = run("tshark", "-r", file.toString(), "-o", "ip.check_checksum:TRUE",
                    "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                    "-T", "fields", "-E", "separator=|",
                    "-e", "frame.time_epoch", "-e", "frame.len", "-e", "eth.src", "-e", "eth.dst", "-e", "arp.opcode",
                    "-e", "ip.src", "-e", "ip.dst", "-e", "ip.checksum.status", "-e", "icmp.type", "-e", "icmp.seq",
                    "-e", "udp.dstport", "-e", "udp.checksum.status", "-e", "tcp.flags", "-e", "tcp.options.mss_val",
                    "-e", "tcp.len", "-e", "tcp.checksum.status", "-e", "_ws.malformed", "-e", "_ws.expert.severity");
            // Nanoseconds keep the 123 ns; microseconds drop them.
            List<String> expected = new ArrayList<>();
            String a = "02:00:00:00:00:0a";
            String b = "02:00:00:00:00:0b";
            // frame.len, eth.src, eth.dst, arp.opcode, ip.src, ip.dst, ip.checksum.status, icmp.type,
            // icmp.seq, udp.dstport, udp.checksum.status, tcp.flags, mss, tcp.len, tcp.checksum.status,
            // _ws.malformed, _ws.expert.severity
            String[][] rows = {
                {"60", a, "ff:ff:ff:ff:ff:ff", "1", "", "", "", "", "", "", "", "", "", "", "", "", ""},
                {"60", b, a, "2", "", "", "", "", "", "", "", "", "", "", "", "", ""},
                {"98", a, b, "", "192.0.2.1", "192.0.2.2", GOOD, "8", "1", "", "", "", "", "", "", "", ""},
                {"98", b, a, "", "192.0.2.2", "192.0.2.1", GOOD, "0", "1", "", "", "", "", "", "", "", ""},
                {"342", a, b, "", "192.0.2.1", "192.0.2.2", GOOD, "", "", "4791", GOOD, "", "", "", "", "", ""},
                {"74", a, b, "", "192.0.2.1", "192.0.2.2", GOOD, "", "", "", "", "0x0002", "1460", "0", GOOD, "", CHAT},
                {"74", b, a, "", "192.0.2.2", "192.0.2.1", GOOD, "", "", "", "", "0x0012", "1460", "0", GOOD, "", CHAT},
                {"1466", a, b, "", "192.0.2.1", "192.0.2.2", GOOD, "", "", "", "", "0x0018", "", "1400", GOOD, "", ""},
            };
            List<String> got = new ArrayList<>();
            for (int i = 0; i < rows.length; i++) {
                long t = Instant.parse("2025-01-02T03:04:05Z").getEpochSecond();
                long ns = i * 1_000_123L;
                String time = (t + ns / 1_000_000_000L) + "." + String.format("%06d", ns % 1_000_000_000L / 1000)
                        + (res == PcapWriter.Resolution.NANOSECONDS ? String.format("%03d", ns % 1000) : "");
                expected.add(time + "|" + String.join("|", rows[i]));
                got.add(i < lines.size() ? normalize(lines.get(i), res) : "(missing)");
            }
            assertEquals(expected, got, res + ": what tshark read");
            assertEquals(expected.size(), lines.size(), "frames tshark read: " + lines);
        }
    }

    /** tshark prints frame.time_epoch with nine decimals; a microsecond file's last three are 000. */
    private static String normalize(String line, PcapWriter.Resolution res) {
        int bar = line.indexOf('|');
        String time = line.substring(0, bar);
        int dot = time.indexOf('.');
        String digits = (time.substring(dot + 1) + "000000000").substring(0, 9);
        if (res == PcapWriter.Resolution.MICROSECONDS) {
            assertEquals("000", digits.substring(6), "sub-microsecond digits in a microsecond file: " + line);
            digits = digits.substring(0, 6);
        }
        return time.substring(0, dot) + "." + digits + line.substring(bar);
    }

    @Test
    void tcpdumpReadsItToo() throws Exception {
        Path file = capture(PcapWriter.Resolution.MICROSECONDS);
        List<String> lines = run("tcpdump", "-r", file.toString(), "-nn", "-tt", "-v");
        String all = String.join("\n", lines);
        assertTrue(all.contains("1735787045.000000"), all);
        assertTrue(all.contains("Request who-has 192.0.2.2 tell 192.0.2.1"), all);
        assertTrue(all.contains("Reply 192.0.2.2 is-at 02:00:00:00:00:0b"), all);
        assertTrue(all.contains("192.0.2.1 > 192.0.2.2: ICMP echo request, id 4660, seq 1, length 64"), all);
        assertTrue(all.contains("192.0.2.1.40000 > 192.0.2.2.4791: UDP, length 300"), all);
        assertTrue(all.contains("192.0.2.1.50000 > 192.0.2.2.80: Flags [S], cksum"), all);
        assertTrue(all.contains("(correct)"), all);
        assertTrue(!all.contains("incorrect"), all);
        assertTrue(all.contains("options [mss 1460,sackOK,TS val 2000 ecr 0,nop,wscale 7]")
                || all.contains("mss 1460"), all);
    }

    @Test
    void untakenFramesAreNotRecordedAndClosedWriterRefuses() throws Exception {
        Path file = dir.resolve("partial.pcap");
        try (MemoryPair pair = MemoryPair.builder().queueDepth(3).build();
             PcapPort a = PcapPort.wrap(pair.a(), file)) {
            byte[] f = TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 10);
            FrameBurst tx = new FrameBurst(5);
            assertEquals(5, a.allocate(tx, 5));
            for (int i = 0; i < 5; i++) {
                java.lang.foreign.MemorySegment.copy(f, 0, tx.memory(), java.lang.foreign.ValueLayout.JAVA_BYTE,
                        tx.offset(i), f.length);
                tx.length(i, f.length);
            }
            assertEquals(3, a.transmit(tx, 5), "the queue holds three");
            a.release(tx);
            assertEquals(3, a.writer().frames());
            a.writer().flush();
            // 24-byte header, then three records of 16 + 60 bytes.
            assertEquals(24 + 3 * (16 + 60), Files.size(file));
        }
        PcapWriter w = PcapWriter.open(dir.resolve("closed.pcap"));
        w.close();
        assertThrows(IllegalStateException.class, w::flush);
        List<String> lines = run("tshark", "-r", file.toString(), "-T", "fields", "-e", "udp.dstport");
        assertEquals(List.of("2", "2", "2"), lines);
    }
}
