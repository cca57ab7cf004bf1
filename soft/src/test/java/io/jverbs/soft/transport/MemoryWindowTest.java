package io.jverbs.soft.transport;

import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory windows on the soft transport, as rxe runs them: BIND_MW and LOCAL_INV executed by the
 * requester in send-queue order, the responder resolving an rkey that names a window, and the
 * errors. A (0x11) is the peer that uses the windows B (0x12) grants over its region; the windows
 * live in B's keys.
 */
class MemoryWindowTest {
    private static final long MS = 1_000_000;
    private static final int RW = Access.REMOTE_WRITE | Access.LOCAL_WRITE;

    /** A pair whose B side has a second region registered for windows (MW_BIND), at {@link #WIN_IOVA}. */
    private static final long WIN_IOVA = 0x3000_0000L;
    private static final int WIN_REGION = 64 << 10;

    private final Pair p = new Pair(QpType.RC, 3, 0, 0, 0, null);
    private final MemorySegment winMem = TestQps.region(WIN_REGION, 9);
    private final int winMr = p.keysB.register(winMem, WIN_IOVA, Access.LOCAL_WRITE | Access.REMOTE_READ | Access.MW_BIND, TestQps.PD);

    private static int next(int key) {
        return (key & ~0xFF) | ((key + 1) & 0xFF);
    }

    /** Posts BIND_MW of {@code w} (named by its current key) under {@code newKey} on {@code qp}. */
    private static int bind(SoftQp qp, long now, long wrId, int flags, MemoryKeys.Window w, int mwKey, int newKey, int mrKey,
                            long va, long length, int access) {
        SendWqe s = qp.nextSend();
        s.wrId = wrId;
        s.opcode = WrOpcode.BIND_MW.code();
        s.flags = flags;
        s.mwKey = mwKey;
        s.rkey = newKey;
        s.mrKey = mrKey;
        s.remoteAddress = va;
        s.bindLength = length;
        s.bindAccess = access;
        return qp.postSend(now);
    }

    private static int invalidate(SoftQp qp, long now, long wrId, int flags, int rkey) {
        SendWqe s = qp.nextSend();
        s.wrId = wrId;
        s.opcode = WrOpcode.LOCAL_INV.code();
        s.flags = flags;
        s.rkey = rkey;
        return qp.postSend(now);
    }

    /** A writes 8 bytes from its region to {@code va} through {@code rkey}; returns its completion. */
    private Completions.Wc writeFromA(long wrId, long va, int rkey) {
        long now = p.clock.nanos();
        SendWqe w = TestQps.post(p.a, now, wrId, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, Pair.IOVA_A, 8, p.keyA);
        w.remoteAddress = va;
        w.rkey = rkey;
        TestQps.commit(p.a, now);
        int before = p.scqA.count();
        p.runUntil(() -> p.scqA.count() > before, 200 * MS);
        List<Completions.Wc> wcs = p.scqA.take();
        return wcs.get(wcs.size() - 1);
    }

    private Completions.Wc bindOnB(long wrId, MemoryKeys.Window w, int newKey, int mrKey, long va, long length, int access) {
        int before = p.scqB.count();
        assertEquals(0, bind(p.b, p.clock.nanos(), wrId, SendFlags.SIGNALED, w, w.key(), newKey, mrKey, va, length, access));
        p.runUntil(() -> p.scqB.count() > before, 200 * MS);
        List<Completions.Wc> wcs = p.scqB.take();
        assertEquals(1, wcs.size(), wcs.toString());
        return wcs.get(0);
    }

    /** A window of {@code type} bound on B (wr_id 1) over {@code length} bytes at {@code va} of the window region, RW. */
    private MemoryKeys.Window bound(int type, long va, long length) {
        MemoryKeys.Window w = p.keysB.allocateWindow(type, TestQps.PD);
        Completions.Wc c = bindOnB(1, w, next(w.key()), winMr, va, length, RW);
        assertEquals(WcStatus.SUCCESS, c.status(), c.toString());
        return w;
    }

    @Test
    void typeTwoBindGrantsInvalidateRevokes() {
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD);
        assertNull(p.keysB.resolve(w.key(), TestQps.PD, 0x12, WIN_IOVA, 8, Access.REMOTE_WRITE), "a free type 2 window grants nothing");
        int k1 = next(w.key());
        Completions.Wc c = bindOnB(1, w, k1, winMr, WIN_IOVA + 4096, 256, RW);
        assertEquals(WcStatus.SUCCESS, c.status());
        assertEquals(WcOpcode.BIND_MW, c.opcode());
        assertEquals(1, c.wrId());
        assertEquals(k1, w.key());
        assertNotEquals(winMr, k1, "a window key is not a region key");

