import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

/**
 * post_poll.c through jverbs: an RC QP connected to itself, a signaled 64-byte RDMA WRITE posted
 * and its completion polled, N times; then N*10 polls of the empty CQ. 3 rounds, after 20000
 * empty polls to compile the poll path. Usage: java PostPollCost N [GID_INDEX]
 */
public final class PostPollCost {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int gidIndex = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        try (Context ctx = Context.openFirst();
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(64);
             QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             NativeBuffer buf = NativeBuffer.allocate(4096);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.REMOTE_WRITE)) {
            Endpoint self = qp.endpoint(1, gidIndex, 1);
            qp.connect(self, self, new PathSettings().gidIndex(gidIndex));
            SendRequests write = new SendRequests(1, 1).add(7, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED)
                    .sge(mr, 0, 64).rdma(mr.address(2048), mr.rkey());
            WorkCompletions wc = new WorkCompletions(1);
            for (int i = 0; i < 20_000; i++) {
                if (cq.poll(wc) != 0) throw new IllegalStateException("a completion from nowhere");
            }
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    qp.postSend(write);
                    while (cq.poll(wc) == 0) {
                        // spin, as post_poll.c does
                    }
                    if (!wc.isSuccess(0)) throw new IllegalStateException(wc.describe(0));
                }
                long t1 = System.nanoTime();
                for (long i = 0; i < 10L * n; i++) {
                    if (cq.poll(wc) != 0) throw new IllegalStateException("a completion from nowhere");
                }
                long t2 = System.nanoTime();
                System.out.printf("Java  RDMA WRITE post+poll %10.0f ns/op   empty poll %7.0f ns%n",
                        (t1 - t0) / (double) n, (t2 - t1) / (10.0 * n));
            }
        }
    }
}
