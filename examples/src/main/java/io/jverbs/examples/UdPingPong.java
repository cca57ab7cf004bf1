package io.jverbs.examples;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
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
 * rdma-core's {@code ibv_ud_pingpong} in Java: one UD QP each side, an address handle to the peer,
 * {@code -n} round trips of a {@code -s}-byte datagram (at most the port's active MTU). Receive
 * buffers have 40 bytes in front for the GRH the device writes there. Flags, output and TCP
 * exchange as the C program; on RoCE both sides need {@code -g <gid index>}.
 */
public final class UdPingPong {
    /** Room for the Global Route Header a UD receive starts with (IBV_WC_GRH). */
    private static final int GRH = 40;
    private static final int QKEY = 0x11111111;

    static final String USAGE = """
            Usage:
              UdPingPong            start a server and wait for connection
              UdPingPong <host>     connect to server at <host>

            Options:
              -p, --port=<port>      listen on/connect to port <port> (default 18515)
              -d, --ib-dev=<dev>     use IB device <dev> (default first device found)
              -i, --ib-port=<port>   use port <port> of IB device (default 1)
              -s, --size=<size>      size of message to exchange (default 1024)
              -r, --rx-depth=<dep>   number of receives to post at a time (default 500)
              -n, --iters=<iters>    number of exchanges (default 1000)
              -l, --sl=<SL>          send messages with service level <SL> (default 0)
              -e, --events           sleep on CQ events (default poll)
              -g, --gid-idx=<gid index> local port gid index
              -c, --chk              validate received buffer
            """;

    private UdPingPong() {}

    public static void main(String[] args) {
        PingPong.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        // The C program's usage says 2048, its code uses 1024: the code wins.
        PingPong.Options o = PingPong.parse(args, "p:d:i:s:r:n:l:eg:c", 1024, USAGE, out, err);
        if (o == null) return PingPong.EXIT_USAGE;
        return PingPong.run(err, () -> pingpong(o, out, err));
    }

    private static int pingpong(PingPong.Options o, PrintStream out, PrintStream err) {
        boolean client = o.serverName != null;
        try (Context ctx = PingPong.open(o.ibDev)) {
            PortAttributes port = ctx.queryPort(o.ibPort);
            if (o.size > port.activeMtu().bytes()) {
                throw new PingPong.Failure("Requested size larger than port MTU (" + port.activeMtu().bytes() + ")");
            }
            try (CompletionChannel channel = o.events ? ctx.createCompletionChannel() : null;
                 ProtectionDomain pd = ctx.allocateProtectionDomain();
                 NativeBuffer buf = NativeBuffer.allocate(o.size + GRH);
                 MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
                 CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(o.rxDepth + 1).channel(channel).vector(0));
                 QueuePair qp = pd.createQueuePair(new QueuePair.Config(QpType.UD, cq, cq)
                         .maxSendWr(1).maxRecvWr(o.rxDepth).maxSendSge(1).maxRecvSge(1))) {
                buf.segment().fill((byte) 0x7b);
                PathSettings opts = new PathSettings().port(o.ibPort).serviceLevel(o.sl).hopLimit(1).qkey(QKEY);
                qp.toInit(opts);
                int sendFlags = SendFlags.SIGNALED | (qp.capabilities().maxInlineData() >= o.size ? SendFlags.INLINE : 0);

                ReceiveRequests recv = new ReceiveRequests(1, 1);
                recv.add(RECV_WRID).sge(mr.address(), o.size + GRH, mr.lkey());
                WorkCompletions wc = new WorkCompletions(2);

                int routs = PingPong.postReceives(qp, recv, o.rxDepth);
                if (routs < o.rxDepth) throw new PingPong.Failure("Couldn't post receive (" + routs + ")");
                if (o.events) cq.requestNotify(false);
                PingPong.warmUp(cq, wc);

                Gid gid = Gid.ZERO;
                if (o.gidIndex >= 0) {
                    try {
                        gid = ctx.queryGid(o.ibPort, o.gidIndex).gid();
                    } catch (VerbsException e) {
                        throw new PingPong.Failure("Could not get local gid for gid index " + o.gidIndex + ": " + e.getMessage());
                    }
                }
                Endpoint me = new Endpoint(port.lid(), qp.qpNumber(), PingPong.randomPsn(), gid);
                // The C program prints "PSN 0x...: GID" on this line only.
                out.println(PingPong.addressLine("local address: ", me, ":"));

                AddressHandle[] ah = new AddressHandle[1];
                Endpoint[] mine = {me};
                Endpoint remote = client
                        ? PingPong.clientExchange(o.serverName, o.port, mine, 1)[0]
                        : PingPong.serverExchange(o.port, mine, 1, r -> ah[0] = connect(pd, qp, me, r[0], opts, o.gidIndex))[0];
                out.println(PingPong.addressLine("remote address:", remote, ","));
                out.flush();
                if (client) ah[0] = connect(pd, qp, me, remote, opts, o.gidIndex);

                // The AH is a child of the PD: the try block closes it before the PD.
                SendRequests send = new SendRequests(1, 1);
                send.add(SEND_WRID, WrOpcode.SEND, sendFlags).sge(mr.address() + GRH, o.size, mr.lkey()).ud(ah[0], remote.qpn(), QKEY);

                PingPong.pingPong(o, client, out, buf, GRH, qp, cq, channel, wc, send, recv, routs);
                return 0;
            }
        }
    }

    /** RTR, RTS, then the address handle to the peer (pp_connect_ctx of ud_pingpong.c). */
    private static AddressHandle connect(ProtectionDomain pd, QueuePair qp, Endpoint me, Endpoint remote,
                                         PathSettings opts, int gidIndex) {
        try {
            qp.toRtr(remote, opts);
        } catch (VerbsException e) {
            throw new PingPong.Failure("Failed to modify QP to RTR: " + e.getMessage());
        }
        try {
            qp.toRts(me.psn(), opts);
        } catch (VerbsException e) {
            throw new PingPong.Failure("Failed to modify QP to RTS: " + e.getMessage());
        }
        opts.gidIndex(remote.gid().low() != 0 ? Math.max(gidIndex, 0) : -1);
        try {
            return pd.createAddressHandle(remote, opts);
        } catch (VerbsException e) {
            throw new PingPong.Failure("Failed to create AH: " + e.getMessage());
        }
    }
}
