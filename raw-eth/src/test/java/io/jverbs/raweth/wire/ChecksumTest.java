package io.jverbs.raweth.wire;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChecksumTest {
    /** RFC 1071 as written: 16-bit big-endian words, a byte at a time, end-around carry at the end. */
    static int reference(byte[] data, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = data[off + i] & 0xff;
            int lo = i + 1 < len ? data[off + i + 1] & 0xff : 0;
            sum += hi << 8 | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void rfc1071Example() {
        // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
        byte[] data = HexFormat.of().parseHex("0001f203f4f5f6f7");
        int sum = Checksum.sum(MemorySegment.ofArray(data), 0, data.length);
        assertEquals(0xddf2, sum);
        assertEquals(0x220d, Checksum.finish(sum));
    }

    @Test
    void everyLengthAndAlignmentAgainstTheReference() {
        Random rnd = new Random(1071);
        byte[] data = new byte[300];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(data.length);
            for (int round = 0; round < 20; round++) {
                rnd.nextBytes(data);
                if (round == 0) {
                    java.util.Arrays.fill(data, (byte) 0xff); // the most carries
                }
                MemorySegment.copy(data, 0, nat, ValueLayout.JAVA_BYTE, 0, data.length);
                for (int off = 0; off < 9; off++) {
                    for (int len = 0; off + len <= 280; len++) {
                        int want = reference(data, off, len);
                        assertEquals(want, Checksum.sum(MemorySegment.ofArray(data), off, len), off + "+" + len);
                        assertEquals(want, Checksum.sum(nat, off, len), "native " + off + "+" + len);
                    }
                }
            }
        }
    }

    @Test
    void aLargeBufferAndTheZeroAndFullSums() {
        byte[] big = new byte[1 << 20];
        new Random(7).nextBytes(big);
        assertEquals(reference(big, 0, big.length), Checksum.sum(MemorySegment.ofArray(big), 0, big.length));
        assertEquals(0, Checksum.sum(MemorySegment.ofArray(new byte[64]), 0, 64));
        byte[] ones = new byte[64];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertEquals(0xffff, Checksum.sum(MemorySegment.ofArray(ones), 0, 64));
    }

    @Test
    void partsAddUpWhenEachButTheLastIsEven() {
        Random rnd = new Random(3);
        byte[] data = new byte[101];
        rnd.nextBytes(data);
        MemorySegment seg = MemorySegment.ofArray(data);
        for (int split = 0; split <= 100; split += 2) {
            assertEquals(Checksum.sum(seg, 0, 101), Checksum.add(Checksum.sum(seg, 0, split), Checksum.sum(seg, split, 101 - split)));
        }
    }

    @Test
    void pseudoHeaderIsTheSumOfItsTwelveBytes() {
        int src = Ipv4Address.parse("192.168.1.10").value();
        int dst = Ipv4Address.parse("10.255.0.254").value();
        byte[] ph = HexFormat.of().parseHex("c0a8010a0aff00fe" + "0006" + "05dc");
        assertEquals(reference(ph, 0, 12), Checksum.pseudoHeader(src, dst, IpProtocol.TCP, 1500));
    }

    @Test
    void incrementalUpdateEqualsASumFromScratch() {
        Random rnd = new Random(1624);
        byte[] data = new byte[40];
        MemorySegment seg = MemorySegment.ofArray(data);
        for (int i = 0; i < 10_000; i++) {
            rnd.nextBytes(data);
            int before = Checksum.finish(Checksum.sum(seg, 0, data.length));
            int at = rnd.nextInt(data.length / 4) * 4;
            int old = seg.get(HeaderView.U32, at);
            int now = i % 7 == 0 ? old : rnd.nextInt();
            seg.set(HeaderView.U32, at, now);
            int full = Checksum.finish(Checksum.sum(seg, 0, data.length));
            int inc = Checksum.update32(before, old, now);
            // RFC 1624 4: eqn. 3 can give 0xffff where a full sum gives 0 and never the reverse
            // for non-zero data; both verify.
            assertEquals(full == 0 ? 0xffff : full, inc == 0 ? 0xffff : inc, "word " + at);
        }
    }

    @Test
    void ttlDecrementKeepsTheHeaderChecksumValid() {
        byte[] f = LinuxFrames.labelled("icmp-echo-request").getFirst().clone();
        Ipv4Packet ip = new Ipv4Packet().wrapOrThrow(MemorySegment.ofArray(f), 14, f.length - 14);
        for (int ttl = ip.ttl() - 1; ttl >= 0; ttl--) {
            assertEquals(ttl, ip.decrementTtl());
            assertEquals(true, ip.checksumValid(), "ttl " + ttl);
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, ip::decrementTtl);
    }
}
