package io.jverbs.verbs.it;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.VerbsCall;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static io.jverbs.verbs.it.TestDevice.awaitCompletions;
import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What rxe reports when things go wrong: error completions, flushes, and post-time errors. */
@Tag("rdma")
class ErrorPathIT {
    private final WorkCompletions wc = new WorkCompletions(64);

    @Test
    void badRkeyFailsTheRequesterWithRemoteAccessError() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC)) {
            SendRequests send = new SendRequests(2, 1);
            // An rkey no MR has (rxe keys are index << 8 | key byte; a new context's indices are small).
            int badRkey = p.mrB.rkey() ^ 0x00ff_ff00;
            send.add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 64).rdma(p.mrB.address(), badRkey);
            p.a.postSend(send);
            awaitCompletions(p.cqA, wc, 1, TestDevice.TIMEOUT);
            assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0), wc.describe(0));
            assertEquals(1, wc.wrId(0));
            assertTrue(wc.statusText(0).toLowerCase().contains("remote access"), wc.statusText(0));
            TestDevice.await("the requester QP to enter ERR", () -> p.a.state() == QpState.ERR);

            // In ERR, later sends are flushed, not executed.
            send.clear().add(2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 64).rdma(p.mrB.address(), p.mrB.rkey());
            p.a.postSend(send);
            awaitCompletions(p.cqA, wc, 1, TestDevice.TIMEOUT);
            assertEquals(WcStatus.WR_FLUSH_ERR, wc.status(0), wc.describe(0));
            assertEquals(2, wc.wrId(0));
        }
    }

    @Test
    void rdmaReadBeyondTheRegionIsARemoteAccessError() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC)) {
            SendRequests send = new SendRequests(1, 1);
            send.add(3, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(p.mrA, 0, 128)
                    .rdma(p.mrB.address() + p.mrB.length() - 64, p.mrB.rkey());
            p.a.postSend(send);
            awaitCompletions(p.cqA, wc, 1, TestDevice.TIMEOUT);
            assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0), wc.describe(0));
        }
    }

    @Test
    void sendWithoutReceiveExhaustsRnrRetries() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC, TestDevice.options().rnrRetry(0).minRnrTimer(1))) {
            SendRequests send = new SendRequests(1, 1);
            send.add(4, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, 0, 32);
            p.a.postSend(send);
            awaitCompletions(p.cqA, wc, 1, TestDevice.TIMEOUT);
            assertEquals(WcStatus.RNR_RETRY_EXC_ERR, wc.status(0), wc.describe(0));
            assertEquals(4, wc.wrId(0));
            TestDevice.await("the requester QP to enter ERR", () -> p.a.state() == QpState.ERR);
        }
    }

    @Test
    void rnrRetriesSucceedOnceAReceiveIsPosted() throws Exception {
        // rnr_retry 7 retries forever: the send waits for the late receive instead of failing.
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC, TestDevice.options().rnrRetry(7).minRnrTimer(1))) {
            SendRequests send = new SendRequests(1, 1);
            send.add(5, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, 0, 32);
            p.a.postSend(send);
            TestDevice.assertNoCompletion(p.cqA, java.time.Duration.ofMillis(300));
            p.b.postReceive(new ReceiveRequests(1, 1).add(6).sge(p.mrB, 0, 64));
            pollUntil(p.cqA, wc, 1);
            assertEquals(5, wc.wrId(0));
            pollUntil(p.cqB, wc, 1);
            assertEquals(6, wc.wrId(0));
            assertEquals(32, wc.byteLength(0));
        }
    }

    @Test
    void toErrorFlushesPostedReceives() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC)) {
            ReceiveRequests recv = new ReceiveRequests(3, 1);
            for (int i = 0; i < 3; i++) recv.add(70 + i).sge(p.mrB, i * 64L, 64);
            p.b.postReceive(recv);
            p.b.toError();
            assertEquals(QpState.ERR, p.b.state());
            awaitCompletions(p.cqB, wc, 3, TestDevice.TIMEOUT);
            for (int i = 0; i < 3; i++) {
                assertEquals(WcStatus.WR_FLUSH_ERR, wc.status(i), wc.describe(i));
                assertEquals(70 + i, wc.wrId(i), "flushed in posting order");
                assertEquals(p.b.qpNumber(), wc.qpNumber(i));
            }
            TestDevice.assertNoCompletion(p.cqB, java.time.Duration.ofMillis(100));

            // Back to RESET empties the queues; the QP can be connected again and works.
            p.b.reset();
            assertEquals(QpState.RESET, p.b.state());
        }
    }

    @Test
    void postingToAFullSendQueueThrowsEnomem() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC, TestDevice.options(), c -> c.maxSendWr(16))) {
            int granted = p.a.capabilities().maxSendWr();
            assertTrue(granted >= 16, p.a.capabilities().toString());
            // One chain longer than the queue: the provider fills the queue and rejects the rest.
            // rxe reports max_send_wr as asked but its ring has the next power of two minus one
            // slots (16 -> 31), so "full" comes later than the granted figure; hardware (mlx5)
            // rejects at the granted figure.
            int chain = 4 * granted + 1;
            SendRequests send = new SendRequests(chain, 1);
            for (int i = 0; i < chain; i++) {
                send.add(1000 + i, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 8).rdma(p.mrB.address(), p.mrB.rkey());
            }
            VerbsException e = assertThrows(VerbsException.class, () -> p.a.postSend(send));
            System.out.println("full send queue (max_send_wr " + granted + "): " + e.getMessage());
            assertSame(VerbsCall.POST_SEND, e.call());
            assertEquals(Errno.ENOMEM, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("queue is full"), e.getMessage());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Request (\\d+) of " + chain).matcher(e.getMessage());
            assertTrue(m.find(), e.getMessage());
            int posted = Integer.parseInt(m.group(1));
            assertTrue(posted >= granted && posted < chain, "rejected at " + posted + ", granted " + granted);
            // The requests before the rejected one were posted and complete normally, in order.
            WorkCompletions all = new WorkCompletions(posted);
            pollUntil(p.cqA, all, posted);
            for (int i = 0; i < posted; i++) assertEquals(1000 + i, all.wrId(i));
            TestDevice.assertNoCompletion(p.cqA, java.time.Duration.ofMillis(100));
        }
    }

    @Test
    void postingSendOnAResetOrInitQpFails() {
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(4096)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(16);
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            SendRequests send = new SendRequests(1, 1);
            send.add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 16);

            QueuePair reset = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
            assertEquals(QpState.RESET, reset.state());
            VerbsException e1 = assertThrows(VerbsException.class, () -> reset.postSend(send));
            System.out.println("post_send in RESET: " + e1.getMessage());
            assertEquals(Errno.EINVAL, e1.errno(), e1.getMessage());
            assertTrue(e1.getMessage().contains("RTS"), e1.getMessage());

            QueuePair init = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
            init.toInit(TestDevice.options());
            assertEquals(QpState.INIT, init.state());
            VerbsException e2 = assertThrows(VerbsException.class, () -> init.postSend(send));
            System.out.println("post_send in INIT: " + e2.getMessage());
            assertEquals(Errno.EINVAL, e2.errno(), e2.getMessage());

            // Receives may be posted from INIT on (ibv_post_recv(3)); they wait for the connection.
            init.postReceive(new ReceiveRequests(1, 1).add(2).sge(mr, 0, 64));
            TestDevice.assertNoCompletion(cq, java.time.Duration.ofMillis(100));
        }
    }

    @Test
    void tooManySgesIsRejectedAtPostTime() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC)) {
            int maxSge = p.a.capabilities().maxSendSge();
            SendRequests send = new SendRequests(1, maxSge + 1);
            send.add(1, WrOpcode.SEND, SendFlags.SIGNALED);
            for (int i = 0; i <= maxSge; i++) send.sge(p.mrA, i * 8L, 8);
            VerbsException e = assertThrows(VerbsException.class, () -> p.a.postSend(send));
            System.out.println("too many SGEs (max " + maxSge + "): " + e.getMessage());
            assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("Request 0 of 1"), e.getMessage());
        }
    }
}
