package io.jverbs.soft.transport;

import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two RC QPs over a lossy, duplicating, reordering in-memory link: every kind of request
 * completes, in order, with the data where it belongs; and the error cases end the way verbs says.
 */
class RcTransferTest {
    static final int SENDS = 24;
    static final int WRITES = 12;
    static final int READS = 12;
    static final int ADDS = 16;

    @ParameterizedTest(name = "loss {0}, duplication {1}, reordering {2}, seed {3}")
    @CsvSource({
        "0,    0,    0,    1",
        "0.01, 0.01, 0.01, 2",
        "0.05, 0.02, 0.05, 3",
        "0.10, 0.05, 0.10, 4",
        "0.20, 0.05, 0.20, 5",
        "0.30, 0.10, 0.30, 6",
    })
    void sendWriteReadAndAtomicsCompleteInOrderWithTheirData(double loss, double dup, double reorder, long seed) {
        Pair p = transfer(loss, dup, reorder, seed);
        if (loss > 0) {
            assertTrue(p.a.retransmissions() > 0, "losses were recovered by retransmission");
        }
    }

    @Test
    void manySeedsAndLossRates() {
        for (long seed = 100; seed < 140; seed++) {
            double loss = (seed % 7) * 0.05;
            transfer(loss, loss / 3, loss, seed);
        }
    }

    private static Pair transfer(double loss, double dup, double reorder, long seed) {
        Pair p = new Pair(QpType.RC, seed, loss, dup, reorder, a -> {
            a.timeout = 8;   // 1 ms: keeps virtual time short at 30% loss
            a.retryCnt = 7;  // forever, as rxe
            a.rnrRetry = 7;
            a.minRnrTimer = 1;
        });
        // Layout (offsets in both 1 MiB regions): SEND sources/receive buffers at 0 (24 x 20 KiB),
        // WRITE sources/targets at 512 KiB (12 x 20 KiB), READ sources (B) / targets (A) at 768 KiB
        // (12 x 20 KiB), the FETCH_ADD counter at B 1 MiB - 8, its results at A 1 MiB - 8 - 8 * i.
        int slot = 20 * 1024;
        List<Long> expectedOrder = new ArrayList<>();
        long id = 0;
        int[] sendLength = new int[SENDS];
        for (int i = 0; i < SENDS; i++) {
            TestQps.recv(p.b, 1000 + i, Pair.IOVA_B + (long) i * slot, slot, p.keyB);
        }
        p.memB.set(ValueLayout.JAVA_LONG_UNALIGNED, Pair.REGION - 8, 100);
        int sent = 0, written = 0, read = 0, added = 0;
        while (sent < SENDS || written < WRITES || read < READS || added < ADDS) {
            long now = p.clock.nanos();
            int kind = (int) (id % 4);
            if (kind == 0 && sent < SENDS) {
                int len = sizes(sent);
                sendLength[sent] = len;
                SendWqe w = TestQps.post(p.a, now, id, sent % 2 == 0 ? WrOpcode.SEND : WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED,
                        Pair.IOVA_A + (long) sent * slot, len, p.keyA);
                w.imm = sent;
                sent++;
            } else if (kind == 1 && written < WRITES) {
                postRdma(p, now, id, WrOpcode.RDMA_WRITE, 512 * 1024 + (long) written * slot, sizes(written + 5));
                written++;
            } else if (kind == 2 && read < READS) {
                postRdma(p, now, id, WrOpcode.RDMA_READ, 768 * 1024 + (long) read * slot, sizes(read + 9));
                read++;
            } else if (kind == 3 && added < ADDS) {
                SendWqe w = TestQps.post(p.a, now, id, WrOpcode.ATOMIC_FETCH_AND_ADD, SendFlags.SIGNALED,
                        Pair.IOVA_A + Pair.REGION - 8 - 8L * (added + 1), 8, p.keyA);
                w.remoteAddress = Pair.IOVA_B + Pair.REGION - 8;
                w.rkey = p.keyB;
                w.compareAdd = 1;
                added++;
            } else {
                id++;
                continue;
            }
            TestQps.commit(p.a, now);
            expectedOrder.add(id);
            id++;
        }
        int total = expectedOrder.size();
        long took = p.runUntil(() -> p.scqA.count() == total && p.rcqB.count() == SENDS, 60_000_000_000L);
        System.out.printf("RC seed %d loss %.2f dup %.2f reorder %.2f: %d requests in %.1f ms virtual; %s%n", seed, loss, dup, reorder,
                total, took / 1e6, p.counts());

        List<Completions.Wc> wc = p.scqA.take();
        for (int i = 0; i < total; i++) {
            assertEquals(WcStatus.SUCCESS, wc.get(i).status(), "request " + i);
            assertEquals(expectedOrder.get(i), wc.get(i).wrId(), "completions come in posting order");
        }
        List<Completions.Wc> recv = p.rcqB.take();
        for (int i = 0; i < SENDS; i++) {
            Completions.Wc r = recv.get(i);
            assertEquals(new Completions.Wc(0x12, 1000 + i, WcStatus.SUCCESS, WcOpcode.RECV, sendLength[i],
                    i % 2 == 0 ? 0 : i, 0, i % 2 == 0 ? 0 : CompletionSink.WC_WITH_IMM), r);
            assertSame(p.memA, (long) i * slot, p.memB, (long) i * slot, sendLength[i], "SEND " + i);
        }
        for (int i = 0; i < WRITES; i++) {
            long off = 512 * 1024 + (long) i * slot;
            assertSame(p.memA, off, p.memB, off, sizes(i + 5), "WRITE " + i);
        }
        for (int i = 0; i < READS; i++) {
            long off = 768 * 1024 + (long) i * slot;
            assertSame(p.memB, off, p.memA, off, sizes(i + 9), "READ " + i);
        }
        assertEquals(100 + ADDS, p.memB.get(ValueLayout.JAVA_LONG_UNALIGNED, Pair.REGION - 8), "each FETCH_ADD ran once");
        for (int i = 0; i < ADDS; i++) {
            assertEquals(100 + i, p.memA.get(ValueLayout.JAVA_LONG_UNALIGNED, Pair.REGION - 8 - 8L * (i + 1)),
                    "FETCH_ADD " + i + " returned the value before it");
        }
        assertEquals(QpState.RTS, p.a.state());
        assertEquals(QpState.RTS, p.b.state());
        return p;
    }

