package io.jverbs.examples;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.*;

/** The quick start of docs/verbs.md: two RC QPs on one device, connected to each other, one SEND. */
public final class QuickStart {
    public static void main(String[] args) {
        // The region is the quick start of README.md, docs/verbs.md and io.jverbs.verbs' package
        // doc; DocsInSyncTest fails when one of them differs from it.
        // @start region="quickstart"
        try (Context ctx = Context.openFirst();                                        // device -> context
             ProtectionDomain pd = ctx.allocateProtectionDomain();                     // PD + CQ
             CompletionQueue cq = ctx.createCompletionQueue(16);
             QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));    // QPs
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq))) {
            PathSettings opts = new PathSettings().gidIndex(ctx.bestGid(1).index()); // RoCE needs a GID
            Endpoint ea = a.endpoint(1, opts.gidIndex(), 1), eb = b.endpoint(1, opts.gidIndex(), 2);
            a.connect(ea, eb, opts);                      // across hosts, ea and eb travel out of band
            b.connect(eb, ea, opts);
            try (NativeBuffer buf = NativeBuffer.allocate(4096);                       // register memory
                 MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE)) {
                buf.segment().setString(0, "hello, RDMA");
                b.postReceive(new ReceiveRequests(1, 1).add(1).sge(mr, 2048, 2048));   // post
                a.postSend(new SendRequests(1, 1).add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 2048));
                WorkCompletions wc = new WorkCompletions(2);
                for (int done = 0; done < 2; ) {                                       // poll
                    for (int i = 0, n = cq.poll(wc); i < n; i++, done++) {
                        if (!wc.isSuccess(i)) throw new IllegalStateException(wc.describe(i));
                    }
                }
                System.out.println("received: " + buf.segment().getString(2048));
            }
        }
        // @end
    }
}
