package io.jverbs.soft.wire;

import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.wire.EthernetFrame;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Parse with ICRC verification, layout with finish, and the datagram ICRC allocate nothing once warm, over native memory. */
class AllocationTest {
    private final RocePacket rx = new RocePacket();
    private final RocePacket tx = new RocePacket();
    private final Icrc icrc = new Icrc();
    private final long[] drops = new long[RoceStatus.values().length];

    /** Receives one frame and sends its copy; returns a value so the JIT cannot drop the reads. */
    private long roundTrip(MemorySegment ring, long off, int len, MemorySegment out) {
        RoceStatus s = rx.wrapFrame(ring, off, len);
        drops[s.ordinal()]++;
        if (s != RoceStatus.OK) {
            return 0;
        }
        Opcode op = rx.opcode();
        long acc = rx.bth().psn() + rx.bth().destinationQp() + rx.payloadLength() + rx.icrc();
        if (op.hasReth()) {
            acc += rx.reth().virtualAddress() + rx.reth().dmaLength();
        }
        if (op.hasAeth()) {
            acc += rx.aeth().msn() + rx.aeth().credits();
        }
        if (op.hasDeth()) {
            acc += rx.deth().qkey();
        }
        tx.layoutIpv4(out, EthernetFrame.HEADER_LENGTH, op, rx.payloadLength());
        Layouts.copyFields(rx, tx);
        MemorySegment.copy(ring, rx.payloadOffset(), out, tx.payloadOffset(), rx.payloadLength());
        tx.finishIpv4();
        acc += icrc.computeDatagram(tx.ipv4().source(), tx.ipv4().destination(), tx.udp().sourcePort(), out,
                tx.transportOffset(), tx.transportLength());
        return acc;
    }

    @Test
    void parseVerifyLayoutAndFinishAllocateNothing() {
        List<byte[]> frames = RxeCapture.frames();
        try (Arena arena = Arena.ofConfined()) {
            long total = frames.stream().mapToLong(f -> f.length).sum();
            MemorySegment ring = arena.allocate(total);
            MemorySegment out = arena.allocate(2048);
            long[] offs = new long[frames.size()];
            int[] lens = new int[frames.size()];
            long p = 0;
            for (int i = 0; i < frames.size(); i++) {
                byte[] b = frames.get(i);
                MemorySegment.copy(b, 0, ring, ValueLayout.JAVA_BYTE, p, b.length);
                offs[i] = p;
                lens[i] = b.length;
                p += b.length;
            }
            long sink = 0;
            for (int round = 0; round < 5_000; round++) { // warm: C2 compiles the path
                for (int i = 0; i < offs.length; i++) {
                    sink += roundTrip(ring, offs[i], lens[i], out);
                }
            }
            java.util.Arrays.fill(drops, 0);
            long before = AllocatedBytes.current();
            int rounds = 2_000;
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < offs.length; i++) {
                    sink += roundTrip(ring, offs[i], lens[i], out);
                }
            }
            long after = AllocatedBytes.current();
            assertEquals(0, after - before, "bytes allocated by " + rounds * offs.length + " round trips (sink " + sink + ")");
            assertEquals((long) rounds * offs.length, drops[RoceStatus.OK.ordinal()], java.util.Arrays.toString(drops));
        }
    }
}
