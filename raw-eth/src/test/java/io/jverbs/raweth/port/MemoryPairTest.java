package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.Checksum;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.TcpPacket;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the conformance suite cannot see: virtual-time latency and the simulated offloads. */
class MemoryPairTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Test
    void latencyIsOnTheInjectedClock() {
        ManualClock clock = new ManualClock(-5); // readings may be negative: only differences count
        try (MemoryPair pair = MemoryPair.builder().clock(clock).latency(10_000).build()) {
            byte[] f = TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 40);
            TestFrames.send(pair.a(), f);
            clock.advance(9_999);
            assertEquals(List.of(), TestFrames.receiveAll(pair.b()));
            clock.advance(1);
            assertArrayEquals(f, TestFrames.receiveAll(pair.b()).getFirst());
        }
    }

    @Test
    void deviceFillsChecksumsAndChecksThem() {
        try (MemoryPair pair = MemoryPair.builder().txIpChecksum(true).txL4Checksum(true).rxChecksumFlags(true)
                .build()) {
            byte[] good = TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 5, 6, 1, 2, TcpPacket.ACK, 30);
            // Software leaves the IP checksum 0 and the pseudo-header sum in the TCP field.
            byte[] offloaded = good.clone();
            MemorySegment s = MemorySegment.ofArray(offloaded);
            s.set(U16, 14 + 10, (short) 0);
            int tcpLength = offloaded.length - 34;
            s.set(U16, 34 + 16, (short) Checksum.pseudoHeader(IP_A, IP_B, IpProtocol.TCP, tcpLength));
            FrameBurst tx = new FrameBurst(2);
            pair.a().allocate(tx, 2);
            for (int i = 0; i < 2; i++) {
                MemorySegment.copy(offloaded, 0, tx.memory(), ValueLayout.JAVA_BYTE, tx.offset(i), offloaded.length);
                tx.length(i, offloaded.length);
            }
            tx.flags(0, FrameBurst.TX_IP_CHECKSUM | FrameBurst.TX_L4_CHECKSUM);
            tx.flags(1, 0); // not asked: goes out with bad checksums, and b's device drops it
            assertEquals(2, pair.a().transmit(tx, 2));
            FrameBurst rx = new FrameBurst(4);
            assertEquals(1, pair.b().receive(rx));
            assertEquals(FrameBurst.RX_IP_CHECKSUM_GOOD | FrameBurst.RX_L4_CHECKSUM_GOOD, rx.flags(0));
            byte[] got = rx.memory().asSlice(rx.offset(0), rx.length(0)).toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(good, got, "the device's checksums equal software's");
            assertThrows(IllegalArgumentException.class, () -> pair.b().transmit(rx, 1),
                    "a received frame is not a transmit buffer");
            pair.b().release(rx);
            assertEquals(1, pair.b().stats().rxErrors());
            assertEquals(1, pair.b().stats().rxFrames());
        }
    }

    @Test
    void aBurstStillHoldingFramesIsRefused() {
        try (MemoryPair pair = MemoryPair.create()) {
            FrameBurst tx = new FrameBurst(4);
            assertEquals(2, pair.a().allocate(tx, 2));
            assertThrows(IllegalStateException.class, () -> pair.a().allocate(tx, 2), "frames would leak");
            assertThrows(IllegalStateException.class, () -> pair.a().receive(tx));
            assertThrows(IllegalArgumentException.class, () -> pair.b().release(tx), "b's release of a's buffers");
            pair.a().release(tx);
        }
    }
}
