package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md §3: every call on a closed object throws IllegalStateException before native memory
 * is touched, closing twice is a no-op, and closing a parent closes its children. A failure here
 * is usually a JVM crash (SIGSEGV in libibverbs/librxe), which the launcher reports as a lost run.
 */
@Tag("rdma")
class UseAfterCloseIT {
    private Context ctx;
    private NativeBuffer buf;
    private ProtectionDomain pd;
    private MemoryRegion mr;
    private CompletionChannel channel;
    private CompletionQueue cq;
    private QueuePair qp;
    private QueuePair srqQp;
    private SharedReceiveQueue srq;
    private AddressHandle ah;
    private Endpoint udEndpoint;
    private final PathSettings o = TestDevice.options();
    private final SendRequests send = new SendRequests(1, 1);
    private final ReceiveRequests recv = new ReceiveRequests(1, 1);
    private final WorkCompletions wc = new WorkCompletions(4);

    @BeforeEach
    void create() {
        ctx = TestDevice.open();
        buf = NativeBuffer.allocate(8192);
        pd = ctx.allocateProtectionDomain();
        mr = pd.register(buf, Access.ALL_REMOTE);
        channel = ctx.createCompletionChannel();
        cq = ctx.createCompletionQueue(CompletionQueue.Config.of(16).channel(channel).vector(0));
        qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
        srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(8, 1));
        srqQp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).srq(srq));
        TestDevice.connect(qp, srqQp, o);
        QueuePair ud = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cq));
        udEndpoint = ud.endpoint(o.port(), o.gidIndex(), 0);
        ah = pd.createAddressHandle(udEndpoint, o);
        // Requests built while everything is open: posting them later must not reach native code.
        send.add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 16);
        recv.add(2).sge(mr, 4096, 64);
    }

    @AfterEach
    void close() {
        if (ctx != null) ctx.close();
        if (buf != null) buf.close();
    }

    private static void assertClosed(String what, Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, what + " on a closed object");
        assertTrue(e.getMessage() != null && e.getMessage().contains("closed"), what + ": " + e.getMessage());
    }

    /** Calls on each closed object, keyed by a name for the failure message. */
    private Map<String, Executable> contextCalls(Context c) {
        return Map.of(
                "Context.segment", c::segment,
                "Context.queryDevice", c::queryDevice,
                "Context.queryPort", () -> c.queryPort(1),
                "Context.queryGid", () -> c.queryGid(1, 0),
                "Context.gidTable", c::gidTable,
                "Context.bestGid", () -> c.bestGid(1),
                "Context.completionVectors", c::completionVectors,
                "Context.asyncFd", c::asyncFd,
                "Context.allocateProtectionDomain", c::allocateProtectionDomain,
                "Context.createCompletionQueue", () -> c.createCompletionQueue(4));
    }

    private void assertEverythingClosed() {
        contextCalls(ctx).forEach(UseAfterCloseIT::assertClosed);
        assertClosed("Context.createCompletionChannel", ctx::createCompletionChannel);

        assertClosed("ProtectionDomain.segment", pd::segment);
        assertClosed("ProtectionDomain.register(buffer)", () -> pd.register(buf, Access.LOCAL_WRITE));
        assertClosed("ProtectionDomain.register(address)", () -> pd.register(buf.address(), 4096, buf.address(), Access.LOCAL_WRITE));
        assertClosed("ProtectionDomain.createQueuePair", () -> pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq)));
        assertClosed("ProtectionDomain.createSharedReceiveQueue", () -> pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(4, 1)));
        assertClosed("ProtectionDomain.createAddressHandle", () -> pd.createAddressHandle(udEndpoint, o));

        assertClosed("MemoryRegion.lkey", mr::lkey);
        assertClosed("MemoryRegion.rkey", mr::rkey);
        assertClosed("MemoryRegion.address", () -> mr.address());
        assertClosed("MemoryRegion.address(offset)", () -> mr.address(8));
        assertClosed("MemoryRegion.segment", mr::segment);
        assertClosed("MemoryRegion.memory", mr::memory);
        assertClosed("SendRequests.sge(closed mr)", () -> new SendRequests(1, 1).add(0, WrOpcode.SEND, 0).sge(mr, 0, 8));

        assertClosed("CompletionChannel.fd", channel::fd);
        assertClosed("CompletionChannel.segment", channel::segment);
        assertClosed("CompletionChannel.awaitEvent", () -> channel.awaitEvent(Duration.ofMillis(10)));
        assertClosed("CompletionChannel.awaitEvent()", () -> channel.awaitEvent());

        assertClosed("CompletionQueue.poll", () -> cq.poll(wc));
        assertClosed("CompletionQueue.poll(max)", () -> cq.poll(wc, 1));
        assertClosed("CompletionQueue.requestNotify", () -> cq.requestNotify(false));
        assertClosed("CompletionQueue.ackEvents", cq::ackEvents);
        assertClosed("CompletionQueue.capacity", cq::capacity);
        assertClosed("CompletionQueue.segment", cq::segment);

        assertClosed("QueuePair.postSend", () -> qp.postSend(send));
        assertClosed("QueuePair.postReceive", () -> qp.postReceive(recv));
        assertClosed("QueuePair.state", qp::state);
        assertClosed("QueuePair.endpoint", () -> qp.endpoint(1, 1, 0));
        assertClosed("QueuePair.toInit", () -> qp.toInit(o));
        assertClosed("QueuePair.toRtr", () -> qp.toRtr(srqQp.endpoint(1, 1, 0), o));
        assertClosed("QueuePair.toRts", () -> qp.toRts(0, o));
        assertClosed("QueuePair.toError", qp::toError);
        assertClosed("QueuePair.reset", qp::reset);
        assertClosed("QueuePair.segment", qp::segment);
        assertClosed("QueuePair.modify", () -> qp.modify(MemorySegment.NULL, 0));

        assertClosed("SharedReceiveQueue.postReceive", () -> srq.postReceive(recv));
        assertClosed("SharedReceiveQueue.query", srq::query);
        assertClosed("SharedReceiveQueue.armLimit", () -> srq.armLimit(1));
        assertClosed("SharedReceiveQueue.resize", () -> srq.resize(16));
        assertClosed("SharedReceiveQueue.segment", srq::segment);

        assertClosed("AddressHandle.segment", ah::segment);
        assertClosed("SendRequests.ud(closed ah)", () -> new SendRequests(1, 1).add(0, WrOpcode.SEND, 0).ud(ah, 1, 1));
    }

    @Test
    void closingTheContextClosesEveryChildAndEveryCallThrows() {
        // Something in flight when the parent goes away.
        srq.postReceive(recv);
        qp.postSend(send);
        assertTrue(ctx.liveChildren() >= 3, "PD, channel and CQ hang off the context");

        ctx.close();

        for (var r : List.of(ctx, pd, mr, channel, cq, qp, srqQp, srq, ah)) {
            assertTrue(r.isClosed(), r + " closed with its context");
            assertEquals(0, r.liveChildren(), r + " has no children left");
        }
        assertFalse(buf.isClosed(), "a NativeBuffer is not owned by the context");
        assertEverythingClosed();
        // Data already in the buffer stays readable: only the registration is gone.
        assertDoesNotThrow(() -> buf.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void closingInLeafOrderWorksAndEveryCallThrows() {
        ah.close();
        srqQp.close();
        qp.close();
        srq.close();
        cq.close();
        channel.close();
        mr.close();
        pd.close();
        assertEquals(0, ctx.liveChildren(), "children unregister from their parent when closed");
        ctx.close();
        assertEverythingClosed();
    }

    @Test
    void closingTwiceIsANoOp() {
        for (AutoCloseable r : List.<AutoCloseable>of(ah, srqQp, qp, srq, cq, channel, mr, pd, ctx, buf)) {
            assertDoesNotThrow(r::close);
            assertDoesNotThrow(r::close, r + " closed twice");
        }
    }

    @Test
    void closingAParentClosesOnlyWhatDependsOnIt() {
        cq.close();
        assertTrue(qp.isClosed() && srqQp.isClosed(), "QPs using the CQ go first");
        assertFalse(srq.isClosed(), "the SRQ does not use the CQ");
        assertFalse(pd.isClosed());
        assertFalse(ah.isClosed());
        assertFalse(channel.isClosed(), "the channel outlives its CQ");
        assertClosed("QueuePair.postSend", () -> qp.postSend(send));
        assertDoesNotThrow(() -> srq.postReceive(recv), "the SRQ still works");

        srq.close();
        pd.close();
        assertTrue(mr.isClosed() && ah.isClosed(), "MR and AH go with their PD");
        assertClosed("MemoryRegion.lkey", mr::lkey);
        assertFalse(ctx.isClosed());
        assertDoesNotThrow(ctx::queryDevice, "the context still works");
        assertDoesNotThrow(() -> channel.fd());
    }

    @Test
    void closedNativeBufferRefusesAccess() {
        NativeBuffer b = NativeBuffer.allocate(4096);
        MemorySegment seg = b.segment();
        b.close();
        assertTrue(b.isClosed());
        assertClosed("NativeBuffer.segment", b::segment);
        assertClosed("NativeBuffer.address", () -> b.address());
        assertClosed("NativeBuffer.address(offset)", () -> b.address(8));
        assertClosed("NativeBuffer.slice", () -> b.slice(0, 8));
        // The segment handed out earlier is tied to the buffer: no read of unmapped memory.
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
        assertDoesNotThrow(b::close);
        assertEquals(4096, b.size(), "the size stays readable");
        assertClosed("ProtectionDomain.register(closed buffer)", () -> pd.register(b, Access.LOCAL_WRITE));
    }
}
