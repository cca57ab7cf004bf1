package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
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
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.XrcDomain;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * XRC, by the device's {@code IBV_DEVICE_XRC} flag: with it (mlx5), an initiator QP sends into
 * two XRC SRQs of one domain through one target QP; without it (Soft-RoCE), opening a domain and
 * creating an XRC QP fail with {@link NotSupportedException}s that name the device and the flag.
 */
@Tag("rdma")
class XrcIT {
    @Test
    void xrcWorksOrIsRefusedByCapability() {
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(1 << 16)) {
            if (ctx.queryDevice().supportsXrc()) {
                initiatorReachesTwoSrqsThroughOneTarget(ctx, buf);
            } else {
                refusedWithAClearError(ctx);
            }
        }
    }

    private static void refusedWithAClearError(Context ctx) {
        NotSupportedException e = assertThrows(NotSupportedException.class, ctx::openXrcDomain);
        System.out.println("XRC domain on " + TestDevice.device() + ": " + e.getMessage());
        assertEquals("XRC domains", e.feature());
        assertEquals(TestDevice.device(), e.device());
        assertTrue(e.getMessage().contains("IBV_DEVICE_XRC"), e.getMessage());
        assertEquals(0, ctx.liveChildren(), "a refused domain leaves nothing registered");

        ProtectionDomain pd = ctx.allocateProtectionDomain();
        CompletionQueue cq = ctx.createCompletionQueue(16);
        NotSupportedException q = assertThrows(NotSupportedException.class,
                () -> pd.createQueuePair(new QueuePair.Config(QpType.XRC_SEND, cq, cq).maxRecvWr(0).maxRecvSge(0)));
        System.out.println("XRC initiator QP on " + TestDevice.device() + ": " + q.getMessage());
        assertEquals("XRC QPs", q.feature());
        assertEquals(TestDevice.device(), q.device());
        assertTrue(q.getMessage().contains("IBV_DEVICE_XRC"), q.getMessage());
        assertEquals(0, pd.liveChildren(), "a refused QP leaves nothing registered");
    }

    private static void initiatorReachesTwoSrqsThroughOneTarget(Context ctx, NativeBuffer buf) {
        PathSettings o = TestDevice.options();
        ProtectionDomain pd = ctx.allocateProtectionDomain();
        MemoryRegion mr = pd.register(buf, Access.ALL_REMOTE);
        CompletionQueue sendCq = ctx.createCompletionQueue(16);
        CompletionQueue recvCq = ctx.createCompletionQueue(16);
        XrcDomain xrcd = ctx.openXrcDomain();
        SharedReceiveQueue srq1 = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1).xrc(xrcd, recvCq));
        SharedReceiveQueue srq2 = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1).xrc(xrcd, recvCq));
        QueuePair initiator = pd.createQueuePair(new QueuePair.Config(QpType.XRC_SEND, sendCq, sendCq).maxRecvWr(0).maxRecvSge(0));
        QueuePair target = pd.createQueuePair(QueuePair.Config.xrcTarget(xrcd));
        Endpoint ei = initiator.endpoint(o.port(), o.gidIndex(), 11);
        Endpoint et = target.endpoint(o.port(), o.gidIndex(), 22);
        initiator.connect(ei, et, o);
        target.connect(et, ei, o);

        srq1.postReceive(new ReceiveRequests(1, 1).add(1).sge(mr, 4096, 64));
        srq2.postReceive(new ReceiveRequests(1, 1).add(2).sge(mr, 8192, 64));
        MemorySegment mem = buf.segment();
        mem.set(ValueLayout.JAVA_LONG, 0, 0xAAAAL);
        mem.set(ValueLayout.JAVA_LONG, 8, 0xBBBBL);
        initiator.postSend(new SendRequests(2, 1)
                .add(10, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 8).xrcRemoteSrq(srq2.srqNumber())
                .add(11, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 8, 8).xrcRemoteSrq(srq1.srqNumber()));

        WorkCompletions wc = new WorkCompletions(2);
        TestDevice.pollUntil(recvCq, wc, 2);
        assertEquals(WcOpcode.RECV, wc.opcode(0));
        assertEquals(WcOpcode.RECV, wc.opcode(1));
        TestDevice.pollUntil(sendCq, wc, 2);
        assertEquals(0xBBBBL, mem.get(ValueLayout.JAVA_LONG, 4096), "srq1 got the second send");
        assertEquals(0xAAAAL, mem.get(ValueLayout.JAVA_LONG, 8192), "srq2 got the first send");
    }
}
