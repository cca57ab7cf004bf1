package io.jverbs.examples;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.LinkLayer;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.PortAttributes;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.io.PrintStream;

import static io.jverbs.examples.PingPong.RECV_WRID;
import static io.jverbs.examples.PingPong.SEND_WRID;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * rdma-core's {@code ibv_srq_pingpong} in Java: {@code -q} RC QPs (default 16) that all receive
 * from one shared receive queue and complete on one CQ; {@code -n} counts exchanges over all QPs
 * together. Both sides must use the same {@code -q}. The address exchange always carries 256
 * messages (the C program's MAX_QP), zero beyond {@code -q}.
 */
public final class SrqPingPong {
    private static final int MAX_QP = 256;

    static final String USAGE = """
            Usage:
              SrqPingPong            start a server and wait for connection
              SrqPingPong <host>     connect to server at <host>

            Options:
              -p, --port=<port>      listen on/connect to port <port> (default 18515)
              -d, --ib-dev=<dev>     use IB device <dev> (default first device found)
              -i, --ib-port=<port>   use port <port> of IB device (default 1)
              -s, --size=<size>      size of message to exchange (default 4096)
              -m, --mtu=<size>       path MTU (default 1024)
              -q, --num-qp=<num>     number of QPs to use (default 16)
              -r, --rx-depth=<dep>   number of receives to post at a time (default 500)
              -n, --iters=<iters>    number of exchanges per QP(default 1000)
              -l, --sl=<sl>          service level value
              -e, --events           sleep on CQ events (default poll)
              -g, --gid-idx=<gid index> local port gid index
              -o, --odp              use on demand paging
              -c, --chk              validate received buffer
            """;

    private SrqPingPong() {}

    public static void main(String[] args) {
        PingPong.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        PingPong.Options o = PingPong.parse(args, "p:d:i:s:m:q:r:n:l:eog:c", 4096, USAGE, out, err);
        if (o == null) return PingPong.EXIT_USAGE;
        if (o.numQp > o.rxDepth) {
            err.printf("rx_depth %d is too small for %d QPs -- must have at least one receive per QP.%n", o.rxDepth, o.numQp);
            return PingPong.EXIT_FAILURE;
        }
        if (o.numQp >= MAX_QP) {
            err.printf("num_qp %d must be less than %d%n", o.numQp, MAX_QP - 1);
            return PingPong.EXIT_FAILURE;
        }
        return PingPong.run(err, () -> pingpong(o, out, err));
    }

    private static int pingpong(PingPong.Options o, PrintStream out, PrintStream err) {
        boolean client = o.serverName != null;
        int numQp = o.numQp;
        try (Context ctx = PingPong.open(o.ibDev);
             CompletionChannel channel = o.events ? ctx.createCompletionChannel() : null;
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             NativeBuffer buf = NativeBuffer.allocate(o.size);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | PingPong.odpAccess(ctx, o,
                     PingPong.Odp.SEND | PingPong.Odp.SRQ_RECV,
                     "The device isn't ODP capable or does not support RC send, receive and srq with ODP"));
             CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(o.rxDepth + numQp).channel(channel).vector(0));
             SharedReceiveQueue srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(o.rxDepth, 1))) {
            // The QPs are children of the PD, CQ and SRQ: closing any of those closes them first.
            QueuePair[] qp = new QueuePair[numQp];
            int sendFlags = SendFlags.SIGNALED;
            for (int i = 0; i < numQp; i++) {
                qp[i] = pd.createQueuePair(new QueuePair.Config(QpType.RC, cq, cq).srq(srq).maxSendWr(1).maxSendSge(1));
                if (qp[i].capabilities().maxInlineData() >= o.size) sendFlags |= SendFlags.INLINE;
            }
            PathSettings opts = new PathSettings().port(o.ibPort).mtu(o.mtu).serviceLevel(o.sl).hopLimit(1).access(0);
            for (QueuePair q : qp) q.toInit(opts);

            ReceiveRequests recv = new ReceiveRequests(1, 1);
            recv.add(RECV_WRID).sge(mr.address(), o.size, mr.lkey());
            SendRequests send = new SendRequests(1, 1);
            send.add(SEND_WRID, WrOpcode.SEND, sendFlags).sge(mr.address(), o.size, mr.lkey());
            WorkCompletions wc = new WorkCompletions(numQp + o.rxDepth);

            int routs = PingPong.postReceives(srq, recv, o.rxDepth);
            if (routs < o.rxDepth) throw new PingPong.Failure("Couldn't post receive (" + routs + ")");
            if (o.events) cq.requestNotify(false);
            PingPong.warmUp(cq, wc);

            PortAttributes port = ctx.queryPort(o.ibPort);
            if (port.linkLayer() != LinkLayer.ETHERNET && port.lid() == 0) throw new PingPong.Failure("Couldn't get local LID");
            Gid gid = Gid.ZERO;
            if (o.gidIndex >= 0) {
                try {
                    gid = ctx.queryGid(o.ibPort, o.gidIndex).gid();
                } catch (VerbsException e) {
                    throw new PingPong.Failure("Could not get local gid for gid index " + o.gidIndex + ": " + e.getMessage());
                }
            }
            Endpoint[] me = new Endpoint[numQp];
            int[] qpns = new int[numQp];
            for (int i = 0; i < numQp; i++) {
                qpns[i] = qp[i].qpNumber();
                me[i] = new Endpoint(port.lid(), qpns[i], PingPong.randomPsn(), gid);
                out.println(PingPong.addressLine("local address: ", me[i], ","));
            }

            Endpoint[] remote = client
                    ? PingPong.clientExchange(o.serverName, o.port, me, MAX_QP)
                    : PingPong.serverExchange(o.port, me, MAX_QP, r -> connect(qp, me, r, opts, o.gidIndex));
            for (int i = 0; i < numQp; i++) out.println(PingPong.addressLine("remote address:", remote[i], ","));
            out.flush();
            if (client) connect(qp, me, remote, opts, o.gidIndex);

            int[] pending = new int[numQp];
            if (client) {
                if (o.check) {
                    for (int i = 0; i < o.size; i += PingPong.pageSize()) buf.segment().set(JAVA_BYTE, i, PingPong.checkByte(i));
                }
                for (int i = 0; i < numQp; i++) {
                    PingPong.postSend(qp[i], send);
                    pending[i] = SEND_WRID | RECV_WRID;
                }
            } else {
                java.util.Arrays.fill(pending, RECV_WRID);
            }

            long start = System.nanoTime();
            int rcnt = 0, scnt = 0;
            while (rcnt < o.iters || scnt < o.iters) {
                int ne = PingPong.awaitCompletions(o, cq, channel, wc);
                for (int i = 0; i < ne; i++) {
                    PingPong.requireSuccess(wc, i);
                    int q = indexOf(qpns, wc.qpNumber(i));
                    if (q < 0) throw new PingPong.Failure(String.format("Couldn't find QPN %06x", wc.qpNumber(i)));
                    int wrId = (int) wc.wrId(i);
                    switch (wrId) {
                        case SEND_WRID -> scnt++;
                        case RECV_WRID -> {
                            if (--routs <= numQp) {
                                routs += PingPong.postReceives(srq, recv, o.rxDepth - routs);
                                if (routs < o.rxDepth) throw new PingPong.Failure("Couldn't post receive (" + routs + ")");
                            }
                            rcnt++;
                        }
                        default -> throw new PingPong.Failure("Completion for unknown wr_id " + wrId);
                    }
                    pending[q] &= ~wrId;
                    if (scnt < o.iters && pending[q] == 0) {
                        PingPong.postSend(qp[q], send);
                        pending[q] = RECV_WRID | SEND_WRID;
                    }
                }
            }
            long end = System.nanoTime();

            PingPong.report(out, start, end, o.size, o.iters);
            if (!client && o.check) {
                for (int i = 0; i < o.size; i += PingPong.pageSize()) {
                    if (buf.segment().get(JAVA_BYTE, i) != PingPong.checkByte(i)) {
                        out.println("invalid data in page " + i / PingPong.pageSize());
                    }
                }
                out.flush();
            }
            return 0;
        }
    }

    /** Every QP to RTR/RTS towards its peer; like the C program, the first remote GID decides about the GRH. */
    private static void connect(QueuePair[] qp, Endpoint[] me, Endpoint[] remote, PathSettings opts, int gidIndex) {
        for (int i = 0; i < qp.length; i++) {
            Endpoint r = new Endpoint(remote[i].lid(), remote[i].qpn(), remote[i].psn(), remote[0].gid());
            PingPong.connectRc(qp[i], me[i], r, opts, gidIndex);
        }
    }

    private static int indexOf(int[] qpns, int qpn) {
        for (int i = 0; i < qpns.length; i++) {
            if (qpns[i] == qpn) return i;
        }
        return -1;
    }
}
