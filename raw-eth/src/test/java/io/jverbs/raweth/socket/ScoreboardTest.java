package io.jverbs.raweth.socket;

import io.jverbs.raweth.port.AllocatedBytes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Scoreboard} against RFC 6675's definitions, with SMSS 100 and sequence numbers near the 2^32 wrap. */
class ScoreboardTest {
    static final int SMSS = 100;
    static final int UNA = 0xffff_ff00; // segments of 100: UNA, UNA + 100, ... wrap past 0 at the third
    final Scoreboard sb = new Scoreboard(8);

    ScoreboardTest() {
        sb.reset(UNA);
    }

    /** Segment {@code i} (0-based) of the flight. */
    static int seg(int i) {
        return UNA + i * SMSS;
    }

    @Test
    void blocksMergeAndCumulativeAcksTrimThem() {
        int high = seg(10);
        assertTrue(sb.sack(seg(2), seg(3), high));
        assertTrue(sb.sack(seg(4), seg(5), high));
        assertTrue(sb.sack(seg(3), seg(4), high)); // joins both
        assertEquals(1, sb.blocks());
        assertEquals(seg(2), sb.left(0));
        assertEquals(seg(5), sb.right(0));
        assertEquals(3 * SMSS, sb.sackedBytes());
        assertTrue(sb.isSacked(seg(2)) && sb.isSacked(seg(5) - 1) && !sb.isSacked(seg(5)) && !sb.isSacked(seg(1)));
        assertFalse(sb.sack(seg(0), seg(0), high), "empty");
        assertFalse(sb.sack(seg(9), seg(11), high), "beyond what was sent");
        sb.ack(seg(3)); // inside the block: the front is cut
        assertEquals(seg(3), sb.highAck());
        assertEquals(seg(3), sb.left(0));
        assertFalse(sb.sack(seg(1), seg(3), high), "D-SACK or stale: at or below HighACK");
        sb.ack(seg(6));
        assertEquals(0, sb.blocks());
    }

    @Test
    void isLostNeedsThreeBlocksOrMoreThanTwoSegmentsAbove() {
        int high = seg(10);
        sb.sack(seg(1), seg(2), high);
        sb.sack(seg(3), seg(4), high);
        assertFalse(sb.isLost(seg(0), SMSS), "2 blocks, 200 bytes above");
        sb.sack(seg(5), seg(6), high);
        assertTrue(sb.isLost(seg(0), SMSS), "3 discontiguous blocks above");
        assertFalse(sb.isLost(seg(2), SMSS), "2 blocks above segment 2");
        assertEquals(seg(1), sb.lostBelow(SMSS));
        Scoreboard one = new Scoreboard(8);
        one.reset(UNA);
        one.sack(seg(1), seg(3), high);
        assertFalse(one.isLost(seg(0), SMSS), "exactly (DupThresh - 1) x SMSS: not more");
        one.sack(seg(3), seg(3) + 1, high);
        assertTrue(one.isLost(seg(0), SMSS), "201 contiguous bytes above");
    }

    @Test
    void nextSegFollowsRules1To3AndRescue() {
        int high = seg(10);
        sb.startRecovery();
        sb.sack(seg(1), seg(2), high);
        sb.sack(seg(3), seg(4), high);
        sb.sack(seg(5), seg(6), high);
        // (1): the first lost hole
        assertEquals(seg(0) & 0xffffffffL, sb.nextSeg(high, SMSS, true));
        assertEquals(seg(1), sb.segmentEnd(seg(0), high, SMSS));
        sb.retransmitted(seg(0), seg(1));
        assertEquals(seg(1), sb.highRxt());
        // segment 2 has only two blocks above: not lost, so (2) new data comes first
        assertEquals(high & 0xffffffffL, sb.nextSeg(high, SMSS, true));
        // (3) without new data: the first unSACKed octet below the highest SACK
        assertEquals(seg(2) & 0xffffffffL, sb.nextSeg(high, SMSS, false));
        sb.retransmitted(seg(2), seg(3));
        sb.retransmitted(seg(4), seg(5));
        assertEquals(Scoreboard.NONE, sb.nextSeg(high, SMSS, false), "nothing below the highest SACK left");
        // (4) rescue: one segment ending at the highest unSACKed octet, once per recovery
        assertEquals(seg(9) & 0xffffffffL, sb.rescueSeg(high, SMSS));
        sb.rescued(high);
        assertEquals(Scoreboard.NONE, sb.rescueSeg(high, SMSS));
        sb.ack(high);
        assertEquals(Scoreboard.NONE, sb.rescueSeg(high, SMSS), "nothing outstanding");
    }

    @Test
    void pipeCountsUnlostAndRetransmittedOctets() {
        int high = seg(10);
        sb.startRecovery();
        assertEquals(10 * SMSS, sb.pipe(high, SMSS), "nothing SACKed: all in flight");
        sb.sack(seg(1), seg(2), high);
        sb.sack(seg(3), seg(4), high);
        sb.sack(seg(5), seg(6), high);
        // lost: segment 0; not lost and not SACKed: 2, 4, 6..9
        assertEquals(6 * SMSS, sb.pipe(high, SMSS));
        sb.retransmitted(seg(0), seg(1));
        assertEquals(7 * SMSS, sb.pipe(high, SMSS), "the retransmission is in flight");
        sb.retransmitted(seg(2), seg(3));
        assertEquals(8 * SMSS, sb.pipe(high, SMSS), "segment 2 counts twice: not lost, and sent again");
    }

    @Test
    void boundedAndClearedAfterAnRto() {
        int high = seg(100);
        for (int i = 0; i < 20; i++) {
            sb.sack(seg(2 * i + 1), seg(2 * i + 2), high);
        }
        assertEquals(8, sb.blocks(), "at most the capacity");
        assertEquals(seg(15), sb.left(7), "the lowest blocks are kept");
        assertEquals(12, sb.dropped());
        sb.clear();
        assertEquals(0, sb.blocks());
        assertEquals(sb.highAck(), sb.highRxt());
    }

    @Test
    void updatesAllocateNothing() {
        int high = seg(1000);
        AllocatedBytes.assertWarmWindowAllocatesNothing("scoreboard, 10,000 rounds of ack, 2 sacks, pipe, nextSeg", () -> {
            for (int i = 0; i < 10_000; i++) {
                int base = UNA + (i % 500) * SMSS;
                sb.ack(base);
                sb.sack(base + 2 * SMSS, base + 3 * SMSS, high);
                sb.sack(base + 4 * SMSS, base + 5 * SMSS, high);
                sb.pipe(high, SMSS);
                sb.nextSeg(high, SMSS, false);
                if (i % 500 == 499) sb.reset(UNA);
            }
        });
    }
}