    /** Posts a WRITE or READ of {@code length} bytes between the same offset of A's region and B's. */
    private static void postRdma(Pair p, long now, long id, WrOpcode op, long offset, int length) {
        SendWqe w = TestQps.post(p.a, now, id, op, SendFlags.SIGNALED, Pair.IOVA_A + offset, length, p.keyA);
        w.remoteAddress = Pair.IOVA_B + offset;
        w.rkey = p.keyB;
    }

    /** Sizes from 0 to 20 KiB: empty, one byte, pads 1..3, exactly one MTU, many packets. */
    static int sizes(int i) {
        int[] s = {0, 1, 2, 3, 1023, 1024, 1025, 4096, 8191, 20 * 1024, 13_333, 7};
        return s[i % s.length];
    }

    static void assertSame(MemorySegment a, long aOff, MemorySegment b, long bOff, int len, String what) {
        long mismatch = a.asSlice(aOff, len).mismatch(b.asSlice(bOff, len));
        assertEquals(-1, mismatch, what + ": the bytes differ at " + mismatch);
    }

    @Test
    void rnrRetryExhaustedIsRnrRetryExcErr() {
        Pair p = new Pair(QpType.RC, 11, 0, 0, 0, a -> {
            a.rnrRetry = 3;
            a.minRnrTimer = 1; // 10 us
        });
        TestQps.post(p.a, p.clock.nanos(), 1, WrOpcode.SEND, SendFlags.SIGNALED, Pair.IOVA_A, 100, p.keyA);
        TestQps.commit(p.a, p.clock.nanos());
        TestQps.post(p.a, p.clock.nanos(), 2, WrOpcode.SEND, SendFlags.SIGNALED, Pair.IOVA_A, 100, p.keyA);
        TestQps.commit(p.a, p.clock.nanos());
        p.runUntil(() -> p.scqA.count() == 2, 1_000_000_000L);
        List<Completions.Wc> wc = p.scqA.take();
        assertEquals(WcStatus.RNR_RETRY_EXC_ERR, wc.get(0).status());
        assertEquals(WcStatus.WR_FLUSH_ERR, wc.get(1).status());
        assertEquals(QpState.ERR, p.a.state());
        assertEquals(QpState.RTS, p.b.state(), "an RNR NAK does not hurt the responder");
        assertEquals(3, p.a.retransmissions() / 2, "the first send and 3 retries, each with the request behind it");
        assertEquals(0, p.rcqB.count());
    }