        Completions.Wc wr = writeFromA(2, WIN_IOVA + 4096 + 248, k1); // the window's last 8 bytes
        assertEquals(WcStatus.SUCCESS, wr.status(), wr.toString());
        assertEquals(p.memA.get(ValueLayout.JAVA_LONG, 0), winMem.get(ValueLayout.JAVA_LONG_UNALIGNED, 4096 + 248));

        int before = p.scqB.count();
        assertEquals(0, invalidate(p.b, p.clock.nanos(), 3, SendFlags.SIGNALED, k1));
        p.runUntil(() -> p.scqB.count() > before, 200 * MS);
        Completions.Wc inv = p.scqB.take().get(0);
        assertEquals(WcStatus.SUCCESS, inv.status());
        assertEquals(WcOpcode.LOCAL_INV, inv.opcode());
        assertFalse(w.bound());

        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(4, WIN_IOVA + 4096, k1).status(), "an invalidated key is revoked");
        assertEquals(QpState.ERR, p.b.state(), "the responder NAKed it and went to ERR (class C)");
    }

    @Test
    void rebindingTypeOneRevokesTheOldKey() {
        MemoryKeys.Window w = bound(1, WIN_IOVA, 512);
        int k1 = w.key();
        assertEquals(WcStatus.SUCCESS, writeFromA(2, WIN_IOVA + 8, k1).status());
        int k2 = next(k1);
        assertEquals(WcStatus.SUCCESS, bindOnB(3, w, k2, winMr, WIN_IOVA + 8192, 512, RW).status());
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(4, WIN_IOVA + 8, k1).status());
    }

    @Test
    void accessOutsideTheWindowIsRefusedInsideTheRegion() {
        MemoryKeys.Window w = bound(1, WIN_IOVA + 4096, 256);
        int k = w.key();
        // Byte 256 of the window is still inside the region: the window's bounds decide.
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, WIN_IOVA + 4096 + 252, k).status());
        assertEquals(0, p.keysB.check(winMr, TestQps.PD, WIN_IOVA + 4096 + 252, 8, 0), "the region itself covers it");
    }

    @Test
    void windowAccessFlagsAndQueuePairAreChecked() {
        MemoryKeys.Window ro = p.keysB.allocateWindow(1, TestQps.PD);
        int k = next(ro.key());
        assertEquals(WcStatus.SUCCESS, bindOnB(1, ro, k, winMr, WIN_IOVA, 256, Access.REMOTE_READ).status());
        assertNotNull(p.keysB.resolve(k, TestQps.PD, 0x12, WIN_IOVA, 8, Access.REMOTE_READ));
        assertNull(p.keysB.resolve(k, TestQps.PD + 1, 0x12, WIN_IOVA, 8, Access.REMOTE_READ), "another PD");
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, WIN_IOVA, k).status(), "a read-only window takes no WRITE");
    }

    @Test
    void typeTwoWindowServesOnlyTheQueuePairItIsBoundTo() {
        // C binds the window on B's device; A's WRITE through it arrives at B, another QP of that PD.
        Completions scqC = new Completions();
        SoftQp c = TestQps.connect(QpType.RC, 0x13, 0x99, 100, 200, p.keysB, p.link, scqC, new Completions(), null);
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD);
        int k = next(w.key());
        assertEquals(0, bind(c, p.clock.nanos(), 1, SendFlags.SIGNALED, w, w.key(), k, winMr, WIN_IOVA, 256, RW));
        c.poll(p.clock.nanos());
        List<Completions.Wc> wcs = scqC.take();
        assertEquals(1, wcs.size(), "nothing outstanding before it: the bind completes at once");
        assertEquals(WcStatus.SUCCESS, wcs.get(0).status());
        assertNotNull(p.keysB.resolve(k, TestQps.PD, 0x13, WIN_IOVA, 8, Access.REMOTE_WRITE));
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, WIN_IOVA, k).status());
    }

    @Test
    void zeroBasedTypeTwoWindowIsAddressedFromZero() {
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD);
        int k = next(w.key());
        int zb = RW | Access.REMOTE_READ | Access.ZERO_BASED;
        assertEquals(WcStatus.SUCCESS, bindOnB(1, w, k, winMr, WIN_IOVA + 4096, 256, zb).status());
        assertEquals(WcStatus.SUCCESS, writeFromA(2, 248, k).status(), "offset 248 of the window");
        assertEquals(p.memA.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), winMem.get(ValueLayout.JAVA_LONG_UNALIGNED, 4096 + 248));
        // A READ through the window from offset 200: the responder sends the window's bytes from there.
        long now = p.clock.nanos();
        SendWqe r = TestQps.post(p.a, now, 3, WrOpcode.RDMA_READ, SendFlags.SIGNALED, Pair.IOVA_A + 1024, 56, p.keyA);
        r.remoteAddress = 200;
        r.rkey = k;
        TestQps.commit(p.a, now);
        p.runUntil(() -> p.scqA.pending() > 0, 200 * MS);
        assertEquals(WcStatus.SUCCESS, p.scqA.take().get(0).status());
        assertEquals(-1, MemorySegment.mismatch(p.memA, 1024, 1080, winMem, 4096 + 200, 4096 + 256));
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(4, 252, k).status(), "past the window's 256 bytes");
    }

    @Test
    void zeroBasedTypeOneWindowFailsToBind() {
        MemoryKeys.Window w = p.keysB.allocateWindow(1, TestQps.PD);
        bindFails(w, w.key(), winMr, WIN_IOVA, 64, RW | Access.ZERO_BASED);
    }

    @Test
    void deregisteringTheRegionRevokesItsWindows() {
        MemoryKeys.Window w = bound(1, WIN_IOVA, 256);
        int k = w.key();
        p.keysB.deregister(winMr);
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, WIN_IOVA, k).status());
    }

    /** A bind that fails completes with MW_BIND_ERR in its turn; the QP goes to ERR and flushes what follows (rxe). */
    private void bindFails(MemoryKeys.Window w, int mwKey, int mrKey, long va, long length, int access) {
        long now = p.clock.nanos();
        assertEquals(0, bind(p.b, now, 1, 0, w, mwKey, next(mwKey), mrKey, va, length, access), "the post itself is accepted");
        TestQps.post(p.b, now, 2, WrOpcode.SEND, SendFlags.SIGNALED, Pair.IOVA_B, 8, p.keyB);
        TestQps.commit(p.b, now);
        p.runUntil(() -> p.scqB.count() >= 2, 200 * MS);
        List<Completions.Wc> wcs = p.scqB.take();
        assertEquals(WcStatus.MW_BIND_ERR, wcs.get(0).status(), wcs.toString());
        assertEquals(WcOpcode.BIND_MW, wcs.get(0).opcode());
        assertEquals(WcStatus.WR_FLUSH_ERR, wcs.get(1).status(), wcs.toString());
        assertEquals(QpState.ERR, p.b.state());
        assertFalse(w.bound());
    }

    @Test
    void bindBeyondTheRegionFails() {
        MemoryKeys.Window w = p.keysB.allocateWindow(1, TestQps.PD);
        bindFails(w, w.key(), winMr, WIN_IOVA + WIN_REGION - 8, 16, RW);
    }

    @Test
    void bindToARegionWithoutMwBindAccessFails() {
        MemoryKeys.Window w = p.keysB.allocateWindow(1, TestQps.PD);
        bindFails(w, w.key(), p.keyB, Pair.IOVA_B, 64, RW);
    }

    @Test
    void bindOfAWindowOfAnotherProtectionDomainFails() {
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD + 1);
        bindFails(w, w.key(), winMr, WIN_IOVA, 64, RW);
    }

    @Test
    void bindNamingAStaleWindowKeyFails() {
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD);
        bindFails(w, next(w.key()), winMr, WIN_IOVA, 64, RW);
    }

    @Test
    void writableWindowOverARegionWithoutLocalWriteFails() {
        int readOnly = p.keysB.register(TestQps.region(4096, 3), 0x5000_0000L, Access.MW_BIND | Access.REMOTE_READ, TestQps.PD);
        MemoryKeys.Window w = p.keysB.allocateWindow(1, TestQps.PD);
        bindFails(w, w.key(), readOnly, 0x5000_0000L, 64, Access.REMOTE_WRITE);
    }

    @Test
    void typeTwoWindowBoundTwiceFailsTheSecondBind() {
        MemoryKeys.Window w = bound(2, WIN_IOVA, 64);
        int k = w.key();
        long now = p.clock.nanos();
        assertEquals(0, bind(p.b, now, 2, SendFlags.SIGNALED, w, k, next(k), winMr, WIN_IOVA, 64, RW));
        p.runUntil(() -> p.scqB.count() >= 2, 200 * MS);
        assertEquals(WcStatus.MW_BIND_ERR, p.scqB.take().get(0).status(), "a bound type 2 window is invalidated before it is bound again");
    }

    @Test
    void localInvalidateOfATypeOneWindowFails() {
        MemoryKeys.Window w = bound(1, WIN_IOVA, 64);
        int k = w.key();
        assertEquals(0, invalidate(p.b, p.clock.nanos(), 2, SendFlags.SIGNALED, k));
        p.runUntil(() -> p.scqB.count() >= 2, 200 * MS);
        Completions.Wc c = p.scqB.take().get(0);
        assertEquals(WcStatus.LOC_QP_OP_ERR, c.status());
        assertEquals(WcOpcode.LOCAL_INV, c.opcode());
        assertTrue(w.bound(), "type 1 windows are not invalidated");
    }

    @Test
    void udQueuePairsRefuseLocalOperations() {
        SoftQp ud = TestQps.connect(QpType.UD, 0x14, 0, 1, 1, p.keysB, p.link, new Completions(), new Completions(), null);
        MemoryKeys.Window w = p.keysB.allocateWindow(1, TestQps.PD);
        assertEquals(22, bind(ud, p.clock.nanos(), 1, 0, w, w.key(), next(w.key()), winMr, WIN_IOVA, 64, RW));
        assertEquals(22, invalidate(ud, p.clock.nanos(), 2, 0, w.key()));
    }

    @Test
    void localOperationsCompleteInSendQueueOrderAfterTheAcksBeforeThem() {
        MemoryKeys.Window w = p.keysB.allocateWindow(2, TestQps.PD);
        long now = p.clock.nanos();
        SendWqe write = TestQps.post(p.b, now, 1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, Pair.IOVA_B, 4000, p.keyB);
        write.remoteAddress = Pair.IOVA_A;
        write.rkey = p.keyA;
        TestQps.commit(p.b, now);
        int k = next(w.key());
        assertEquals(0, bind(p.b, now, 2, 0, w, w.key(), k, winMr, WIN_IOVA, 64, RW)); // unsignaled
        assertEquals(0, invalidate(p.b, now, 3, SendFlags.SIGNALED, k));
        p.b.poll(now);
        assertFalse(w.bound(), "both executed when the requester reached them");
        assertEquals(0, p.scqB.count(), "but nothing completes before the WRITE ahead of them is acknowledged");
        p.runUntil(() -> p.scqB.count() >= 2, 200 * MS);
        List<Completions.Wc> wcs = p.scqB.take();
        assertEquals(2, wcs.size(), wcs.toString());
        assertEquals(1, wcs.get(0).wrId());
        assertEquals(WcOpcode.RDMA_WRITE, wcs.get(0).opcode());
        assertEquals(3, wcs.get(1).wrId());
        assertEquals(WcOpcode.LOCAL_INV, wcs.get(1).opcode());
        assertEquals(WcStatus.SUCCESS, wcs.get(1).status());
    }

    /**
     * Through a lossy, duplicating, reordering link: WRITEs interleaved with binds and
     * invalidations of one type 2 window. Go-back-N rewinds over executed binds; a bind run twice
     * would fail (the window would not be free), a lost completion would leave the count short.
     */
    @Test
    void bindsSurviveGoBackNRetransmission() {
        Pair lossy = new Pair(QpType.RC, 11, 0.15, 0.05, 0.05, null);
        int mr = lossy.keysB.register(winMem, WIN_IOVA, Access.LOCAL_WRITE | Access.MW_BIND, TestQps.PD);
        MemoryKeys.Window w = lossy.keysB.allocateWindow(2, TestQps.PD);
        int key = w.key();
        List<Long> expected = new ArrayList<>();
        long wrId = 0;
        int rounds = 60;
        for (int i = 0; i < rounds; i++) {
            long now = lossy.clock.nanos();
            SendWqe write = TestQps.post(lossy.b, now, ++wrId, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED,
                    Pair.IOVA_B + i * 2048L, 2048, lossy.keyB); // two packets each
            write.remoteAddress = Pair.IOVA_A + i * 2048L;
            write.rkey = lossy.keyA;
            TestQps.commit(lossy.b, now);
            expected.add(wrId);
            int k = next(key);
            boolean signaled = i % 2 == 0;
            assertEquals(0, bind(lossy.b, now, ++wrId, signaled ? SendFlags.SIGNALED : 0, w, key, k, mr, WIN_IOVA + i * 64L, 64, RW));
            if (signaled) expected.add(wrId);
            assertEquals(0, invalidate(lossy.b, now, ++wrId, SendFlags.SIGNALED, k));
            expected.add(wrId);
            key = k;
            lossy.b.poll(now);
        }
        lossy.runUntil(() -> lossy.scqB.count() >= expected.size(), 60_000 * MS);
        lossy.link.step(50 * MS);
        List<Completions.Wc> wcs = lossy.scqB.take();
        List<Long> got = new ArrayList<>();
        for (Completions.Wc c : wcs) {
            assertEquals(WcStatus.SUCCESS, c.status(), c + " after " + lossy.counts());
            got.add(c.wrId());
        }
        assertEquals(expected, got, "every signaled request once, in order");
        assertTrue(lossy.b.retransmissions() > 0, "the link made B go back: " + lossy.counts());
        assertEquals(key, w.key(), "one key step per bind: none ran twice");
        assertEquals(2L * rounds, lossy.b.localOperations(), "each bind and invalidation ran once");
        assertFalse(w.bound());
        assertTrue(MemorySegment.mismatch(lossy.memB, 0, rounds * 2048L, lossy.memA, 0, rounds * 2048L) < 0, "the WRITEs landed");
    }

    /** A posts a SEND with invalidate of {@code rkey}, {@code length} bytes, to a receive B posted; runs until B's receive completes. */
    private Completions.Wc sendWithInvalidate(int rkey, int length) {
        TestQps.recv(p.b, 70, Pair.IOVA_B, 8192, p.keyB);
        long now = p.clock.nanos();
        SendWqe s = TestQps.post(p.a, now, 71, WrOpcode.SEND_WITH_INV, SendFlags.SIGNALED, Pair.IOVA_A, length, p.keyA);
        s.rkey = rkey;
        TestQps.commit(p.a, now);
        p.runUntil(() -> p.rcqB.count() > 0 && p.scqA.count() > 0, 200 * MS);
        return p.rcqB.take().get(0);
    }

    @Test
    void sendWithInvalidateRevokesTheWindowAtTheResponder() {
        MemoryKeys.Window w = bound(2, WIN_IOVA, 256);
        int k = w.key();
        Completions.Wc r = sendWithInvalidate(k, 3000); // SEND_FIRST, SEND_MIDDLE, SEND_LAST_WITH_INVALIDATE
        assertEquals(WcStatus.SUCCESS, r.status(), r.toString());
        assertEquals(WcOpcode.RECV, r.opcode());
        assertEquals(3000, r.byteLen());
        assertEquals(CompletionSink.WC_WITH_INV, r.flags());
        assertEquals(k, r.imm(), "the invalidated rkey");
        assertEquals(WcStatus.SUCCESS, p.scqA.take().get(0).status());
        assertFalse(w.bound());
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, WIN_IOVA, k).status());
    }

    @Test
    void sendWithInvalidateOfAKeyThatIsNoBoundTypeTwoWindowFails() {
        MemoryKeys.Window w = bound(1, WIN_IOVA, 256);
        int k = w.key();
        Completions.Wc r = sendWithInvalidate(k, 8); // SEND_ONLY_WITH_INVALIDATE of a type 1 window
        assertEquals(WcStatus.REM_INV_REQ_ERR, r.status(), r.toString());
        assertEquals(WcStatus.REM_INV_REQ_ERR, p.scqA.take().get(0).status());
        assertEquals(QpState.ERR, p.b.state());
        assertTrue(w.bound());
    }

    @Test
    void ucQueuePairsRefuseSendWithInvalidate() {
        SoftQp uc = TestQps.connect(QpType.UC, 0x15, 0x16, 1, 1, p.keysB, p.link, new Completions(), new Completions(), null);
        TestQps.post(uc, p.clock.nanos(), 1, WrOpcode.SEND_WITH_INV, 0, Pair.IOVA_B, 8, p.keyB);
        assertEquals(22, uc.postSend(p.clock.nanos()));
    }
}
