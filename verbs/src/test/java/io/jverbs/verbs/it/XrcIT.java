package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Device;
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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * XRC on hardware that has it (mlx5): an initiator QP sends into two XRC SRQs of one domain
 * through one target QP. Soft-RoCE has no XRC; its error path is tested in ExtendedVerbsIT.
 * Run with {@code mvn -Pmlx5 test -pl verbs -am} (device from JVERBS_RDMA_DEV, else the first;
 * GID index from JVERBS_GID_INDEX, else the best RoCE v2 GID, -1 on InfiniBand).
 */
@Tag("mlx5")
class XrcIT {
    @Test
    void initiatorReachesTwoSrqsThroughOneTarget() {
        String dev = System.getenv("JVERBS_RDMA_DEV");
        try (Context ctx = dev == null ? Context.open(Device.first().name()) : Context.open(dev);
             NativeBuffer buf = NativeBuffer.allocate(1 << 16)) {
            int gid = System.getenv("JVERBS_GID_INDEX") != null ? Integer.parseInt(System.getenv("JVERBS_GID_INDEX"))
                    : ctx.queryPort(1).linkLayer() == io.jverbs.verbs.LinkLayer.ETHERNET ? ctx.bestGid(1).index() : -1;
            PathSettings o = new PathSettings().gidIndex(gid);
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            MemoryRegion mr = pd.register(buf, Access.ALL_REMOTE);
            CompletionQueue sendCq = ctx.createCompletionQueue(16);
            CompletionQueue recvCq = ctx.createCompletionQueue(16);
            XrcDomain xrcd = ctx.openXrcDomain();
            SharedReceiveQueue srq1 = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1).xrc(xrcd, recvCq));
            SharedReceiveQueue srq2 = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1).xrc(xrcd, recvCq));
            QueuePair initiator = pd.createQueuePair(new QueuePair.Config(QpType.XRC_SEND, sendCq, sendCq).maxRecvWr(0).maxRecvSge(0));
            QueuePair target = pd.createQueuePair(QueuePair.Config.xrcTarget(xrcd));
            Endpoint ei = initiator.endpoint(1, gid, 11);
            Endpoint et = target.endpoint(1, gid, 22);
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

            WorkCompletions wc = new WorkCompletions(4);
            int got = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (got < 2) {
                if (System.nanoTime() > deadline) fail("XRC receives did not complete");
                int n = recvCq.poll(wc);
                for (int i = 0; i < n; i++) {
                    assertTrue(wc.isSuccess(i), wc.describe(i));
                    assertEquals(WcOpcode.RECV, wc.opcode(i));
                }
                got += n;
            }
            assertEquals(0xBBBBL, mem.get(ValueLayout.JAVA_LONG, 4096), "srq1 got the second send");
            assertEquals(0xAAAAL, mem.get(ValueLayout.JAVA_LONG, 8192), "srq2 got the first send");
        }
    }
}
