package io.jverbs.raweth.port;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-window assertion passes a loop that allocates nothing and fails one that allocates, naming it. */
class AllocatedBytesTest {
    static Object sink;

    @Test
    void aLoopThatAllocatesNothingPassesAtTheFirstQuietWindow() {
        long[] acc = new long[1];
        Runnable window = () -> {
            for (int i = 0; i < 100_000; i++) acc[0] += i ^ acc[0];
        };
        for (int i = 0; i < 20; i++) window.run(); // warm
        long[] runs = AllocatedBytes.assertWarmWindowAllocatesNothing("100,000 xors", window);
        assertEquals(0, runs[runs.length - 1]);
    }

    @Test
    void aLoopThatAllocatesFailsWithWhatAndTheBytes() {
        AssertionError e = assertThrows(AssertionError.class, () -> AllocatedBytes.assertWarmWindowAllocatesNothing(
                "1,000 arrays of 64 bytes", () -> {
                    for (int i = 0; i < 1_000; i++) sink = new byte[64];
                }, 200_000_000L));
        String m = e.getMessage();
        assertTrue(m.startsWith("1,000 arrays of 64 bytes: every warm window allocated ("), m);
        // 1,000 arrays of at least 64 bytes each, in every window
        long least = Long.parseLong(m.substring(m.lastIndexOf("least ") + 6));
        assertTrue(least >= 64_000, m);
    }
}
