package io.jverbs.soft.wire;

import io.jverbs.raweth.port.Tools;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The rxe capture (rxe.pcap, made by soft/capture-rxe.sh in the Soft-RoCE VM): its Ethernet
 * frames, read from the pcap file here, and tshark's decoding of them.
 */
public final class RxeCapture {
    /** The tshark fields {@link #tshark} returns, in this order. */
    static final String[] FIELDS = {
        "frame.number", "ip.dsfield", "ip.id", "ip.ttl", "udp.srcport", "udp.length",
        "infiniband.bth.opcode", "infiniband.bth.se", "infiniband.bth.m", "infiniband.bth.padcnt",
        "infiniband.bth.tver", "infiniband.bth.p_key", "infiniband.bth.destqp", "infiniband.bth.a",
        "infiniband.bth.psn", "infiniband.reth.va", "infiniband.reth.r_key", "infiniband.reth.dmalen",
        "infiniband.aeth.syndrome", "infiniband.aeth.msn", "infiniband.deth.q_key", "infiniband.deth.srcqp",
        "infiniband.atomiceth.swapdt", "infiniband.atomiceth.cmpdt", "infiniband.atomicacketh.origremdt",
        "infiniband.invariant.crc",
    };

    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RxeCapture() {
    }

    /** The frames, in capture order. */
    static List<byte[]> frames() {
        return frames(file());
    }

    /** The Ethernet frames of a pcap file as tcpdump writes it here (also the host-link interop captures). */
    public static List<byte[]> frames(Path pcap) {
        return records(pcap).stream().map(Frame::bytes).toList();
    }

    /** One captured frame and when it was captured (microseconds since the epoch). */
    public record Frame(long micros, byte[] bytes) {}

    /** The frames of a pcap file with their capture times, in capture order. */
    public static List<Frame> records(Path pcap) {
        try {
            MemorySegment f = MemorySegment.ofArray(Files.readAllBytes(pcap));
            assertEquals(0xa1b2c3d4, f.get(LE32, 0), "a little-endian microsecond pcap, as tcpdump writes it here");
            assertEquals(1, f.get(LE32, 20), "link type Ethernet");
            List<Frame> frames = new ArrayList<>();
            for (long at = 24; at < f.byteSize(); ) {
                long micros = Integer.toUnsignedLong(f.get(LE32, at)) * 1_000_000L + f.get(LE32, at + 4);
                int captured = f.get(LE32, at + 8);
                assertEquals(f.get(LE32, at + 12), captured, "the capture was not truncated by a snap length");
                frames.add(new Frame(micros, f.asSlice(at + 16, captured).toArray(ValueLayout.JAVA_BYTE)));
                at += 16 + captured;
            }
            return frames;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Path file() {
        try {
            var url = RxeCapture.class.getResource("rxe.pcap");
            if (url == null) {
                throw new AssertionError("rxe.pcap is missing from the test resources (soft/capture-rxe.sh makes it)");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** tshark's decoding: one row of {@link #FIELDS} per frame (empty strings where a field is absent). */
    static List<String[]> tshark() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", file().toString(), "-T", "fields", "-E", "separator=;",
                "-E", "occurrence=f"));
        for (String f : FIELDS) {
            cmd.add("-e");
            cmd.add(f);
        }
        return Tools.run(cmd.toArray(String[]::new)).stream().map(l -> l.split(";", -1)).toList();
    }
}
