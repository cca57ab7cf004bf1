package io.jverbs.verbs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Context#adopt}, {@link CompletionQueue#adopt} and {@link QueuePair#adopt} on the native
 * objects of the stub provider (native-test/stub), which has no device behind its context:
 * the wrappers use the objects, close with their context, and never free what they did not create.
 */
class AdoptTest {
    private StubProvider stub;
    private Context ctx;

    @BeforeEach
    void open() {
        stub = new StubProvider(0x99);
        ctx = Context.adopt(stub.context());
    }

    @AfterEach
    void close() {
        ctx.close();
        stub.close();
    }

    @Test
    void aContextWithoutADeviceIsNamedAdopted() {
        assertSame(Device.ADOPTED, ctx.device());
        assertEquals("(adopted)", ctx.device().name());
        assertEquals(stub.context().address(), ctx.segment().address());
        assertThrows(IllegalArgumentException.class, () -> Context.adopt(MemorySegment.NULL));
    }

    @Test
    void adoptedQueuesUseTheProviderAndAreNotDestroyedOnClose() {
        QueuePair qp = QueuePair.adopt(ctx, stub.qp());
        CompletionQueue cq = CompletionQueue.adopt(ctx, stub.cq());
        assertEquals(0x99, qp.qpNumber());
        assertEquals(QpType.RC, qp.type());
        assertSame(ctx, qp.context());
        assertNull(qp.protectionDomain(), "jverbs does not know an adopted QP's PD");
        assertSame(ctx, cq.context());
        assertEquals(2, ctx.liveChildren());

        qp.postSend(new SendRequests(1, 1).add(7, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x1000L, 16, 1));
        WorkCompletions wc = new WorkCompletions(2);
        assertEquals(1, cq.poll(wc));
        assertEquals(7, wc.wrId(0));

        // Closing the wrappers leaves the native objects alone: new wrappers of them still work.
        qp.close();
        cq.close();
        assertEquals(0, ctx.liveChildren());
        QueuePair again = QueuePair.adopt(ctx, stub.qp());
        again.postSend(new SendRequests(1, 1).add(8, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x1000L, 16, 1));
        assertEquals(2, stub.postCalls());
        assertEquals(1, stub.pending());
    }

    @Test
    void closingTheContextClosesWhatWasAdoptedThroughIt() {
        QueuePair qp = QueuePair.adopt(ctx, stub.qp());
        CompletionQueue cq = CompletionQueue.adopt(ctx, stub.cq());
        ctx.close();
        assertTrue(qp.isClosed() && cq.isClosed());
        SendRequests wr = new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x1000L, 16, 1);
        assertThrows(IllegalStateException.class, () -> qp.postSend(wr));
        assertThrows(IllegalStateException.class, () -> cq.poll(new WorkCompletions(1)));
        assertThrows(IllegalStateException.class, () -> QueuePair.adopt(ctx, stub.qp()));
        assertEquals(0, stub.postCalls(), "nothing reached the provider after close");
    }

    @Test
    void queuesOfAnotherContextAreRefused() {
        try (StubProvider other = new StubProvider(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QueuePair.adopt(ctx, other.qp()));
            assertTrue(e.getMessage().contains("belongs to the context at"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CompletionQueue.adopt(ctx, other.cq()));
            assertThrows(IllegalArgumentException.class, () -> CompletionQueue.adopt(ctx, MemorySegment.NULL));
        }
        assertEquals(0, ctx.liveChildren());
    }
}
