package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AsyncEvent;
import io.jverbs.verbs.CompletionFields;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceAttributes;
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
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Extended CQ polling, the ibv_wr_* post API, memory windows (by capability), IOVA registration
 * and SRQ limit events. XRC and on-demand paging have classes of their own (XrcIT, OnDemandPagingIT).
 */
@Tag("rdma")
class ExtendedVerbsIT {
    private static final long ALL_OPS = SendOps.SEND | SendOps.SEND_WITH_IMM
            | SendOps.RDMA_WRITE | SendOps.RDMA_READ | SendOps.ATOMIC_FETCH_AND_ADD
            | SendOps.ATOMIC_CMP_AND_SWP;

    private Context ctx;
    private ProtectionDomain pd;
    private NativeBuffer buffer;
    private MemoryRegion mr;

    @BeforeEach
    void open() {
        ctx = TestDevice.open();
        pd = ctx.allocateProtectionDomain();
        buffer = NativeBuffer.allocate(1 << 16);
        mr = pd.register(buffer, Access.ALL_REMOTE | Access.MW_BIND);
    }

    @AfterEach
    void close() {
        ctx.close();
        buffer.close();
    }

    /** Two RC QPs on one device, connected to each other. */
    private QueuePair[] connectedPair(CompletionQueue cqA, CompletionQueue cqB, long sendOps) {
        return connectedPair(cqA, cqB, sendOps, 0);
    }

