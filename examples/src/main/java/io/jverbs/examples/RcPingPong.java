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
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.io.PrintStream;

import static io.jverbs.examples.PingPong.RECV_WRID;
import static io.jverbs.examples.PingPong.SEND_WRID;

/**
 * rdma-core's {@code ibv_rc_pingpong} in Java: one RC QP each side, {@code -n} round trips of a
 * {@code -s}-byte SEND. Same flags, output and TCP address exchange as the C program, so either
 * side may be C. On RoCE (Soft-RoCE too) both sides need {@code -g <gid index>}.
 *
 * <pre>
 * server: java ... io.jverbs.examples.RcPingPong -g 1
 * client: java ... io.jverbs.examples.RcPingPong -g 1 10.77.0.1
 * </pre>
 */
public final class RcPingPong {
    static final String USAGE = """
            Usage:
              RcPingPong            start a server and wait for connection
              RcPingPong <host>     connect to server at <host>

            Options:
              -p, --port=<port>      listen on/connect to port <port> (default 18515)
              -d, --ib-dev=<dev>     use IB device <dev> (default first device found)
              -i, --ib-port=<port>   use port <port> of IB device (default 1)
              -s, --size=<size>      size of message to exchange (default 4096)
              -m, --mtu=<size>       path MTU (default 1024)
              -r, --rx-depth=<dep>   number of receives to post at a time (default 500)
              -n, --iters=<iters>    number of exchanges (default 1000)
              -l, --sl=<sl>          service level value
              -e, --events           sleep on CQ events (default poll)
              -g, --gid-idx=<gid index> local port gid index
              -o, --odp              use on demand paging
              -c, --chk              validate received buffer
            """;

    private RcPingPong() {}

    public static void main(String[] args) {
        PingPong.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        PingPong.Options o = PingPong.parse(args, "p:d:i:s:m:r:n:l:eg:oc", 4096, USAGE, out, err);
        if (o == null) return PingPong.EXIT_USAGE;
        return PingPong.run(err, () -> pingpong(o, out, err));
    }

    private static int pingpong(PingPong.Options o, PrintStream out, PrintStream err) {
        boolean client = o.serverName != null;
        try (Context ctx = PingPong.open(o.ibDev);
             CompletionChannel channel = o.events ? ctx.createCompletionChannel() : null;
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             NativeBuffer buf = NativeBuffer.allocate(o.size);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | PingPong.odpAccess(ctx, o, PingPong.Odp.SEND | PingPong.Odp.RECV,
                     "The device isn't ODP capable or does not support RC send and receive with ODP"));
             CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(o.rxDepth + 1).channel(channel).vector(0));
             QueuePair qp = pd.createQueuePair(new QueuePair.Config(QpType.RC, cq, cq)
                     .maxSendWr(1).maxRecvWr(o.rxDepth).maxSendSge(1).maxRecvSge(1))) {
            buf.segment().fill((byte) 0x7b);
            // Path settings of pp_connect_ctx: no remote access, hop limit 1, the GRH only when the
            // peer sent a GID (see connect()).
            PathSettings opts = new PathSettings().port(o.ibPort).mtu(o.mtu).serviceLevel(o.sl).hopLimit(1).access(0);
            qp.toInit(opts);
            int sendFlags = SendFlags.SIGNALED | (qp.capabilities().maxInlineData() >= o.size ? SendFlags.INLINE : 0);

            // The data path reuses these three objects: building a request once and posting it
            // again and again is what the flyweights are for.
            ReceiveRequests recv = new ReceiveRequests(1, 1);
            recv.add(RECV_WRID).sge(mr.address(), o.size, mr.lkey());
            SendRequests send = new SendRequests(1, 1);
            send.add(SEND_WRID, WrOpcode.SEND, sendFlags).sge(mr.address(), o.size, mr.lkey());
            WorkCompletions wc = new WorkCompletions(2);

            int routs = PingPong.postReceives(qp, recv, o.rxDepth);
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
                    throw new PingPong.Failure("can't read sgid of index " + o.gidIndex + ": " + e.getMessage());
                }
            }
            Endpoint me = new Endpoint(port.lid(), qp.qpNumber(), PingPong.randomPsn(), gid);
            out.println(PingPong.addressLine("local address: ", me, ","));

            Endpoint[] mine = {me};
            Endpoint remote = client
                    ? PingPong.clientExchange(o.serverName, o.port, mine, 1)[0]
                    : PingPong.serverExchange(o.port, mine, 1, r -> PingPong.connectRc(qp, me, r[0], opts, o.gidIndex))[0];
            out.println(PingPong.addressLine("remote address:", remote, ","));
            out.flush();
            if (client) PingPong.connectRc(qp, me, remote, opts, o.gidIndex);

            PingPong.pingPong(o, client, out, buf, 0, qp, cq, channel, wc, send, recv, routs);
            // Leaving the block acks the CQ events and closes QP, CQ, MR, buffer, PD, channel, device.
            return 0;
        }
    }
}
