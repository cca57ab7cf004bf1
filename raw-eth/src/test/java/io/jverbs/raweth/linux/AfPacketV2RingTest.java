package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the V2 RX ring adds to the conformance suite: a tiny ring (8 slots) that the receiver fills
 * and holds. Slots still held are not delivered again when the ring wraps; slots released out of
 * order are refilled in ring order only, once the kernel's next slot is free; what came while the
 * ring was full is counted as dropped. Also the {@code afpacket:} spec's {@code ring=} option. Needs root.
 */
@Timeout(60)
class AfPacketV2RingTest {
    private static final String A = "jv" + HostNet.TAG + "ra";
    private static final String B = "jv" + HostNet.TAG + "rb";
    private static final int SLOTS = 8;
    private static final int ETHERTYPE = 0x88b5; // IEEE local experimental
    private static HostNet net;

    @BeforeAll
    static void veth() {
        net = new HostNet();
        net.veth(A, B, null);
    }

    @AfterAll
    static void cleanup() {
        if (net != null) net.close();
    }

    @Test
    void heldSlotsAreNotRedeliveredAndReleasedSlotsRefillInRingOrder() {
        // 2 blocks of 8 KiB hold 4 slots of 2 KiB each at MTU 1500
        AfPacketPort.Options small = AfPacketPort.Options.DEFAULTS.lowLatency().withRing(8192, 2, 1, 64);
        try (AfPacketPort a = AfPacketPort.open(A); AfPacketPort b = AfPacketPort.open(B, small)) {
            assertEquals(AfPacketPort.RingVersion.V2, b.ringVersion());
            assertEquals(AfPacketPort.RingVersion.V3, a.ringVersion());
            drain(b);
            FrameBurst[] held = new FrameBurst[SLOTS];
            send(a, b, 0, SLOTS);
            for (int i = 0; i < SLOTS; i++) {
                held[i] = new FrameBurst(1);
                assertEquals(i, receiveOne(b, held[i]), "frame " + i + " in slot order");
            }
            long dropped = b.stats().rxDropped();
            send(a, b, 100, 2); // the ring is full: the kernel drops these
            assertNothing(b, "the ring is full and every slot held");
            assertTrue(b.stats().rxDropped() - dropped >= 2, "frames that found the ring full count as dropped");

            FrameBurst stale = copy(held[5], 0); // to release slot 5 a second time at the end
            b.release(held[5]); // out of order: the kernel waits at slot 0
            b.release(held[3]);
            send(a, b, 200, 1);
            assertNothing(b, "slots 3 and 5 are free but the kernel's next slot 0 is held");

            b.release(held[0]);
            send(a, b, 300, 1);
            FrameBurst next = new FrameBurst(1);
            assertEquals(300, receiveOne(b, next), "the frame sent after slot 0 came back");
            b.release(next);
            send(a, b, 400, 1); // slot 1 is held: dropped, and slot 1 is not delivered a second time
            assertNothing(b, "slot 1 still held");

            for (int i : new int[] {7, 1, 2, 4, 6}) {
                b.release(held[i]);
            }
            send(a, b, 500, SLOTS);
            FrameBurst all = new FrameBurst(SLOTS);
            for (int i = 0; i < SLOTS; i++) {
                if (all.count() == 0) {
                    awaitSome(b, all);
                }
                assertEquals(500 + i, marker(all, 0), "frame " + i + " after everything was released");
                FrameBurst one = copy(all, 0);
                all.removeFirst(1);
                b.release(one);
            }
            assertThrows(IllegalArgumentException.class, () -> b.release(stale), "a slot released already");
        }
    }

