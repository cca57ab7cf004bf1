package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpType;

import java.lang.foreign.MemorySegment;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Two soft QPs, A (0x11) and B (0x12), each with its own memory keys (two devices), connected over
 * a {@link Link} on a virtual clock. Each side has one 1 MiB region registered with every access.
 */
final class Pair {
    static final long IOVA_A = 0x1000_0000L;
    static final long IOVA_B = 0x2000_0000L;
    static final int REGION = 1 << 20;

    final ManualClock clock = new ManualClock(5_000);
    final Link link;
    final MemoryKeys keysA = new MemoryKeys(4);
    final MemoryKeys keysB = new MemoryKeys(4);
    final MemorySegment memA = TestQps.region(REGION, 1);
    final MemorySegment memB = TestQps.region(REGION, 2);
    final int keyA = keysA.register(memA, IOVA_A, Access.ALL_REMOTE, TestQps.PD);
    final int keyB = keysB.register(memB, IOVA_B, Access.ALL_REMOTE, TestQps.PD);
    final Completions scqA = new Completions(1 << 16);
    final Completions rcqA = new Completions(1 << 16);
    final Completions scqB = new Completions(1 << 16);
    final Completions rcqB = new Completions(1 << 16);
    final SoftQp a;
    final SoftQp b;

    Pair(QpType type, long seed, double loss, double duplicate, double reorder, Consumer<QpAttributes> tweak) {
        link = new Link(clock, seed, loss, duplicate, reorder, 10_000);
        int psnA = (int) (seed * 7919) & 0xFFFFFF;  // random-looking starts, one near the 24-bit wrap
        int psnB = 0xFFFFF0;
        a = TestQps.connect(type, 0x11, 0x12, psnA, psnB, keysA, link, scqA, rcqA, tweak);
        b = TestQps.connect(type, 0x12, 0x11, psnB, psnA, keysB, link, scqB, rcqB, tweak);
        link.attach(a);
        link.attach(b);
    }

    /**
     * Runs the simulation until {@code done} or {@code maxNanos} of virtual time.
     *
     * @return the virtual time it took
     */
    long runUntil(BooleanSupplier done, long maxNanos) {
        long start = clock.nanos();
        while (!done.getAsBoolean()) {
            if (clock.nanos() - start > maxNanos) {
                throw new AssertionError("not done after " + maxNanos / 1_000_000 + " ms of virtual time: A "
                        + a.state() + " sent " + link.sent + ", completions A " + scqA.count() + "/" + rcqA.count()
                        + " B " + scqB.count() + "/" + rcqB.count());
            }
            link.step(100_000);
        }
        return clock.nanos() - start;
    }

    String counts() {
        return String.format("sent %d lost %d dup %d reordered %d; A retransmitted %d, B retransmitted %d, dup requests at B %d",
                link.sent, link.lost, link.duplicated, link.reordered, a.retransmissions(), b.retransmissions(), b.duplicates());
    }
}
