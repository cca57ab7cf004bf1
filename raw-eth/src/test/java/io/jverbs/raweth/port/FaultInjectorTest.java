package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seeded faults: deterministic per seed, at the rates asked, timed by the clock, seen by the parsers. */
class FaultInjectorTest {
    /** With no faults set the injector is a conforming port (both ends wrapped). */
    @Nested
    class Conformance extends PortConformance {
        @Override
        protected Link openLink() {
            MemoryPair pair = MemoryPair.builder().queueDepth(64).txBuffers(64).build();
            FaultInjector.Settings none = FaultInjector.settings().seed(1).buffers(128);
            return Link.pair(FaultInjector.wrap(pair.a(), none), FaultInjector.wrap(pair.b(), none), 64)
                    .onClose(pair);
        }
    }

    /** A TCP segment per frame, distinct by sequence number. */
    private static byte[] frame(int i) {
        return TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 40_000, 80, i * 1000, 1, TcpPacket.ACK, 100 + i % 50);
    }

    /** Sends {@code count} frames from a through the faulty b, advancing the clock by 1 us per frame; returns what b delivered. */
    private static List<byte[]> run(FaultInjector.Settings settings, int count, ManualClock clock) {
        try (MemoryPair pair = MemoryPair.builder().queueDepth(256).build();
             FaultInjector b = FaultInjector.wrap(pair.b(), settings.clock(clock))) {
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                TestFrames.send(pair.a(), frame(i));
                clock.advance(1_000);
                got.addAll(TestFrames.receiveAll(b));
            }
            clock.advance(1_000_000_000L); // every delay and reorder timeout past
            got.addAll(TestFrames.receiveAll(b));
            last = b.faults();
            return got;
        }
    }

    private static FaultInjector.Faults last;

    private static FaultInjector.Settings everything(long seed) {
        return FaultInjector.settings().seed(seed).loss(0.05).corruption(0.05).duplication(0.05)
                .reorder(0.05, 5_000).delay(2_000, 10_000);
    }

    @Test
    void sameSeedSameFaults() {
        List<byte[]> one = run(everything(42), 3000, new ManualClock());
        FaultInjector.Faults f1 = last;
        List<byte[]> two = run(everything(42), 3000, new ManualClock());
        FaultInjector.Faults f2 = last;
        assertEquals(f1, f2);
        assertEquals(one.size(), two.size());
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i), two.get(i), "frame " + i);
        }
        List<byte[]> other = run(everything(43), 3000, new ManualClock());
        assertNotEquals(f1, last, "another seed, other faults");
        // Every kind of fault happened.
        assertTrue(f1.dropped() > 0 && f1.corrupted() > 0 && f1.duplicated() > 0 && f1.reordered() > 0
                && f1.delayed() > 0, f1.toString());
        assertEquals(3000 - f1.dropped() + f1.duplicated(), one.size(), f1.toString());
        assertFalse(other.isEmpty());
    }

    @Test
    void lossRateWithinBinomialBounds() {
        int n = 10_000;
        List<byte[]> got = run(FaultInjector.settings().seed(7).loss(0.1), n, new ManualClock());
        // Binomial(10000, 0.1): mean 1000, sd 30; six sd either way fails one run in ~10^9.
        long lost = last.dropped();
        assertTrue(lost >= 820 && lost <= 1180, "lost " + lost + " of " + n);
        assertEquals(n - lost, got.size());
        // What arrives arrives intact and in order.
        int prev = -1;
        for (byte[] f : got) {
            int seq = seq(f);
            assertTrue(seq > prev, "order");
            assertArrayEquals(frame(seq), f);
            prev = seq;
        }
    }

    private static int seq(byte[] f) {
        TcpPacket tcp = new TcpPacket();
        tcp.wrapOrThrow(MemorySegment.ofArray(f), 34, f.length - 34);
        return tcp.sequenceNumber() / 1000;
    }

    @Test
    void delayFollowsTheClock() {
        ManualClock clock = new ManualClock(5_000_000);
        try (MemoryPair pair = MemoryPair.builder().build();
             FaultInjector b = FaultInjector.wrap(pair.b(), FaultInjector.settings().clock(clock).delay(1_000_000, 0))) {
            TestFrames.send(pair.a(), frame(1));
            assertEquals(0, TestFrames.receiveAll(b).size(), "at once");
            clock.advance(999_999);
            assertEquals(0, TestFrames.receiveAll(b).size(), "1 ns early");
            assertFalse(b.awaitReceive(1_000_000), "not due on the clock, however long we wait");
            clock.advance(1);
            assertTrue(b.awaitReceive(0), "due");
            List<byte[]> got = TestFrames.receiveAll(b);
            assertEquals(1, got.size());
            assertArrayEquals(frame(1), got.getFirst());
            assertEquals(1, b.faults().delayed());
        }
    }

    @Test
    void reorderHoldsAFrameBehindTheNext() {
        ManualClock clock = new ManualClock();
        List<byte[]> got = run(FaultInjector.settings().seed(3).reorder(0.3, 1_000_000_000L), 1000, clock);
        assertEquals(1000, got.size(), "nothing lost");
        int[] seqs = got.stream().mapToInt(FaultInjectorTest::seq).toArray();
        int[] sorted = seqs.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 1000; i++) {
            assertEquals(i, sorted[i], "every frame once");
        }
        int inversions = 0;
        for (int i = 1; i < seqs.length; i++) {
            inversions += seqs[i] < seqs[i - 1] ? 1 : 0;
        }
        assertTrue(last.reordered() > 230 && last.reordered() < 370, last.toString());
        assertTrue(inversions > 0 && inversions <= last.reordered(), inversions + " inversions, " + last);
    }

    @Test
    void duplicatesAreExactCopies() {
        List<byte[]> got = run(FaultInjector.settings().seed(11).duplication(0.2), 2000, new ManualClock());
        assertEquals(2000 + last.duplicated(), got.size());
        assertTrue(last.duplicated() > 300 && last.duplicated() < 500, last.toString());
        int dups = 0;
        for (int i = 1; i < got.size(); i++) {
            if (Arrays.equals(got.get(i), got.get(i - 1))) {
                dups++;
            }
        }
        assertEquals(last.duplicated(), dups, "each copy right after its original");
    }

    @Test
    void corruptionFailsTheChecksums() {
        List<byte[]> got = run(FaultInjector.settings().seed(5).corruption(1.0), 2000, new ManualClock());
        assertEquals(2000, got.size());
        assertEquals(2000, last.corrupted());
        EthernetFrame eth = new EthernetFrame();
        Ipv4Packet ip = new Ipv4Packet();
        TcpPacket tcp = new TcpPacket();
        int inEthernet = 0;
        for (int i = 0; i < got.size(); i++) {
            byte[] f = got.get(i);
            byte[] original = frame(i);
            int bits = 0;
            int at = -1;
            for (int j = 0; j < f.length; j++) {
                int d = Integer.bitCount((f[j] ^ original[j]) & 0xff);
                bits += d;
                at = d != 0 ? j : at;
            }
            assertEquals(1, bits, "frame " + i + ": one bit flipped");
            if (at < EthernetFrame.HEADER_LENGTH) {
                inEthernet++; // MACs and type: no checksum covers them (the FCS did, on a wire)
                continue;
            }
            MemorySegment s = MemorySegment.ofArray(f);
            boolean detected = eth.wrap(s, 0, f.length) != WireStatus.OK
                    || ip.wrap(s, 14, f.length - 14) != WireStatus.OK || !ip.checksumValid()
                    || tcp.wrap(s, ip.payloadOffset(), ip.payloadLength()) != WireStatus.OK
                    || !tcp.checksumValid(ip.source(), ip.destination());
            assertTrue(detected, "frame " + i + ": the bit flipped at byte " + at + " passed every check");
        }
        assertTrue(inEthernet > 0 && inEthernet < 2000 * 14 * 2 / 150, inEthernet + " flips in the Ethernet header");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> FaultInjector.settings().loss(1.5));
        assertThrows(IllegalArgumentException.class, () -> FaultInjector.settings().corruption(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> FaultInjector.settings().delay(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> FaultInjector.settings().buffers(0));
    }
}