    @Test
    void specOptionChoosesTheRing() throws Exception {
        try (PacketPort v2 = PortOpeners.open(PortSpec.parse("afpacket:" + A + ",ring=v2"));
             PacketPort v3 = PortOpeners.open(PortSpec.parse("afpacket:" + B + ", ring=V3"));
             PacketPort plain = PortOpeners.open(PortSpec.parse("afpacket:" + B))) {
            assertEquals(AfPacketPort.RingVersion.V2, ((AfPacketPort) v2).ringVersion());
            assertEquals(AfPacketPort.RingVersion.V3, ((AfPacketPort) v3).ringVersion());
            assertEquals(AfPacketPort.RingVersion.V3, ((AfPacketPort) plain).ringVersion());
        }
        // A latency test's hints pick V2 unless the spec names a ring.
        PortHints latency = new PortHints(null, null, null, -1, -1, false, true);
        try (PacketPort v2 = PortOpeners.open(PortSpec.parse("afpacket:" + A), latency);
             PacketPort v3 = PortOpeners.open(PortSpec.parse("afpacket:" + B + ", ring=v3"), latency)) {
            assertEquals(AfPacketPort.RingVersion.V2, ((AfPacketPort) v2).ringVersion());
            assertEquals(AfPacketPort.RingVersion.V3, ((AfPacketPort) v3).ringVersion());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PortOpeners.open(PortSpec.parse("afpacket:" + A + ",ring=v4")));
        assertTrue(e.getMessage().contains("ring=v2|v3"), e.getMessage());
        // a command line checks the spec before it opens anything
        PortOpeners.check(PortSpec.parse("afpacket:" + A + ",ring=v2"));
        assertThrows(IllegalArgumentException.class, () -> PortOpeners.check(PortSpec.parse("afpacket:x,ring=2")));
    }

    /** Sends {@code n} frames A to B, marked {@code first}, {@code first + 1}, ... */
    private static void send(AfPacketPort a, AfPacketPort b, int first, int n) {
        FrameBurst tx = new FrameBurst(n);
        assertEquals(n, a.allocate(tx, n));
        MemorySegment m = tx.memory();
        for (int i = 0; i < n; i++) {
            long o = tx.offset(i);
            m.asSlice(o, 64).fill((byte) 0);
            MemorySegment.copy(b.capabilities().mac().toBytes(), 0, m, JAVA_BYTE, o, 6);
            MemorySegment.copy(a.capabilities().mac().toBytes(), 0, m, JAVA_BYTE, o + 6, 6);
            m.set(JAVA_BYTE, o + 12, (byte) (ETHERTYPE >> 8));
            m.set(JAVA_BYTE, o + 13, (byte) ETHERTYPE);
            m.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), o + 14, first + i);
            tx.length(i, 64);
        }
        assertEquals(n, a.transmit(tx, n));
    }

    /** A burst of one entry: frame {@code i} of {@code burst}. */
    private static FrameBurst copy(FrameBurst burst, int i) {
        FrameBurst one = new FrameBurst(1);
        one.memory(burst.memory());
        one.set(0, burst.offset(i), burst.length(i), burst.capacity(i), 0, burst.handle(i));
        one.count(1);
        return one;
    }

    private static int marker(FrameBurst burst, int i) {
        MemorySegment m = burst.memory();
        long o = burst.offset(i);
        int type = (Byte.toUnsignedInt(m.get(JAVA_BYTE, o + 12)) << 8) | Byte.toUnsignedInt(m.get(JAVA_BYTE, o + 13));
        assertEquals(ETHERTYPE, type, "only the test's frames on this veth");
        return m.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), o + 14);
    }

    private static int receiveOne(AfPacketPort b, FrameBurst burst) {
        awaitSome(b, burst);
        return marker(burst, 0);
    }

    private static void awaitSome(AfPacketPort b, FrameBurst burst) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.receive(burst) == 0) {
            assertTrue(System.nanoTime() - end < 0, "no frame within 5 s");
            b.awaitReceive(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static void assertNothing(AfPacketPort b, String why) {
        FrameBurst burst = new FrameBurst(SLOTS);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (System.nanoTime() - end < 0) {
            int n = b.receive(burst);
            if (n > 0) {
                int m = marker(burst, 0);
                b.release(burst);
                throw new AssertionError(why + ", yet frame " + m + " was received");
            }
            Thread.onSpinWait();
        }
    }

    private static void drain(AfPacketPort b) {
        FrameBurst burst = new FrameBurst(SLOTS);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        while (System.nanoTime() - end < 0) {
            if (b.receive(burst) > 0) {
                b.release(burst);
            }
        }
    }
}