    private QueuePair[] connectedPair(CompletionQueue cqA, CompletionQueue cqB, long sendOps, int maxInline) {
        PathSettings o = TestDevice.options();
        QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqA).sendOps(sendOps).maxInlineData(maxInline));
        QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqB).sendOps(sendOps).maxInlineData(maxInline));
        var ea = a.endpoint(o.port(), o.gidIndex(), 0x1234);
        var eb = b.endpoint(o.port(), o.gidIndex(), 0x5678);
        a.connect(ea, eb, o);
        b.connect(eb, ea, o);
        return new QueuePair[] {a, b};
    }

    private static List<String> drainExtended(CompletionQueue cq, int n, List<Long> wrIds, List<WcOpcode> opcodes, List<Integer> lengths,
                                             List<Integer> qpNumbers) {
        ExtendedCompletions ex = cq.extended();
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<String> errors = new ArrayList<>();
        while (wrIds.size() < n) {
            if (System.nanoTime() > deadline) fail("timed out: " + wrIds.size() + " of " + n + " completions");
            if (!ex.start()) continue;
            do {
                wrIds.add(ex.wrId());
                if (ex.status() != WcStatus.SUCCESS) errors.add(ex.wrId() + ":" + ex.status());
                opcodes.add(ex.opcode());
                lengths.add(ex.byteLength());
                qpNumbers.add(ex.qpNumber());
            } while (ex.next());
            ex.end();
        }
        return errors;
    }

    private static void awaitSuccess(CompletionQueue cq, WorkCompletions wc, int n) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        int got = 0;
        while (got < n) {
            if (System.nanoTime() > deadline) fail("timed out: " + got + " of " + n + " completions");
            int k = cq.poll(wc);
            for (int i = 0; i < k; i++) {
                assertTrue(wc.isSuccess(i), wc.describe(i));
            }
            got += k;
        }
    }

    @Test
    void extendedCqReadsCompletionsInPlace() {
        CompletionQueue cqA = ctx.createCompletionQueue(CompletionQueue.Config.of(64).extended(CompletionFields.STANDARD));
        CompletionQueue cqB = ctx.createCompletionQueue(CompletionQueue.Config.of(64).extended(CompletionFields.STANDARD));
        QueuePair[] qp = connectedPair(cqA, cqB, 0);
        buffer.segment().asSlice(0, 5).copyFrom(MemorySegment.ofArray("hello".getBytes()));
        qp[1].postReceive(new ReceiveRequests(1, 1).add(77).sge(mr, 4096, 64));
        qp[0].postSend(new SendRequests(1, 1).add(42, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 5));

        List<Long> ids = new ArrayList<>();
        List<WcOpcode> ops = new ArrayList<>();
        List<Integer> lens = new ArrayList<>();
        List<Integer> qpns = new ArrayList<>();
        assertEquals(List.of(), drainExtended(cqB, 1, ids, ops, lens, qpns));
        assertEquals(List.of(qp[1].qpNumber()), qpns);
        assertEquals(List.of(77L), ids);
        assertEquals(List.of(WcOpcode.RECV), ops);
        assertEquals(List.of(5), lens);
        ids.clear();
        ops.clear();
        assertEquals(List.of(), drainExtended(cqA, 1, ids, ops, new ArrayList<>(), new ArrayList<>()));
        assertEquals(List.of(42L), ids);
        assertEquals(List.of(WcOpcode.SEND), ops);
        assertEquals("hello", new String(buffer.segment().asSlice(4096, 5).toArray(ValueLayout.JAVA_BYTE)));
        assertFalse(cqA.extended().start(), "the CQ is empty now");
        assertThrows(IllegalStateException.class, () -> ctx.createCompletionQueue(4).extended());
    }

    @Test
    void wrApiWritesReadsAndRunsAtomics() {
        CompletionQueue cqA = ctx.createCompletionQueue(64);
        CompletionQueue cqB = ctx.createCompletionQueue(64);
        QueuePair[] qp = connectedPair(cqA, cqB, ALL_OPS);
        MemorySegment mem = buffer.segment();
        WorkCompletions wc = new WorkCompletions(8);
        long local = mr.address();
        long remote = mr.address(32768);

        // RDMA write 8 bytes from offset 0 to offset 32768, then read them back into offset 100.
        mem.set(ValueLayout.JAVA_LONG, 0, 0x0102030405060708L);
        ExtendedPost p = qp[0].extendedPost();
        p.start();
        p.rdmaWrite(1, SendFlags.SIGNALED, remote, mr.rkey()).sge(local, 8, mr.lkey());
        p.rdmaRead(2, SendFlags.SIGNALED, remote, mr.rkey()).sge(local + 104, 8, mr.lkey());
        p.complete();
        awaitSuccess(cqA, wc, 2);
        assertEquals(0x0102030405060708L, mem.get(ValueLayout.JAVA_LONG, 32768));
        assertEquals(0x0102030405060708L, mem.get(ValueLayout.JAVA_LONG, 104));

        // Fetch-and-add returns the old value; compare-and-swap swaps only on a match.
        mem.set(ValueLayout.JAVA_LONG, 40000, 10);
        p.start();
        p.atomicFetchAdd(3, SendFlags.SIGNALED, mr.address(40000), mr.rkey(), 5).sge(local + 200, 8, mr.lkey());
        p.complete();
        awaitSuccess(cqA, wc, 1);
        assertEquals(10, mem.get(ValueLayout.JAVA_LONG, 200));
        assertEquals(15, mem.get(ValueLayout.JAVA_LONG, 40000));
        p.start();
        p.atomicCompareSwap(4, SendFlags.SIGNALED, mr.address(40000), mr.rkey(), 15, 99).sge(local + 208, 8, mr.lkey());
        p.atomicCompareSwap(5, SendFlags.SIGNALED, mr.address(40000), mr.rkey(), 15, 7).sge(local + 216, 8, mr.lkey());
        p.complete();
        awaitSuccess(cqA, wc, 2);
        assertEquals(15, mem.get(ValueLayout.JAVA_LONG, 208), "first CAS saw 15 and swapped");
        assertEquals(99, mem.get(ValueLayout.JAVA_LONG, 216), "second CAS saw 99 and did not swap");
        assertEquals(99, mem.get(ValueLayout.JAVA_LONG, 40000));

        // Send with immediate through the wr API.
        qp[1].postReceive(new ReceiveRequests(1, 1).add(9).sge(mr, 50000, 64));
        p.start();
        p.sendWithImmediate(6, SendFlags.SIGNALED, 0xCAFEBABE).sge(local, 8, mr.lkey());
        p.complete();
        awaitSuccess(cqA, wc, 1);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cqB.poll(wc) == 0) {
            if (System.nanoTime() > deadline) fail("no receive completion");
        }
        assertTrue(wc.isSuccess(0), wc.describe(0));
        assertEquals(0xCAFEBABE, wc.immediateData(0));
        assertTrue((wc.flags(0) & WorkCompletions.FLAG_WITH_IMM) != 0);
        assertThrows(IllegalStateException.class, () -> pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqA)).extendedPost());
    }

    /**
     * {@code ibv_wr_set_inline_data} (jperf's DC path posts inline requests this way): the bytes are
     * copied into the request when it is built, so changing the source before the completion
     * changes nothing at the target; an RDMA write and a send, each inline.
     */
    @Test
    void wrApiCopiesInlineDataAtPostTime() {
        CompletionQueue cqA = ctx.createCompletionQueue(64);
        CompletionQueue cqB = ctx.createCompletionQueue(64);
        QueuePair[] qp = connectedPair(cqA, cqB, ALL_OPS, 64);
        assertTrue(qp[0].capabilities().maxInlineData() >= 48, "inline room: " + qp[0].capabilities());
        MemorySegment mem = buffer.segment();
        WorkCompletions wc = new WorkCompletions(4);
        mem.asSlice(0, 48).fill((byte) 0x5a);
        qp[1].postReceive(new ReceiveRequests(1, 1).add(8).sge(mr, 20000, 64));
        ExtendedPost p = qp[0].extendedPost();
        p.start();
        p.rdmaWrite(7, SendFlags.SIGNALED | SendFlags.INLINE, mr.address(12000), mr.rkey()).inline(mr.address(), 48);
        p.send(9, SendFlags.SIGNALED | SendFlags.INLINE).inline(mr.address(), 40);
        p.complete();
        mem.asSlice(0, 48).fill((byte) 0x11); // after the post: not what goes out
        awaitSuccess(cqA, wc, 2);
        awaitSuccess(cqB, wc, 1);
        assertEquals(8, wc.wrId(0));
        assertEquals(40, wc.byteLength(0));
        for (int i = 0; i < 48; i++) {
            assertEquals((byte) 0x5a, mem.get(ValueLayout.JAVA_BYTE, 12000 + i), "written byte " + i);
        }
        for (int i = 0; i < 40; i++) {
            assertEquals((byte) 0x5a, mem.get(ValueLayout.JAVA_BYTE, 20000 + i), "sent byte " + i);
        }
        assertEquals(0, mem.get(ValueLayout.JAVA_BYTE, 12048), "no more than the inline length");
    }

    @Test
    void memoryWindowsGrantAndLimitRemoteAccess() {
        DeviceAttributes attr = ctx.queryDevice();
        if ((attr.deviceCapFlags() & DeviceAttributes.CAP_MEM_WINDOW) == 0) {
            // A device without windows (the soft device, or a provider without alloc_mw) refuses with the "not supported" type.
            NotSupportedException e = assertThrows(NotSupportedException.class, () -> pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_1));
            assertTrue(e.getMessage().contains("not supported"), e.getMessage());
            return;
        }
        CompletionQueue cqA = ctx.createCompletionQueue(64);
        CompletionQueue cqB = ctx.createCompletionQueue(64);
        QueuePair[] qp = connectedPair(cqA, cqB, ALL_OPS | SendOps.BIND_MW | SendOps.LOCAL_INV);
        WorkCompletions wc = new WorkCompletions(4);
        MemorySegment mem = buffer.segment();

        // Type 1: B binds a window over bytes [8192, 8192+256) of its region; A writes through it.
        MemoryWindow mw1 = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_1);
        int before = mw1.rkey();
        int rkey = mw1.bind(qp[1], 11, SendFlags.SIGNALED, mr, mr.address(8192), 256, Access.REMOTE_WRITE | Access.LOCAL_WRITE);
        assertNotEquals(before, rkey, "binding issues a new rkey");
        awaitSuccess(cqB, wc, 1);
        mem.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
        qp[0].postSend(new SendRequests(1, 1).add(12, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8).rdma(mr.address(8192), rkey));
        awaitSuccess(cqA, wc, 1);
        assertEquals(0x1122334455667788L, mem.get(ValueLayout.JAVA_LONG, 8192));

        // Rebinding revokes the old rkey: a peer still holding it gets a remote access error.
        // (Soft-RoCE checks a window access against the bounds of the underlying MR, not of the
        // window, so an out-of-window offset is not what this test uses.)
        int revoked = rkey;
        int newRkey = mw1.bind(qp[1], 14, SendFlags.SIGNALED, mr, mr.address(16384), 256, Access.REMOTE_WRITE | Access.LOCAL_WRITE);
        assertNotEquals(revoked, newRkey);
        assertEquals(newRkey, mw1.rkey());
        awaitSuccess(cqB, wc, 1);
        qp[0].postSend(new SendRequests(1, 1).add(13, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8).rdma(mr.address(8192), revoked));
        long deadline = System.nanoTime() + 30_000_000_000L;
        int n;
        while ((n = cqA.poll(wc)) == 0) {
            if (System.nanoTime() > deadline) fail("no completion for the out-of-window write");
        }
        assertEquals(1, n);
        assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0), wc.describe(0));
        assertThrows(IllegalStateException.class,
                () -> pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2).bind(qp[1], 1, 0, mr, mr.address(0), 8, Access.REMOTE_WRITE),
                "type 2 windows bind through a work request");
    }

    @Test
    void typeTwoWindowsBindThroughWorkRequests() {
        if ((ctx.queryDevice().deviceCapFlags() & DeviceAttributes.CAP_MEM_WINDOW_TYPE_2B) == 0) {
            NotSupportedException e = assertThrows(NotSupportedException.class, () -> pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2));
            assertTrue(e.getMessage().contains("not support"), e.getMessage());
            return;
        }
        CompletionQueue cqA = ctx.createCompletionQueue(64);
        CompletionQueue cqB = ctx.createCompletionQueue(64);
        QueuePair[] qp = connectedPair(cqA, cqB, SendOps.BIND_MW | SendOps.RDMA_WRITE
                | SendOps.LOCAL_INV);
        WorkCompletions wc = new WorkCompletions(4);
        MemorySegment mem = buffer.segment();

        // Classic post API: a BIND_MW work request on B's send queue.
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2);
        int rkey = mw.nextRkey();
        qp[1].postSend(new SendRequests(1, 0).add(21, WrOpcode.BIND_MW, SendFlags.SIGNALED)
                .bindMemoryWindow(mw, rkey, mr, mr.address(20480), 64, Access.REMOTE_WRITE | Access.LOCAL_WRITE));
        awaitSuccess(cqB, wc, 1);
        assertEquals(rkey, mw.rkey());
        mem.set(ValueLayout.JAVA_LONG, 0, 0x5555AAAA5555AAAAL);
        qp[0].postSend(new SendRequests(1, 1).add(22, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8).rdma(mr.address(20480), rkey));
        awaitSuccess(cqA, wc, 1);
        assertEquals(0x5555AAAA5555AAAAL, mem.get(ValueLayout.JAVA_LONG, 20480));

        // Extended post API: invalidate, then bind again under the next key.
        ExtendedPost p = qp[1].extendedPost();
        p.start();
        p.localInvalidate(23, SendFlags.SIGNALED, rkey);
        p.complete();
        awaitSuccess(cqB, wc, 1);
        int rkey2 = mw.nextRkey();
        p.start();
        p.bindMemoryWindow(24, SendFlags.SIGNALED, mw, rkey2, mr, mr.address(24576), 64, Access.REMOTE_WRITE | Access.LOCAL_WRITE);
        p.complete();
        awaitSuccess(cqB, wc, 1);
        qp[0].postSend(new SendRequests(1, 1).add(25, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8).rdma(mr.address(24576), rkey2));
        awaitSuccess(cqA, wc, 1);
        assertEquals(0x5555AAAA5555AAAAL, mem.get(ValueLayout.JAVA_LONG, 24576));
    }

    @Test
    void iovaRegistrationAddressesMemoryByIova() {
        CompletionQueue cqA = ctx.createCompletionQueue(16);
        CompletionQueue cqB = ctx.createCompletionQueue(16);
        QueuePair[] qp = connectedPair(cqA, cqB, 0);
        try (NativeBuffer target = NativeBuffer.allocate(8192)) {
            long iova = 0x7000_0000_0000L;
            MemoryRegion byIova = pd.register(target.address(), target.size(), iova, Access.ALL_REMOTE);
            assertEquals(iova, byIova.iova());
            buffer.segment().set(ValueLayout.JAVA_LONG, 0, 0x0BADC0DE0BADC0DEL);
            qp[0].postSend(new SendRequests(1, 1).add(31, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8)
                    .rdma(iova + 4096, byIova.rkey()));
            awaitSuccess(cqA, new WorkCompletions(1), 1);
            assertEquals(0x0BADC0DE0BADC0DEL, target.segment().get(ValueLayout.JAVA_LONG, 4096));
            byIova.close();
        }
    }

    @Test
    void srqLimitRaisesAnAsyncEvent() {
        CompletionQueue cqA = ctx.createCompletionQueue(64);
        CompletionQueue cqB = ctx.createCompletionQueue(64);
        SharedReceiveQueue srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(32, 1));
        PathSettings o = TestDevice.options();
        QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqA));
        QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqB).srq(srq));
        var ea = a.endpoint(o.port(), o.gidIndex(), 1);
        var eb = b.endpoint(o.port(), o.gidIndex(), 2);
        a.connect(ea, eb, o);
        b.connect(eb, ea, o);
        ReceiveRequests rr = new ReceiveRequests(8, 1);
        for (int i = 0; i < 8; i++) rr.add(i).sge(mr, 1024L * i, 1024);
        srq.postReceive(rr);
        srq.armLimit(4);
        assertEquals(4, srq.query().limit());
        SendRequests sr = new SendRequests(5, 1);
        for (int i = 0; i < 5; i++) sr.add(100 + i, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 16);
        a.postSend(sr);
        awaitSuccess(cqA, new WorkCompletions(8), 5);
        AsyncEvent ev = ctx.awaitAsyncEvent(Duration.ofSeconds(30));
        assertTrue(ev != null, "no async event within 30 s");
        assertEquals(AsyncEvent.Type.SRQ_LIMIT_REACHED, ev.type());
        assertEquals(srq.segment().address(), ev.element());
        assertEquals(null, ctx.awaitAsyncEvent(Duration.ofMillis(200)), "the limit event fires once per arming");
    }
}
