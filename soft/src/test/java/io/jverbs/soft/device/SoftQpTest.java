package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.ffi.LibC;
import io.jverbs.verbs.AsyncEvent;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * RDMA through the soft device over real UDP sockets, with the public verbs API as the examples
 * use it: two QPs on jsoft0 (loopback through its own socket) and QPs on jsoft0 and jsoft1, two
 * devices on 127.13.0.1 and 127.13.0.2 (soft/pom.xml: addresses no other soft device here uses). Data is verified byte for byte; the target side never polls
 * for one-sided operations (the progress thread answers them).
 */
class SoftQpTest {
    private static final PathSettings PATH = new PathSettings().gidIndex(1);
    private static final long WC = io.jverbs.verbs.ffi.ibv_wc.sizeof();

    @BeforeAll
    static void secondDevice() {
        SoftProvider.add(SoftDeviceConfig.of("jsoft1", "127.13.0.2"));
    }

    @AfterAll
    static void removeSecondDevice() {
        SoftProvider.remove("jsoft1");
    }

    /** One side: context, PD, CQ, a QP and 64 KiB of registered memory. */
    private record Side(Context ctx, ProtectionDomain pd, CompletionQueue cq, QueuePair qp, NativeBuffer buf, MemoryRegion mr)
            implements AutoCloseable {
        static Side open(String device, QpType type) {
            Context ctx = Context.open(device);
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(256);
            QueuePair qp = pd.createQueuePair(QueuePair.Config.of(type, cq).maxSendWr(64).maxRecvWr(64).maxInlineData(64));
            NativeBuffer buf = NativeBuffer.allocate(1 << 16);
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.ALL_REMOTE);
            return new Side(ctx, pd, cq, qp, buf, mr);
        }

