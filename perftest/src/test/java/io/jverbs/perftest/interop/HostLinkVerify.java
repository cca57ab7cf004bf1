package io.jverbs.perftest.interop;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.Mtu;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Java side of {@code src/test/c/hostlink_verify.c} (read its header for the protocol): RC and
 * UC round trips of RDMA WRITE with immediate and SEND with immediate, UD round trips of SEND with
 * immediate, each message's data, length and immediate checked by its receiver, and a closing
 * handshake over TCP. Runs on any device
 * (RxeInteropTest: {@code jsoft0} against the C program on rxe0).
 *
 * <pre>
 * java ... io.jverbs.perftest.interop.HostLinkVerify -d jsoft0 -g 1 -p PORT -n ITERS -s SIZE -c RC,UC,UD [SERVER]
 * </pre>
 * Exit 0 when everything checked out; 1 with a line on stderr saying what did not.
 */
public final class HostLinkVerify {
    static final int LINE = 73;
    static final int WAIT_SECONDS = 30;
    static final int GRH = 40;
    /** A UD message fits one packet at MTU 1024. */
    static final int UD_MAX = 1000;
    static final int QKEY = 0x11111111;

    private HostLinkVerify() {}

    /** Byte {@code j} of side {@code s}'s message {@code i} on the {@code t}-th transport (as the C program). */
    static byte pattern(int s, int t, int i, int j) {
        return (byte) (i * 7 + j * 13 + (j >> 8) + s * 101 + t * 53);
    }

    /** The immediate of side {@code s}'s message {@code i}. */
    static int immediate(int s, int i) {
        return 0x5a000000 | s << 16 | i;
    }

