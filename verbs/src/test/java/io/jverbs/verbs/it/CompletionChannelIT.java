package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sleeping until a completion instead of polling: arm, wait, ack. */
@Tag("rdma")
class CompletionChannelIT {
    private Context ctx;
    private NativeBuffer buf;
    private CompletionChannel channel;
    private CompletionQueue cq, plainCq;
    private QueuePair a;
    private MemoryRegion mr;
    private final SendRequests send = new SendRequests(1, 1);
    private final WorkCompletions wc = new WorkCompletions(4);

    @BeforeEach
    void setUp() {
        ctx = TestDevice.open();
        buf = NativeBuffer.allocate(8192);
        ProtectionDomain pd = ctx.allocateProtectionDomain();
        channel = ctx.createCompletionChannel();
        cq = ctx.createCompletionQueue(CompletionQueue.Config.of(16).channel(channel).vector(0));
        plainCq = ctx.createCompletionQueue(16);
        a = pd.createQueuePair(new QueuePair.Config(QpType.RC, cq, plainCq));
        QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, plainCq));
        TestDevice.connect(a, b, TestDevice.options());
        mr = pd.register(buf, Access.ALL_REMOTE);
    }

    @AfterEach
    void tearDown() {
        if (ctx != null) ctx.close();
        if (buf != null) buf.close();
    }

    /** An RDMA write from a's buffer into its own region through b: completes on {@link #cq}. */
    private void postWrite(long wrId) {
        send.clear().add(wrId, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 64).rdma(mr.address(4096), mr.rkey());
        a.postSend(send);
    }

    /**
     * Arms the CQ, starts {@code wait} on another thread, checks that it is still blocked 300 ms
     * later, posts write {@code wrId} and checks that the waiter then returns the CQ, with one
     * unacked event and the write's completion to poll.
     */
    private void wakesOnlyAfterThePost(Supplier<CompletionQueue> wait, long wrId) throws Exception {
        cq.requestNotify(false);
        AtomicBoolean posted = new AtomicBoolean();
        CompletableFuture<Object[]> waiter = CompletableFuture.supplyAsync(() -> {
            CompletionQueue got = wait.get();
            return new Object[] {got, posted.get()};
        });
        // Give the waiter time to block on the channel fd; it must not wake before the post.
        Thread.sleep(300);
        assertFalse(waiter.isDone(), "the wait returned before anything completed");
        posted.set(true);
        postWrite(wrId);

        Object[] r = waiter.get(TestDevice.TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        assertSame(cq, r[0], "the event names the armed CQ");
        assertEquals(Boolean.TRUE, r[1], "woke after the post, not before");
        assertEquals(1, cq.unackedEvents());
        pollUntil(cq, wc, 1);
        assertEquals(wrId, wc.wrId(0));
    }

    @Test
    void blockedWaiterWakesWhenASendCompletes() throws Exception {
        assertTrue(channel.fd() >= 0);
        assertSame(channel, cq.channel());
        wakesOnlyAfterThePost(() -> channel.awaitEvent(TestDevice.TIMEOUT), 1);
        assertEquals(WcOpcode.RDMA_WRITE, wc.opcode(0));
        cq.ackEvents();
        assertEquals(0, cq.unackedEvents());

        // Not re-armed: the next completion raises no event.
        postWrite(2);
        pollUntil(cq, wc, 1);
        assertNull(channel.awaitEvent(Duration.ofMillis(300)), "one arm, one event");
    }

    @Test
    void blockingWaitWakesWhenASendCompletes() throws Exception {
        wakesOnlyAfterThePost(() -> channel.awaitEvent(), 4);

        // An event already pending: the blocking wait returns it at once.
        cq.requestNotify(false);
        postWrite(5);
        pollUntil(cq, wc, 1);
        assertSame(cq, assertTimeoutPreemptively(Duration.ofSeconds(20), () -> channel.awaitEvent()));
        assertEquals(2, cq.unackedEvents());
        cq.ackEvents();
    }

    @Test
    void awaitEventTimesOutWithNull() {
        cq.requestNotify(false);
        long t0 = System.nanoTime();
        assertNull(channel.awaitEvent(Duration.ofMillis(400)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 350, "returned after " + ms + " ms, asked for 400");
        assertEquals(0, cq.unackedEvents());
    }

    @Test
    void eventForACompletionThatCameBeforeTheWait() {
        cq.requestNotify(false);
        postWrite(3);
        pollUntil(cq, wc, 1); // the completion is consumed; the event stays pending on the fd
        assertSame(cq, channel.awaitEvent(TestDevice.TIMEOUT));
        cq.ackEvents();
    }

    @Test
    void closingACqWithUnackedEventsDoesNotHang() {
        for (int i = 0; i < 2; i++) {
            cq.requestNotify(false);
            postWrite(10 + i);
            assertSame(cq, channel.awaitEvent(TestDevice.TIMEOUT));
            pollUntil(cq, wc, 1);
        }
        assertEquals(2, cq.unackedEvents());
        // ibv_destroy_cq waits until every event was acked: close must ack what is left.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> cq.close());
        assertTrue(cq.isClosed());
        assertTrue(a.isClosed(), "the QP using the CQ is closed first");
        assertThrows(IllegalStateException.class, () -> cq.requestNotify(false));
        assertThrows(IllegalStateException.class, cq::ackEvents);
        // The channel outlives the CQ and can be closed on its own.
        channel.close();
        assertThrows(IllegalStateException.class, () -> channel.awaitEvent(Duration.ofMillis(1)));
        assertThrows(IllegalStateException.class, () -> channel.awaitEvent());
    }

    @Test
    void requestNotifyNeedsAChannel() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> plainCq.requestNotify(false));
        assertTrue(e.getMessage().contains("channel"), e.getMessage());
    }
}