    @Test
    void aDeadPeerEndsInRetryExcErrWithinRetryCountTimeouts() {
        Pair p = new Pair(QpType.RC, 12, 0, 0, 0, a -> {
            a.timeout = 10;   // 4.19 ms
            a.retryCnt = 3;
        });
        p.link.dead = true;
        TestQps.post(p.a, p.clock.nanos(), 1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, Pair.IOVA_A, 5000, p.keyA).rkey = p.keyB;
        TestQps.commit(p.a, p.clock.nanos());
        long took = p.runUntil(() -> p.scqA.count() == 1, 1_000_000_000L);
        assertEquals(WcStatus.RETRY_EXC_ERR, p.scqA.take().getFirst().status());
        long timeout = 4096L << 10;
        assertTrue(took >= 4 * timeout && took <= 4 * timeout + 200_000, "4 timeouts (first try + 3 retries), took " + took);
        assertEquals(4 * 5, p.link.sent, "5 packets, sent 4 times");
        assertEquals(QpState.ERR, p.a.state());
    }

    @Test
    void anRkeyViolationIsRemAccessErrOnTheRequesterAndPutsTheResponderInErr() {
        Pair p = new Pair(QpType.RC, 13, 0, 0, 0, null);
        TestQps.recv(p.b, 5, Pair.IOVA_B, 64, p.keyB);
        SendWqe w = TestQps.post(p.a, p.clock.nanos(), 1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, Pair.IOVA_A, 3000, p.keyA);
        w.remoteAddress = Pair.IOVA_B + Pair.REGION - 1000; // runs past the region's end
        w.rkey = p.keyB;
        TestQps.commit(p.a, p.clock.nanos());
        TestQps.post(p.a, p.clock.nanos(), 2, WrOpcode.SEND, SendFlags.SIGNALED, Pair.IOVA_A, 8, p.keyA);
        TestQps.commit(p.a, p.clock.nanos());
        p.runUntil(() -> p.scqA.count() == 2, 1_000_000_000L);
        List<Completions.Wc> wc = p.scqA.take();
        assertEquals(WcStatus.REM_ACCESS_ERR, wc.get(0).status());
        assertEquals(WcStatus.WR_FLUSH_ERR, wc.get(1).status());
        assertEquals(QpState.ERR, p.a.state());
        assertEquals(QpState.ERR, p.b.state());
        assertEquals(List.of(new Completions.Wc(0x12, 5, WcStatus.WR_FLUSH_ERR, WcOpcode.RECV, 0, 0, 0, 0)), p.rcqB.take());
    }

    @Test
    void aReadWithAWrongRkeyIsRemAccessErr() {
        Pair p = new Pair(QpType.RC, 14, 0, 0, 0, null);
        SendWqe w = TestQps.post(p.a, p.clock.nanos(), 1, WrOpcode.RDMA_READ, SendFlags.SIGNALED, Pair.IOVA_A, 64, p.keyA);
        w.remoteAddress = Pair.IOVA_B;
        w.rkey = p.keyB ^ 0x100;
        TestQps.commit(p.a, p.clock.nanos());
        p.runUntil(() -> p.scqA.count() == 1, 1_000_000_000L);
        assertEquals(WcStatus.REM_ACCESS_ERR, p.scqA.take().getFirst().status());
        assertEquals(QpState.ERR, p.b.state());
    }
}