    /** A failed check: its message is the line the program prints. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        int status;
        try {
            run(args);
            status = 0;
        } catch (IOException | RuntimeException e) {
            System.err.println(e instanceof Failure ? e.getMessage() : e.toString());
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    private static void run(String[] args) throws IOException {
        String dev = "jsoft0";
        String transports = "RC";
        String server = null;
        int gidx = 1;
        int port = 18515;
        int iters = 50;
        int size = 4093;
        for (int k = 0; k < args.length; k++) {
            switch (args[k]) {
                case "-d" -> dev = args[++k];
                case "-g" -> gidx = Integer.parseInt(args[++k]);
                case "-p" -> port = Integer.parseInt(args[++k]);
                case "-n" -> iters = Integer.parseInt(args[++k]);
                case "-s" -> size = Integer.parseInt(args[++k]);
                case "-c" -> transports = args[++k];
                default -> server = args[k];
            }
        }
        if (iters < 2 || iters > 0xffff || size < 1) {
            throw new Failure("-n must be 2..65535 and -s positive");
        }
        int me = server != null ? 0 : 1;
        try (Socket tcp = connect(server, port);
             Context ctx = Context.open(dev);
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             NativeBuffer buf = NativeBuffer.allocate(2L * size + GRH);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.REMOTE_WRITE)) {
            DataInputStream in = new DataInputStream(tcp.getInputStream());
            OutputStream out = tcp.getOutputStream();
            Gid gid = ctx.queryGid(1, gidx).gid();
            String[] names = transports.split(",");
            for (int t = 0; t < names.length; t++) {
                QpType type = switch (names[t]) {
                    case "RC" -> QpType.RC;
                    case "UC" -> QpType.UC;
                    case "UD" -> QpType.UD;
                    default -> throw new Failure("-c takes RC, UC and UD, not " + names[t]);
                };
                try (CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(16));
                     QueuePair qp = pd.createQueuePair(new QueuePair.Config(type, cq, cq)
                             .maxSendWr(2).maxRecvWr(4).maxSendSge(1).maxRecvSge(1))) {
                    phase(names[t], t, me, server != null, iters, size, gid, gidx, buf, pd, mr, cq, qp, in, out);
                }
            }
        }
    }

    private static Socket connect(String server, int port) throws IOException {
        if (server != null) {
            // Retry a refused connection for a while: the client may start before the server listens.
            long deadline = System.nanoTime() + WAIT_SECONDS * 1_000_000_000L;
            for (;;) {
                try {
                    return new Socket(server, port);
                } catch (java.net.ConnectException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
        try (ServerSocket l = new ServerSocket()) {
            l.setReuseAddress(true);
            l.bind(new InetSocketAddress(port), 1);
            return l.accept();
        }
    }

    private static void phase(String name, int t, int me, boolean client, int iters, int size, Gid gid, int gidx,
                              NativeBuffer buf, ProtectionDomain pd, MemoryRegion mr, CompletionQueue cq, QueuePair qp,
                              DataInputStream in, OutputStream out) throws IOException {
        boolean ud = qp.type() == QpType.UD;
        int len = ud ? Math.min(size, UD_MAX) : size; // UD: one packet a message, received after the GRH
        int at0 = ud ? GRH : 0;
        long recvArea = mr.address() + size;
        PathSettings opts = new PathSettings().mtu(Mtu.MTU_1024).gidIndex(gidx).hopLimit(64)
                .access(Access.LOCAL_WRITE | Access.REMOTE_WRITE).qkey(QKEY);
        qp.toInit(opts);
        ReceiveRequests recv = new ReceiveRequests(1, 1);
        recv.add(1).sge(recvArea, len + at0, mr.lkey());
        for (int k = 0; k < 2; k++) {
            qp.postReceive(recv);
        }
        int psn = ThreadLocalRandom.current().nextInt() & 0xffffff;
        String line = String.format(Locale.ROOT, "%06x:%06x:%08x:%016x:%s\n", qp.qpNumber(), psn, mr.rkey(), recvArea,
                HexFormat.of().formatHex(gid.toBytes()));
        byte[] theirs = new byte[LINE];
        if (client) {
            out.write(line.getBytes(StandardCharsets.US_ASCII));
            in.readFully(theirs);
        } else {
            in.readFully(theirs);
        }
        String[] f = new String(theirs, StandardCharsets.US_ASCII).strip().split(":");
        if (f.length != 5 || f[4].length() != 32) {
            throw new Failure(name + ": bad address line from the peer: " + new String(theirs, StandardCharsets.US_ASCII));
        }
        int rqpn = Integer.parseInt(f[0], 16);
        int rpsn = Integer.parseInt(f[1], 16);
        int rrkey = Integer.parseUnsignedInt(f[2], 16);
        long rva = Long.parseUnsignedLong(f[3], 16);
        Gid rgid = Gid.of(HexFormat.of().parseHex(f[4]));
        Endpoint remote = new Endpoint(0, rqpn, rpsn, rgid);
        qp.toRtr(remote, opts);
        qp.toRts(psn, opts);
        if (!client) {
            out.write(line.getBytes(StandardCharsets.US_ASCII));
        }
        try (AddressHandle ah = ud ? pd.createAddressHandle(remote, opts) : null) {
            loop(name, t, me, client, iters, len, at0, ah, rqpn, rrkey, rva, buf, size, mr, cq, qp, recv, in, out);
        }
    }

    private static void loop(String name, int t, int me, boolean client, int iters, int len, int at0, AddressHandle ah,
                             int rqpn, int rrkey, long rva, NativeBuffer buf, int size, MemoryRegion mr, CompletionQueue cq,
                             QueuePair qp, ReceiveRequests recv, DataInputStream in, OutputStream out) throws IOException {
        int peer = 1 - me;
        boolean ud = ah != null;
        long sendArea = mr.address();
        SendRequests send = new SendRequests(1, 1);
        WorkCompletions wc = new WorkCompletions(4);
        ArrayDeque<long[]> stash = new ArrayDeque<>(); // completions polled before they were waited for
        for (int i = 0; i < iters; i++) {
            for (int turn = 0; turn < 2; turn++) {
                boolean sending = (turn == 0) == (me == 0);
                String what = name + " message " + i + (sending ? " sent" : " received");
                if (sending) {
                    for (int j = 0; j < len; j++) {
                        buf.segment().set(ValueLayout.JAVA_BYTE, j, pattern(me, t, i, j));
                    }
                    send.clear();
                    send.add(2, i % 2 == 1 || ud ? WrOpcode.SEND_WITH_IMM : WrOpcode.RDMA_WRITE_WITH_IMM, SendFlags.SIGNALED)
                            .sge(sendArea, len, mr.lkey()).immediate(immediate(me, i));
                    if (ud) {
                        send.ud(ah, rqpn, QKEY);
                    } else if (i % 2 == 0) {
                        send.rdma(rva, rrkey);
                    }
                    qp.postSend(send);
                    await(cq, wc, stash, false, what);
                } else {
                    long[] c = await(cq, wc, stash, true, what);
                    WcOpcode op = i % 2 == 1 || ud ? WcOpcode.RECV : WcOpcode.RECV_RDMA_WITH_IMM;
                    if (c[1] != op.code()) {
                        throw new Failure(what + ": completion opcode " + c[1] + ", not " + op.code());
                    }
                    if ((c[4] & WorkCompletions.FLAG_WITH_IMM) == 0) {
                        throw new Failure(what + ": no immediate");
                    }
                    if ((int) c[2] != immediate(peer, i)) {
                        throw new Failure(String.format(Locale.ROOT, "%s: immediate 0x%08x, not 0x%08x", what, (int) c[2],
                                immediate(peer, i)));
                    }
                    if (c[3] != len + at0) {
                        throw new Failure(what + ": byte_len " + c[3] + ", not " + (len + at0));
                    }
                    if (ud && c[5] != rqpn) {
                        throw new Failure(String.format(Locale.ROOT, "%s: source QP 0x%06x, not 0x%06x", what, c[5], rqpn));
                    }
                    for (int j = 0; j < len; j++) {
                        byte b = buf.segment().get(ValueLayout.JAVA_BYTE, size + at0 + j);
                        if (b != pattern(peer, t, i, j)) {
                            throw new Failure(String.format(Locale.ROOT, "%s: byte %d is 0x%02x, not 0x%02x", what, j, b & 0xff,
                                    pattern(peer, t, i, j) & 0xff));
                        }
                    }
                    qp.postReceive(recv);
                }
            }
        }
        // Both sides' last sends have completed: now neither needs the other's QP.
        byte[] done = "done\n".getBytes(StandardCharsets.US_ASCII);
        byte[] got = new byte[5];
        if (client) {
            out.write(done);
            in.readFully(got);
        } else {
            in.readFully(got);
            out.write(done);
        }
        if (!java.util.Arrays.equals(done, got)) {
            throw new Failure(name + ": no closing handshake from the peer");
        }
        System.out.printf(Locale.ROOT, "%s: %d round trips of %d bytes (%s): data, lengths and immediates checked%n", name,
                iters, len, ud ? "SEND_WITH_IMM" : "RDMA_WRITE_WITH_IMM, SEND_WITH_IMM");
        System.out.flush();
    }

    /** Polls until a completion of the kind asked for: {receive, opcode, immediate, byte_len, flags, source QP}; checks its status. */
    private static long[] await(CompletionQueue cq, WorkCompletions wc, ArrayDeque<long[]> stash, boolean receive, String what) {
        long deadline = System.nanoTime() + WAIT_SECONDS * 1_000_000_000L;
        for (;;) {
            for (long[] c : stash) {
                if ((c[0] == 1) == receive) {
                    stash.remove(c);
                    return c;
                }
            }
            int n = cq.poll(wc);
            for (int k = 0; k < n; k++) {
                if (!wc.isSuccess(k)) {
                    throw new Failure(what + ": completion " + wc.describe(k));
                }
                boolean r = wc.opcode(k).code() >= WcOpcode.RECV.code();
                stash.add(new long[] {r ? 1 : 0, wc.opcode(k).code(), r ? wc.immediateData(k) : 0, r ? wc.byteLength(k) : 0,
                    wc.flags(k), r ? wc.sourceQp(k) : 0});
            }
            if (n == 0) {
                if (System.nanoTime() > deadline) {
                    throw new Failure(what + ": no completion in " + WAIT_SECONDS + " s");
                }
                Thread.onSpinWait();
            }
        }
    }
}
