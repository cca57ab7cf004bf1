/**
 * RDMA verbs for Java: one class per libibverbs object, named after it ({@link Context},
 * {@link ProtectionDomain}, {@link MemoryRegion}, {@link CompletionQueue}, {@link QueuePair},
 * {@link SharedReceiveQueue}, {@link AddressHandle}, ...), and flyweights over native memory
 * ({@link SendRequests}, {@link ReceiveRequests}, {@link WorkCompletions}) that are built once and
 * posted or polled again and again without allocating.
 *
 * <h2>Quick start</h2>
 * The path every program walks: device, context, PD and CQ, QPs, exchange endpoints, connect,
 * register memory, post, poll. Two RC QPs on one device, connected to each other, so it runs as
 * is on any single device (Soft-RoCE included); between hosts the {@link Endpoint}s travel out of
 * band. This is {@code examples/.../QuickStart.java}:
 * {@snippet :
 * try (Context ctx = Context.openFirst();                                        // device -> context
 *      ProtectionDomain pd = ctx.allocateProtectionDomain();                     // PD + CQ
 *      CompletionQueue cq = ctx.createCompletionQueue(16);
 *      QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));    // QPs
 *      QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq))) {
 *     PathSettings opts = new PathSettings().gidIndex(ctx.bestGid(1).index()); // RoCE needs a GID
 *     Endpoint ea = a.endpoint(1, opts.gidIndex(), 1), eb = b.endpoint(1, opts.gidIndex(), 2);
 *     a.connect(ea, eb, opts);                      // across hosts, ea and eb travel out of band
 *     b.connect(eb, ea, opts);
 *     try (NativeBuffer buf = NativeBuffer.allocate(4096);                       // register memory
 *          MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE)) {
 *         buf.segment().setString(0, "hello, RDMA");
 *         b.postReceive(new ReceiveRequests(1, 1).add(1).sge(mr, 2048, 2048));   // post
 *         a.postSend(new SendRequests(1, 1).add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 2048));
 *         WorkCompletions wc = new WorkCompletions(2);
 *         for (int done = 0; done < 2; ) {                                       // poll
 *             for (int i = 0, n = cq.poll(wc); i < n; i++, done++) {
 *                 if (!wc.isSuccess(i)) throw new IllegalStateException(wc.describe(i));
 *             }
 *         }
 *         System.out.println("received: " + buf.segment().getString(2048));
 *     }
 * }
 * }
 *
 * <h2>Rules</h2>
 * Every wrapper is a {@link io.jverbs.core.NativeResource}: it closes with its parent and with
 * everything it uses, children first, and a call on a closed resource throws before native memory
 * is touched. Flyweights are not thread-safe (one per thread); poll a CQ from one thread. A failed
 * work request is not an exception: check {@link WorkCompletions#isSuccess(int)}. docs/verbs.md
 * has the full guide: lifetimes, threading, errors, the extended APIs.
 */
package io.jverbs.verbs;