        @Override
        public void close() {
            buf.close();
            ctx.close();
        }
    }

    private static void connect(Side a, Side b) {
        Endpoint ea = a.qp.endpoint(1, 1, 0x100), eb = b.qp.endpoint(1, 1, 0x200);
        a.qp.connect(ea, eb, PATH);
        b.qp.connect(eb, ea, PATH);
        assertEquals(QpState.RTS, a.qp.state());
    }

    /**
     * A destroyed QP's number is not the next QP's (rxe hands numbers out cyclically): the new QP
     * takes the same slot with the next generation, and a SEND still aimed at the old number is
     * not delivered to it; with no one answering, the sender's retries run out.
     */
    @Test
    void aDestroyedQpsNumberIsNotGivenToTheNextOne() {
        try (Side a = Side.open("jsoft1", QpType.RC); Side b = Side.open("jsoft0", QpType.RC)) {
            Endpoint ea = a.qp.endpoint(1, 1, 0x100), eb = b.qp.endpoint(1, 1, 0x200);
            // ~1 ms timeout, one retry: the old number's silence ends in RETRY_EXC_ERR within milliseconds.
            a.qp.connect(ea, eb, new PathSettings().gidIndex(1).timeout(8).retryCount(1));
            b.qp.connect(eb, ea, PATH);
            int old = b.qp.qpNumber();
            b.qp.close();
            try (QueuePair next = b.pd.createQueuePair(QueuePair.Config.of(QpType.RC, b.cq).maxRecvWr(4))) {
                assertEquals((old + 0x10000) & 0xffffff, next.qpNumber(), "the same slot, the next generation");
                // The same peer and PSNs as the old QP had: only the number tells them apart.
                next.connect(next.endpoint(1, 1, 0x200), ea, PATH);
                next.postReceive(new ReceiveRequests(1, 1).add(7).sge(b.mr, 0, 4096));
                a.qp.postSend(new SendRequests(1, 1).add(8, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 64));
                WorkCompletions wc = await(a.cq, 1);
                assertEquals(WcStatus.RETRY_EXC_ERR, wc.status(0), wc.describe(0));
                assertEquals(0, b.cq.poll(new WorkCompletions(1)), "the new QP received a SEND meant for the old number");
            }
        }
    }

    /** Polls {@code cq} until {@code n} completions arrived (5 s at most), one by one, into one array. */
    static WorkCompletions await(CompletionQueue cq, int n) {
        WorkCompletions wc = new WorkCompletions(n);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int got = 0;
        while (got < n) {
            WorkCompletions one = new WorkCompletions(1);
            if (cq.poll(one) == 1) {
                java.lang.foreign.MemorySegment.copy(one.segment(), 0, wc.segment(), got++ * WC, WC);
            } else if (System.nanoTime() > deadline) {
                fail("only " + got + " of " + n + " completions within 5 s");
            } else {
                Thread.onSpinWait();
            }
        }
        return wc;
    }

    private static void fill(NativeBuffer buf, long offset, int length, int seed) {
        for (int i = 0; i < length; i++) buf.segment().set(ValueLayout.JAVA_BYTE, offset + i, (byte) (seed + i * 7));
    }

    private static void assertSameBytes(NativeBuffer a, long aOff, NativeBuffer b, long bOff, int length) {
        assertEquals(-1, java.lang.foreign.MemorySegment.mismatch(a.segment(), aOff, aOff + length, b.segment(), bOff, bOff + length));
    }

    /** RC SEND (with immediate, and inline), WRITE, READ, FETCH_ADD, CMP_SWAP and a bad rkey from {@code deviceA} to {@code deviceB}, data checked (SoftPacketPortTest runs it across a veth too). */
    static void rcOperations(String deviceA, String deviceB) {
        try (Side a = Side.open(deviceA, QpType.RC); Side b = Side.open(deviceB, QpType.RC)) {
            connect(a, b);
            SoftEngine engineA = SoftProvider.engine(deviceA), engineB = SoftProvider.engine(deviceB);
            long sentBefore = engineA.packetsSent, receivedBefore = engineB.packetsReceived;
            // SEND of 10000 bytes (10 packets at MTU 1024) with immediate data.
            fill(a.buf, 0, 10_000, 1);
            b.qp.postReceive(new ReceiveRequests(1, 1).add(7).sge(b.mr, 0, 16384));
            a.qp.postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(a.mr, 0, 10_000).immediate(0x12345678));
            WorkCompletions s = await(a.cq, 1);
            assertTrue(s.isSuccess(0), s.describe(0));
            assertEquals(1, s.wrId(0));
            assertEquals(WcOpcode.SEND, s.opcode(0));
            WorkCompletions r = await(b.cq, 1);
            assertTrue(r.isSuccess(0), r.describe(0));
            assertEquals(7, r.wrId(0));
            assertEquals(10_000, r.byteLength(0));
            assertEquals(0x12345678, r.immediateData(0));
            assertEquals(b.qp.qpNumber(), r.qpNumber(0));
            assertSameBytes(a.buf, 0, b.buf, 0, 10_000);
            // Through the UDP socket: 10 request packets left a's engine and reached b's.
            assertTrue(engineA.packetsSent - sentBefore >= 10, "sent " + (engineA.packetsSent - sentBefore));
            assertTrue(engineB.packetsReceived - receivedBefore >= 10, "received " + (engineB.packetsReceived - receivedBefore));

            // An inline SEND: the bytes are taken at post time, so changing the buffer afterwards changes nothing.
            fill(a.buf, 12000, 48, 11);
            b.qp.postReceive(new ReceiveRequests(1, 1).add(8).sge(b.mr, 12000, 64));
            a.qp.postSend(new SendRequests(1, 1).add(9, WrOpcode.SEND, SendFlags.SIGNALED | SendFlags.INLINE)
                    .sge(a.buf.segment().address() + 12000, 48, 0));
            fill(a.buf, 12000, 48, 99);
            assertTrue(await(a.cq, 1).isSuccess(0));
            WorkCompletions ri = await(b.cq, 1);
            assertEquals(48, ri.byteLength(0));
            fill(a.buf, 12100, 48, 11);
            assertSameBytes(a.buf, 12100, b.buf, 12000, 48);

            // RDMA WRITE of 5000 bytes: b never polls, its memory changes.
            fill(a.buf, 16384, 5000, 3);
            a.qp.postSend(new SendRequests(1, 1).add(2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(a.mr, 16384, 5000)
                    .rdma(b.mr.address(20000), b.mr.rkey()));
            assertTrue(await(a.cq, 1).isSuccess(0));
            assertSameBytes(a.buf, 16384, b.buf, 20000, 5000);

            // RDMA READ of 3000 bytes back from b.
            fill(b.buf, 32768, 3000, 5);
            a.qp.postSend(new SendRequests(1, 1).add(3, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(a.mr, 40000, 3000)
                    .rdma(b.mr.address(32768), b.mr.rkey()));
            WorkCompletions rd = await(a.cq, 1);
            assertTrue(rd.isSuccess(0), rd.describe(0));
            assertEquals(WcOpcode.RDMA_READ, rd.opcode(0));
            assertSameBytes(a.buf, 40000, b.buf, 32768, 3000);

            // Atomics: fetch-and-add then compare-and-swap on b's word, old values land in a's memory.
            b.buf.segment().set(ValueLayout.JAVA_LONG, 60000, 100);
            a.qp.postSend(new SendRequests(1, 1).add(4, WrOpcode.ATOMIC_FETCH_AND_ADD, SendFlags.SIGNALED).sge(a.mr, 50000, 8)
                    .atomic(b.mr.address(60000), b.mr.rkey(), 23, 0));
            assertTrue(await(a.cq, 1).isSuccess(0));
            assertEquals(100, a.buf.segment().get(ValueLayout.JAVA_LONG, 50000));
            assertEquals(123, b.buf.segment().get(ValueLayout.JAVA_LONG, 60000));
            a.qp.postSend(new SendRequests(1, 1).add(5, WrOpcode.ATOMIC_CMP_AND_SWP, SendFlags.SIGNALED).sge(a.mr, 50008, 8)
                    .atomic(b.mr.address(60000), b.mr.rkey(), 123, 999));
            assertTrue(await(a.cq, 1).isSuccess(0));
            assertEquals(123, a.buf.segment().get(ValueLayout.JAVA_LONG, 50008));
            assertEquals(999, b.buf.segment().get(ValueLayout.JAVA_LONG, 60000));

            // A bad rkey: REM_ACCESS_ERR on the requester, which goes to ERR.
            a.qp.postSend(new SendRequests(1, 1).add(6, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(a.mr, 0, 64)
                    .rdma(b.mr.address(0), b.mr.rkey() ^ 0x100));
            WorkCompletions bad = await(a.cq, 1);
            assertEquals(WcStatus.REM_ACCESS_ERR, bad.status(0), bad.describe(0));
            assertEquals(6, bad.wrId(0));
            assertEquals(QpState.ERR, a.qp.state());
        }
    }

    @Test
    void rcSendWriteReadAtomicsOnOneDevice() {
        rcOperations("jsoft0", "jsoft0");
    }

    @Test
    void rcSendWriteReadAtomicsBetweenTwoDevices() {
        rcOperations("jsoft0", "jsoft1");
    }

    @Test
    void udSendReachesTheQpTheAddressHandleNames() {
        try (Side a = Side.open("jsoft0", QpType.UD); Side b = Side.open("jsoft1", QpType.UD)) {
            PathSettings ud = new PathSettings().gidIndex(1).qkey(0x1234);
            for (Side s : new Side[] {a, b}) {
                s.qp.toInit(ud);
                s.qp.toRtr(null, ud);
                s.qp.toRts(0, ud);
            }
            Endpoint eb = b.qp.endpoint(1, 1, 0);
            try (AddressHandle ah = a.pd.createAddressHandle(eb, ud)) {
                fill(a.buf, 0, 512, 9);
                b.qp.postReceive(new ReceiveRequests(1, 1).add(11).sge(b.mr, 0, 40 + 1024));
                a.qp.postSend(new SendRequests(1, 1).add(12, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 512)
                        .ud(ah, eb.qpn(), 0x1234));
                assertTrue(await(a.cq, 1).isSuccess(0));
                WorkCompletions r = await(b.cq, 1);
                assertTrue(r.isSuccess(0), r.describe(0));
                assertEquals(40 + 512, r.byteLength(0));
                assertEquals(a.qp.qpNumber(), r.sourceQp(0));
                assertSameBytes(a.buf, 0, b.buf, 40, 512);
                assertTrue((r.flags(0) & WorkCompletions.FLAG_GRH) != 0, r.describe(0));
                // The GRH slot: 20 unused bytes, then the IPv4 header the datagram came with.
                java.lang.foreign.MemorySegment grh = b.buf.segment();
                assertEquals(0, grh.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(0x45, grh.get(ValueLayout.JAVA_BYTE, 20));
                assertEquals(17, grh.get(ValueLayout.JAVA_BYTE, 29));
                ValueLayout.OfInt be = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
                assertEquals(0x7f0d0001, grh.get(be, 32), "source 127.13.0.1");
                assertEquals(0x7f0d0002, grh.get(be, 36), "destination 127.13.0.2");
                int sum = 0;
                for (int i = 20; i < 40; i += 2) sum += Short.toUnsignedInt(grh.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), i));
                while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
                assertEquals(0xffff, sum, "a valid IPv4 header checksum");
            }
        }
    }

    @Test
    void aBlockedWaiterWakesWhenTheProgressThreadCompletesAReceive() throws Exception {
        Context holder = Context.open("jsoft1");
        CompletionChannel ch = holder.createCompletionChannel();
        // The waiting side's objects live in the channel's context.
        try (holder; Side a = Side.open("jsoft0", QpType.RC)) {
            ProtectionDomain pd = holder.allocateProtectionDomain();
            CompletionQueue cq = holder.createCompletionQueue(CompletionQueue.Config.of(16).channel(ch));
            QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
            NativeBuffer buf = NativeBuffer.allocate(4096);
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            Endpoint ea = a.qp.endpoint(1, 1, 1), eb = qp.endpoint(1, 1, 2);
            a.qp.connect(ea, eb, PATH);
            qp.connect(eb, ea, PATH);
            qp.postReceive(new ReceiveRequests(1, 1).add(21).sge(mr, 0, 4096));
            cq.requestNotify(false);
            CompletableFuture<CompletionQueue> woken = CompletableFuture.supplyAsync(ch::awaitEvent);
            Thread.sleep(50);
            assertFalse(woken.isDone(), "no event before the send");
            a.qp.postSend(new SendRequests(1, 1).add(22, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 100));
            assertSame(cq, woken.get(5, TimeUnit.SECONDS));
            cq.ackEvents();
            WorkCompletions wc = new WorkCompletions(1);
            assertEquals(1, cq.poll(wc));
            assertEquals(21, wc.wrId(0));
            // Not armed again: the next completion raises no event.
            qp.postReceive(new ReceiveRequests(1, 1).add(23).sge(mr, 0, 4096));
            a.qp.postSend(new SendRequests(1, 1).add(24, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 100));
            await(cq, 1);
            assertEquals(null, ch.awaitEvent(Duration.ofMillis(20)));
            // The channel's fd (an eventfd) is readable exactly while an event is pending, as the kernel's.
            assertFalse(LibC.awaitReadable(ch.fd(), 0), "no event pending");
            cq.requestNotify(false);
            qp.postReceive(new ReceiveRequests(1, 1).add(25).sge(mr, 0, 4096));
            a.qp.postSend(new SendRequests(1, 1).add(26, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 100));
            assertTrue(LibC.awaitReadable(ch.fd(), 5000), "poll(2) on the channel fd wakes at the event");
            assertTrue(LibC.awaitReadable(ch.fd(), 0), "and it stays readable until the event is taken");
            assertSame(cq, ch.awaitEvent());
            assertFalse(LibC.awaitReadable(ch.fd(), 0), "taken: not readable any more");
            cq.ackEvents();
            buf.close();
        }
    }

    @Test
    void twoQpsReceiveFromOneSharedReceiveQueue() {
        try (Side a = Side.open("jsoft0", QpType.RC); Context ctx = Context.open("jsoft1");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(64);
             io.jverbs.verbs.SharedReceiveQueue srq = pd.createSharedReceiveQueue(io.jverbs.verbs.SharedReceiveQueue.Config.of(16, 1));
             NativeBuffer buf = NativeBuffer.allocate(8192)) {
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            QueuePair a2 = a.pd.createQueuePair(QueuePair.Config.of(QpType.RC, a.cq));
            QueuePair t1 = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).srq(srq));
            QueuePair t2 = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).srq(srq));
            assertEquals(new io.jverbs.verbs.SharedReceiveQueue.Attributes(16, 1, 0), srq.query());
            Endpoint e1 = a.qp.endpoint(1, 1, 1), e2 = a2.endpoint(1, 1, 2), f1 = t1.endpoint(1, 1, 3), f2 = t2.endpoint(1, 1, 4);
            a.qp.connect(e1, f1, PATH);
            t1.connect(f1, e1, PATH);
            a2.connect(e2, f2, PATH);
            t2.connect(f2, e2, PATH);
            srq.postReceive(new ReceiveRequests(2, 1).add(31).sge(mr, 0, 4096).add(32).sge(mr, 4096, 4096));
            fill(a.buf, 0, 100, 1);
            fill(a.buf, 100, 200, 2);
            a.qp.postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 100));
            assertTrue(await(a.cq, 1).isSuccess(0));
            a2.postSend(new SendRequests(1, 1).add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 100, 200));
            assertTrue(await(a.cq, 1).isSuccess(0));
            WorkCompletions r = await(cq, 2);
            // The SRQ hands out receives in posting order, whichever QP the message came to.
            assertEquals(31, r.wrId(0));
            assertEquals(t1.qpNumber(), r.qpNumber(0));
            assertEquals(100, r.byteLength(0));
            assertEquals(32, r.wrId(1));
            assertEquals(t2.qpNumber(), r.qpNumber(1));
            assertEquals(200, r.byteLength(1));
            assertSameBytes(a.buf, 0, buf, 0, 100);
            assertSameBytes(a.buf, 100, buf, 4096, 200);
            assertThrows(IllegalStateException.class, () -> t1.postReceive(new ReceiveRequests(1, 1).add(1).sge(mr, 0, 8)));

            // Resize keeps what is posted; the limit event fires once, when a receive takes the SRQ below it.
            srq.postReceive(new ReceiveRequests(2, 1).add(33).sge(mr, 0, 4096).add(34).sge(mr, 4096, 4096));
            srq.resize(32);
            srq.armLimit(2);
            assertEquals(new io.jverbs.verbs.SharedReceiveQueue.Attributes(32, 1, 2), srq.query());
            assertThrows(VerbsException.class, () -> srq.armLimit(33), "a limit above max_wr is EINVAL");
            assertFalse(LibC.awaitReadable(ctx.asyncFd(), 0), "no async event yet");
            a.qp.postSend(new SendRequests(1, 1).add(3, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 10));
            assertTrue(await(a.cq, 1).isSuccess(0));
            assertEquals(33, await(cq, 1).wrId(0));
            AsyncEvent ev = ctx.awaitAsyncEvent(Duration.ofSeconds(5));
            assertEquals(new AsyncEvent(AsyncEvent.Type.SRQ_LIMIT_REACHED, srq.segment().address()), ev);
            assertEquals(0, srq.query().limit(), "the event disarms the limit");
            assertFalse(LibC.awaitReadable(ctx.asyncFd(), 0), "the async fd is drained by the event taken");
            a.qp.postSend(new SendRequests(1, 1).add(4, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr, 0, 10));
            assertEquals(34, await(cq, 1).wrId(0));
            assertEquals(null, ctx.awaitAsyncEvent(Duration.ofMillis(50)), "one event per arming");

            // A QP of an SRQ moved to ERR: IBV_EVENT_QP_LAST_WQE_REACHED, once, as rxe raises it before a QP is drained.
            t1.toError();
            assertEquals(new AsyncEvent(AsyncEvent.Type.QP_LAST_WQE_REACHED, t1.qpNumber()), ctx.awaitAsyncEvent(Duration.ofSeconds(5)));
            t1.toError();
            assertEquals(null, ctx.awaitAsyncEvent(Duration.ofMillis(50)), "already in ERR: no second event");
            // An event of a QP destroyed before it was read is dropped with the QP (its struct is freed).
            t2.toError();
            t2.close();
            assertEquals(null, ctx.awaitAsyncEvent(Duration.ofMillis(50)));
            assertFalse(LibC.awaitReadable(ctx.asyncFd(), 0));
        }
    }

    @Test
    void aCqThatOverrunsFailsItsPolls() {
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue small = ctx.createCompletionQueue(2);
             CompletionQueue big = ctx.createCompletionQueue(16);
             QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, small));
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, big));
             NativeBuffer buf = NativeBuffer.allocate(4096)) {
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.ALL_REMOTE);
            Endpoint ea = a.endpoint(1, 1, 1), eb = b.endpoint(1, 1, 2);
            a.connect(ea, eb, PATH);
            b.connect(eb, ea, PATH);
            SendRequests write = new SendRequests(1, 1).add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 64)
                    .rdma(mr.address(1024), mr.rkey());
            for (int i = 0; i < 3; i++) a.postSend(write);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            WorkCompletions wc = new WorkCompletions(1);
            VerbsException e = null;
            while (e == null && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10); // let all three complete before the first poll makes room
                    small.poll(wc);
                } catch (VerbsException x) {
                    e = x;
                } catch (InterruptedException x) {
                    throw new AssertionError(x);
                }
            }
            assertTrue(e != null && e.getMessage().contains("overran"), "a third completion into a 2-entry CQ: " + e);
            // As rxe: the overrun is also the context's IBV_EVENT_CQ_ERR, once.
            assertEquals(new AsyncEvent(AsyncEvent.Type.CQ_ERR, small.segment().address()), ctx.awaitAsyncEvent(Duration.ofSeconds(5)));
            assertEquals(null, ctx.awaitAsyncEvent(Duration.ofMillis(50)));
        }
    }

    @Test
    void pathsTheDeviceCannotTakeAreRefused() {
        try (Side a = Side.open("jsoft0", QpType.RC); Context other = Context.open("jsoft0");
             CompletionQueue foreign = other.createCompletionQueue(4)) {
            Endpoint self = a.qp.endpoint(1, 1, 1);
            // A path MTU above the port's (1024): EINVAL, as rxe answers.
            VerbsException mtu = assertThrows(VerbsException.class,
                    () -> a.qp.connect(self, self, new PathSettings().gidIndex(1).mtu(io.jverbs.verbs.Mtu.MTU_4096)));
            assertEquals(io.jverbs.core.Errno.EINVAL, mtu.errno());
            assertEquals(QpState.INIT, a.qp.state());
            // No GID (is_global 0): RoCE needs one.
            Endpoint noGid = a.qp.endpoint(1, -1, 1);
            assertThrows(VerbsException.class, () -> a.qp.toRtr(noGid, new PathSettings()));
            // CQs of another context, and adopting a soft device's objects.
            assertThrows(VerbsException.class, () -> a.pd.createQueuePair(QueuePair.Config.of(QpType.RC, foreign)));
            assertThrows(IllegalArgumentException.class, () -> QueuePair.adopt(a.ctx, a.qp.segment()));
            assertThrows(IllegalArgumentException.class, () -> CompletionQueue.adopt(a.ctx, a.cq.segment()));
            assertThrows(IllegalArgumentException.class, () -> Context.adopt(a.ctx.segment()));
        }
    }

    @Test
    void postingErrorsNameTheFirstRequestNotPostedAndClosedQpsThrow() {
        try (Side a = Side.open("jsoft0", QpType.RC)) {
            // RESET cannot send: EINVAL, request 0 not posted.
            VerbsException e = assertThrows(VerbsException.class,
                    () -> a.qp.postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, 0).sge(a.mr, 0, 8)));
            assertTrue(e.getMessage().contains("Request 0 of 1"), e.getMessage());
            a.qp.close();
            assertThrows(IllegalStateException.class,
                    () -> a.qp.postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, 0).sge(a.mr, 0, 8)));
            assertThrows(IllegalStateException.class, a.qp::state);
        }
    }
}
