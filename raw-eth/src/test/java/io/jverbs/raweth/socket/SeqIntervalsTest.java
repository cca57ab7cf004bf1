package io.jverbs.raweth.socket;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The running count of covered octets against a sum over the intervals, through every kind of change. */
class SeqIntervalsTest {
    private static int sum(SeqIntervals s) {
        int sum = 0;
        for (int i = 0; i < s.size(); i++) {
            sum += s.right(i) - s.left(i);
        }
        return sum;
    }

    @Test
    void mergesCutsAndDropsKeepTheCount() {
        SeqIntervals s = new SeqIntervals(4);
        int base = -100; // across the 2^32 wrap
        assertTrue(s.add(base + 10, base + 20, 1));
        assertTrue(s.add(base + 30, base + 40, 2));
        assertEquals(20, s.covered());
        assertTrue(s.add(base + 15, base + 35, 3), "bridges both");
        assertEquals(1, s.size());
        assertEquals(30, s.covered());
        s.dropBelow(base + 25);
        assertEquals(15, s.covered(), "the straddling interval is cut");
        assertTrue(s.add(base + 50, base + 60, 4));
        s.removeLast();
        assertEquals(15, s.covered());
        assertEquals(base + 40, s.advance(base + 25));
        assertEquals(0, s.covered());
    }

    @Test
    void randomChangesKeepTheCountEqualToTheSum() {
        SplittableRandom r = new SplittableRandom(7);
        SeqIntervals s = new SeqIntervals(8);
        int low = Integer.MAX_VALUE - 50_000; // sequence numbers wrap past 2^31 during the run
        long changes = 0;
        for (int step = 0; step < 200_000; step++) {
            int op = r.nextInt(100);
            if (op < 70) {
                int seq = low + r.nextInt(20_000);
                s.add(seq, seq + 1 + r.nextInt(3_000), step);
            } else if (op < 80) {
                low += r.nextInt(2_000);
                s.dropBelow(low);
            } else if (op < 88) {
                low = s.advance(low + r.nextInt(500));
            } else if (op < 98) {
                if (s.size() > 0) s.removeLast();
            } else {
                s.clear();
            }
            changes++;
            assertEquals(sum(s), s.covered(), () -> "after change " + s.size() + " intervals");
        }
        assertEquals(200_000, changes);
    }
}
