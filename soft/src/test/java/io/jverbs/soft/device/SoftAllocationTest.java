package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionFields;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.ExtendedCompletions;
import io.jverbs.verbs.ExtendedPost;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.MemoryWindow;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soft device's data path allocates nothing per operation once warm: the posting and polling
 * thread (post_send, post_recv, poll through the public API) and the device's progress thread
 * (receive, ACK, completion), measured with the JDK's per-thread allocation counters.
 */
class SoftAllocationTest {
    private static final int WARM = 20000, MEASURED = 3000;

    @Test
    void sendAndWriteRoundsAllocateNothingOnEitherThread() throws Exception {
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(256);
             QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             NativeBuffer buf = NativeBuffer.allocate(1 << 16)) {
            MemoryRegion mr = connect(pd, a, b, buf);
            SendRequests send = new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 2000);
            SendRequests write = new SendRequests(1, 1).add(2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 3000)
                    .rdma(mr.address(32768), mr.rkey());
            ReceiveRequests recv = new ReceiveRequests(1, 1).add(3).sge(mr, 8192, 4096);
            WorkCompletions wc = new WorkCompletions(8);
            assertAllocationFree("soft device, " + MEASURED + " rounds (SEND 2000 B + WRITE 3000 B, 5 packets + ACKs)", "jsoft0",
                    n -> rounds(a, b, cq, send, write, recv, wc, n), WARM, MEASURED);
        }
    }

    /** The same through the extended post API (an inline WRITE too) and an extended CQ, as a soft device runs them. */
    @Test
    void extendedPostAndPollAllocateNothingOnEitherThread() throws Exception {
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(256).extended(CompletionFields.STANDARD));
             QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).sendOps(SendOps.SEND | SendOps.RDMA_WRITE).maxInlineData(64));
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             NativeBuffer buf = NativeBuffer.allocate(1 << 16)) {
            MemoryRegion mr = connect(pd, a, b, buf);
            ReceiveRequests recv = new ReceiveRequests(1, 1).add(3).sge(mr, 8192, 4096);
            ExtendedPost p = a.extendedPost();
            ExtendedCompletions ex = cq.extended();
            long remote = mr.address(32768), inlineFrom = mr.address(100);
            int rkey = mr.rkey(), lkey = mr.lkey();
            assertAllocationFree("soft device, " + MEASURED + " rounds of the extended post API (SEND 2000 B + WRITE 3000 B + inline WRITE 48 B)",
                    "jsoft0", n -> {
                for (int r = 0; r < n; r++) {
                    b.postReceive(recv);
                    p.start();
                    p.send(1, SendFlags.SIGNALED).sge(mr.address(), 2000, lkey);
                    p.rdmaWrite(2, SendFlags.SIGNALED, remote, rkey).sge(mr.address(), 3000, lkey);
                    p.rdmaWrite(4, SendFlags.SIGNALED | SendFlags.INLINE, remote + 4096, rkey).inline(inlineFrom, 48);
                    p.complete();
                    int done = 0;
                    while (done < 4) {
                        if (!ex.start()) continue;
                        do {
                            if (ex.status() != WcStatus.SUCCESS) throw new AssertionError(ex.wrId() + ": " + ex.status());
                            done++;
                        } while (ex.next());
                        ex.end();
                    }
                    assertEquals(4, done);
                }
            }, WARM, MEASURED);
        }
    }

    /** Memory windows: a type 2 bind, a WRITE through the window from the peer, a LOCAL_INV, every round. */
    @Test
    void windowBindWriteAndInvalidateAllocateNothingOnEitherThread() throws Exception {
        long ops = SendOps.RDMA_WRITE | SendOps.BIND_MW | SendOps.LOCAL_INV;
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(256);
             QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).sendOps(ops));
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).sendOps(ops));
             NativeBuffer buf = NativeBuffer.allocate(1 << 16)) {
            PathSettings path = new PathSettings().gidIndex(1);
            Endpoint ea = a.endpoint(1, 1, 1), eb = b.endpoint(1, 1, 2);
            a.connect(ea, eb, path);
            b.connect(eb, ea, path);
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.ALL_REMOTE | Access.MW_BIND);
            MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2);
            ExtendedPost pa = a.extendedPost(), pb = b.extendedPost();
            WorkCompletions wc = new WorkCompletions(8);
            long target = mr.address(32768);
            int lkey = mr.lkey(), access = Access.REMOTE_WRITE | Access.LOCAL_WRITE;
            assertAllocationFree("soft device, " + MEASURED + " rounds of BIND_MW + WRITE 8 B through the window + LOCAL_INV",
                    "jsoft0", n -> {
                for (int r = 0; r < n; r++) {
                    int k = mw.nextRkey();
                    pb.start();
                    pb.bindMemoryWindow(1, SendFlags.SIGNALED, mw, k, mr, target, 64, access);
                    pb.complete();
                    pa.start();
                    pa.rdmaWrite(2, SendFlags.SIGNALED, target, k).sge(mr.address(), 8, lkey);
                    pa.complete();
                    awaitSuccess(cq, wc, 2);
                    pb.start();
                    pb.localInvalidate(3, SendFlags.SIGNALED, k);
                    pb.complete();
                    awaitSuccess(cq, wc, 1);
                }
            }, WARM, MEASURED);
        }
    }

    private static void awaitSuccess(CompletionQueue cq, WorkCompletions wc, int n) {
        int done = 0;
        while (done < n) {
            int k = cq.poll(wc);
            for (int j = 0; j < k; j++) {
                if (!wc.isSuccess(j)) throw new AssertionError(wc.describe(j));
            }
            done += k;
        }
    }

    /**
     * Runs {@code rounds} {@code warm} times, then three windows of {@code measured}, and asserts
     * that this thread and {@code device}'s progress thread allocated (almost) nothing in their best
     * window: a per-operation allocation shows in every one; the JIT recompiling a method (a
     * deoptimized frame allocates while it runs interpreted) shows in one at most.
     */
    static void assertAllocationFree(String what, String device, IntConsumer rounds, int warm, int measured) {
        Thread engine = progressThread(device);
        rounds.accept(warm);
        long bestPoster = Long.MAX_VALUE, bestEngine = Long.MAX_VALUE;
        for (int window = 0; window < 3; window++) {
            long[] w = window(what, device, engine, rounds, measured);
            bestPoster = Math.min(bestPoster, w[0]);
            bestEngine = Math.min(bestEngine, w[1]);
        }
        // A few hundred bytes of slack for background bookkeeping, far below one byte per round.
        assertTrue(bestPoster < 256, "the posting thread allocated at least " + bestPoster + " B in every window of " + measured + " rounds");
        assertTrue(bestEngine < 256, "the progress thread allocated at least " + bestEngine + " B in every window of " + measured + " rounds");
    }

    /** The progress thread of the open soft device {@code device}. */
    static Thread progressThread(String device) {
        Thread engine = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("jverbs-soft-" + device)).findFirst().orElse(null);
        assertNotNull(engine, "the progress thread of " + device);
        return engine;
    }

    /** One window of {@code n} rounds: {bytes this thread allocated, bytes {@code engine} allocated}, printed with the round time. */
    static long[] window(String what, String device, Thread engine, IntConsumer rounds, int n) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long engineBefore = mx.getThreadAllocatedBytes(engine.threadId());
        long before = AllocatedBytes.current();
        long t0 = System.nanoTime();
        rounds.accept(n);
        long elapsed = System.nanoTime() - t0;
        long mine = AllocatedBytes.current() - before;
        long engines = mx.getThreadAllocatedBytes(engine.threadId()) - engineBefore;
        // The round time is a figure, not a check (timing is not asserted).
        System.out.printf("%s: poster %d B, %s's progress thread %d B, %.1f us per round%n", what, mine, device, engines,
                elapsed / 1e3 / n);
        return new long[]{mine, engines};
    }

    /** Connects {@code a} and {@code b} to each other on jsoft0 and registers {@code buf} for both. */
    private static MemoryRegion connect(ProtectionDomain pd, QueuePair a, QueuePair b, NativeBuffer buf) {
        PathSettings path = new PathSettings().gidIndex(1);
        Endpoint ea = a.endpoint(1, 1, 1), eb = b.endpoint(1, 1, 2);
        a.connect(ea, eb, path);
        b.connect(eb, ea, path);
        return pd.register(buf, Access.LOCAL_WRITE | Access.ALL_REMOTE);
    }

    private static void rounds(QueuePair a, QueuePair b, CompletionQueue cq, SendRequests send, SendRequests write,
                               ReceiveRequests recv, WorkCompletions wc, int n) {
        for (int i = 0; i < n; i++) {
            b.postReceive(recv);
            a.postSend(send);
            a.postSend(write);
            int done = 0;
            while (done < 3) {
                int k = cq.poll(wc);
                for (int j = 0; j < k; j++) {
                    if (!wc.isSuccess(j)) throw new AssertionError(wc.describe(j));
                }
                done += k;
            }
            assertEquals(3, done);
        }
    }
}
