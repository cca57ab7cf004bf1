package io.jverbs.perftest.interop;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.MemoryWindow;
import io.jverbs.verbs.Mtu;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
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
 * handshake over TCP; memory-window phases on RC (MW1, MW2, INV, LINV): the server binds a window
 * the client WRITEs and READs through, then revokes it (SEND with invalidate from the client,
 * LOCAL_INV) or the client WRITEs past it, and both report what the last WRITE did; BADINV: a
 * SEND with invalidate of a type 1 window's rkey, each side reporting its completion. Runs on any
 * device (RxeInteropTest: {@code jsoft0} against the C program on rxe0).
 *
 * <pre>
 * java ... io.jverbs.perftest.interop.HostLinkVerify -d jsoft0 -g 1 -p PORT -n ITERS -s SIZE -c RC,UC,UD,MW1,MW2,INV,LINV,BADINV [SERVER]
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
    /** The window's offset in the server's receive area, its length (3 packets, the last padded by 3). */
    static final int MW_OFF = 256;
    static final int MW_LEN = 2501;
    /** The last WRITE of a window phase. */
    static final int OUT_LEN = 64;
    /** SEND FIRST + SEND LAST WITH INVALIDATE, padded by 1. */
    static final int INV_LEN = 1499;
    private static final int MW_ACCESS = Access.REMOTE_WRITE | Access.REMOTE_READ;
    private static final byte[] NEXT = "next\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "done\n".getBytes(StandardCharsets.US_ASCII);

    /** The phases {@code -c} takes: a transport, or a memory-window phase on RC. */
    enum Kind {
        RC, UC, UD, MW1, MW2, INV, LINV, BADINV;

        boolean window() {
            return ordinal() >= MW1.ordinal();
        }
    }

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
        if (iters < 2 || iters > 0xffff || size < MW_OFF + MW_LEN + OUT_LEN) {
            throw new Failure("-n must be 2..65535 and -s at least " + (MW_OFF + MW_LEN + OUT_LEN));
        }
        int me = server != null ? 0 : 1;
        try (Socket tcp = connect(server, port);
             Context ctx = Context.open(dev);
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             NativeBuffer buf = NativeBuffer.allocate(2L * size + GRH);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ | Access.MW_BIND)) {
            DataInputStream in = new DataInputStream(tcp.getInputStream());
            OutputStream out = tcp.getOutputStream();
            Gid gid = ctx.queryGid(1, gidx).gid();
            String[] names = transports.split(",");
            for (int t = 0; t < names.length; t++) {
                Kind kind;
                try {
                    kind = Kind.valueOf(names[t]);
                } catch (IllegalArgumentException e) {
                    throw new Failure("-c takes RC, UC, UD, MW1, MW2, INV, LINV and BADINV, not " + names[t]);
                }
                QpType type = kind == Kind.UC ? QpType.UC : kind == Kind.UD ? QpType.UD : QpType.RC;
                try (CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(16));
                     QueuePair qp = pd.createQueuePair(new QueuePair.Config(type, cq, cq)
                             .maxSendWr(2).maxRecvWr(4).maxSendSge(1).maxRecvSge(1))) {
                    phase(kind, t, me, server != null, iters, size, gid, gidx, buf, pd, mr, cq, qp, in, out);
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

    private static void phase(Kind kind, int t, int me, boolean client, int iters, int size, Gid gid, int gidx,
                              NativeBuffer buf, ProtectionDomain pd, MemoryRegion mr, CompletionQueue cq, QueuePair qp,
                              DataInputStream in, OutputStream out) throws IOException {
        String name = kind.name();
        boolean ud = qp.type() == QpType.UD;
        int len = ud ? Math.min(size, UD_MAX) : size; // UD: one packet a message, received after the GRH
        int at0 = ud ? GRH : 0;
        long recvArea = mr.address() + size;
        PathSettings opts = new PathSettings().mtu(Mtu.MTU_1024).gidIndex(gidx).hopLimit(64)
                .access(Access.LOCAL_WRITE | Access.REMOTE_WRITE | (kind.window() ? Access.REMOTE_READ : 0)).qkey(QKEY)
                .retryCount(kind == Kind.BADINV ? 1 : 7); // BADINV: rxe may never answer; 7 retries forever
        qp.toInit(opts);
        ReceiveRequests recv = new ReceiveRequests(1, 1);
        // A window phase receives into the send area: the window is in the receive area.
        recv.add(1).sge(kind.window() ? mr.address() : recvArea, len + at0, mr.lkey());
        for (int k = 0; k < 2; k++) {
            qp.postReceive(recv);
        }
        int psn = ThreadLocalRandom.current().nextInt() & 0xffffff;
        String line = line(qp.qpNumber(), psn, mr.rkey(), recvArea, gid);
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
        WorkCompletions wc = new WorkCompletions(4);
        ArrayDeque<long[]> stash = new ArrayDeque<>(); // completions polled before they were waited for
        if (kind.window()) {
            try (MemoryWindow mw = client ? null
                    : pd.allocateMemoryWindow(kind == Kind.MW1 || kind == Kind.BADINV ? MemoryWindow.Type.TYPE_1
                            : MemoryWindow.Type.TYPE_2)) {
                // The responder's line names the window, bound now that the QP can post.
                int wrkey = client ? rrkey : bindWindow(kind, qp, cq, wc, stash, mw, mr, buf, size);
                long wva = client ? rva : recvArea + MW_OFF;
                if (!client) {
                    out.write(line(qp.qpNumber(), psn, wrkey, wva, gid).getBytes(StandardCharsets.US_ASCII));
                }
                windowPhase(kind, t, client, qp, cq, wc, stash, mr, buf, size, wrkey, wva, in, out);
                closing(kind, client, true, in, out);
            }
            return;
        }
        if (!client) {
            out.write(line.getBytes(StandardCharsets.US_ASCII));
        }
        try (AddressHandle ah = ud ? pd.createAddressHandle(remote, opts) : null) {
            loop(name, t, me, client, iters, len, at0, ah, rqpn, rrkey, rva, buf, size, mr, cq, qp, recv, wc, stash, in, out);
        }
    }

    /** This side's line: "QPN:PSN:RKEY:VA:GID\n". */
    private static String line(int qpn, int psn, int rkey, long va, Gid gid) {
        return String.format(Locale.ROOT, "%06x:%06x:%08x:%016x:%s\n", qpn, psn, rkey, va, HexFormat.of().formatHex(gid.toBytes()));
    }

    /**
     * The closing handshake: the client sends "done", the server answers it. {@code serverRead}:
     * the server has read the client's already (a window phase reads it before its report).
     */
    private static void closing(Kind kind, boolean client, boolean serverRead, DataInputStream in, OutputStream out)
            throws IOException {
        byte[] got = new byte[5];
        if (client) {
            out.write(DONE);
            in.readFully(got);
        } else {
            if (serverRead) {
                got = DONE.clone();
            } else {
                in.readFully(got);
            }
            out.write(DONE);
        }
        if (!java.util.Arrays.equals(DONE, got)) {
            throw new Failure(kind + ": no closing handshake from the peer");
        }
    }

    /**
     * The server's side of a window phase before its line goes out: zeroes its receive area and
     * binds {@code mw} over {@code MW_LEN} bytes at {@code MW_OFF} of it (type 1 with
     * {@code ibv_bind_mw}, type 2 with a BIND_MW request under the next key); returns the rkey.
     */
    private static int bindWindow(Kind kind, QueuePair qp, CompletionQueue cq, WorkCompletions wc, ArrayDeque<long[]> stash,
                                  MemoryWindow mw, MemoryRegion mr, NativeBuffer buf, int size) {
        buf.segment().asSlice(size, size).fill((byte) 0);
        long at = mr.address() + size + MW_OFF;
        int rkey;
        if (mw.type() == MemoryWindow.Type.TYPE_1) {
            rkey = mw.bind(qp, 4, SendFlags.SIGNALED, mr, at, MW_LEN, MW_ACCESS);
        } else {
            rkey = mw.nextRkey();
            qp.postSend(new SendRequests(1, 1).add(4, WrOpcode.BIND_MW, SendFlags.SIGNALED)
                    .bindMemoryWindow(mw, rkey, mr, at, MW_LEN, MW_ACCESS));
        }
        long[] c = await(cq, wc, stash, false, false, kind + " bind");
        if (c[1] != WcOpcode.BIND_MW.code()) {
            throw new Failure(kind + ": bind completion opcode " + c[1] + ", not BIND_MW");
        }
        return rkey;
    }

    /** One signaled request with one SGE; returns its completion (any status when {@code last}). */
    private static long[] request(QueuePair qp, CompletionQueue cq, WorkCompletions wc, ArrayDeque<long[]> stash, WrOpcode op,
                                  long local, int len, int lkey, long va, int rkey, boolean last, String what) {
        SendRequests r = new SendRequests(1, 1);
        r.add(3, op, SendFlags.SIGNALED).sge(local, len, lkey);
        if (op == WrOpcode.SEND_WITH_INV) {
            r.invalidate(rkey);
        } else {
            r.rdma(va, rkey);
        }
        qp.postSend(r);
        return await(cq, wc, stash, false, last, what);
    }

    private static void fill(NativeBuffer buf, long at, int len, int s, int t, int k) {
        for (int j = 0; j < len; j++) {
            buf.segment().set(ValueLayout.JAVA_BYTE, at + j, pattern(s, t, k, j));
        }
    }

    private static void checkBytes(NativeBuffer buf, long at, int len, int s, int t, int k, String what) {
        for (int j = 0; j < len; j++) {
            byte b = buf.segment().get(ValueLayout.JAVA_BYTE, at + j);
            if (b != pattern(s, t, k, j)) {
                throw new Failure(String.format(Locale.ROOT, "%s: byte %d is 0x%02x, not 0x%02x", what, j, b & 0xff,
                        pattern(s, t, k, j) & 0xff));
            }
        }
    }

    private static void checkZero(NativeBuffer buf, long at, int len, String what) {
        for (int j = 0; j < len; j++) {
            byte b = buf.segment().get(ValueLayout.JAVA_BYTE, at + j);
            if (b != 0) {
                throw new Failure(String.format(Locale.ROOT, "%s: byte %d is 0x%02x, not 0", what, j, b & 0xff));
            }
        }
    }

    /** The step token: the client sends it and waits for the answer; the server only reads it. */
    private static void nextStep(boolean client, DataInputStream in, OutputStream out, String what) throws IOException {
        if (client) {
            out.write(NEXT);
        }
        byte[] got = new byte[5];
        in.readFully(got);
        if (!java.util.Arrays.equals(NEXT, got)) {
            throw new Failure(what + ": no step token from the peer");
        }
    }

    /** A window phase after the QPs are connected (hostlink_verify.c's header): the client is the requester. */
    private static void windowPhase(Kind kind, int t, boolean client, QueuePair qp, CompletionQueue cq, WorkCompletions wc,
                                    ArrayDeque<long[]> stash, MemoryRegion mr, NativeBuffer buf, int size, int wrkey, long wva,
                                    DataInputStream in, OutputStream out) throws IOException {
        String name = kind.name();
        boolean window = kind == Kind.MW1 || kind == Kind.MW2;
        long send = mr.address();
        if (kind == Kind.BADINV) {
            badInvalidation(t, client, qp, cq, wc, stash, mr, buf, wrkey, in);
            return;
        }
        if (client) {
            String what = name + " WRITE into the window";
            fill(buf, 0, MW_LEN, 0, t, 0);
            request(qp, cq, wc, stash, WrOpcode.RDMA_WRITE, send, MW_LEN, mr.lkey(), wva, wrkey, false, what);
            nextStep(true, in, out, what);
            if (window) {
                what = name + " READ of the window";
                buf.segment().asSlice(size, MW_LEN).fill((byte) 0);
                request(qp, cq, wc, stash, WrOpcode.RDMA_READ, send + size, MW_LEN, mr.lkey(), wva, wrkey, false, what);
                checkBytes(buf, size, MW_LEN, 1, t, 1, what);
            } else if (kind == Kind.INV) {
                what = name + " SEND_WITH_INV";
                fill(buf, 0, INV_LEN, 0, t, 2);
                request(qp, cq, wc, stash, WrOpcode.SEND_WITH_INV, send, INV_LEN, mr.lkey(), 0, wrkey, false, what);
                nextStep(true, in, out, what);
            } // LINV: the server answered the step once its LOCAL_INV had completed
            fill(buf, 0, OUT_LEN, 0, t, 3);
            long[] c = request(qp, cq, wc, stash, WrOpcode.RDMA_WRITE, send, OUT_LEN, mr.lkey(), window ? wva + MW_LEN : wva,
                    wrkey, true, name + " last WRITE");
            System.out.printf(Locale.ROOT, "%s: window rkey 0x%08x: WRITE of %d bytes%s; %s: %s%n", name, wrkey, MW_LEN,
                    window ? " and READ back checked" : kind == Kind.INV ? ", SEND_WITH_INV completed" : "",
                    window ? "WRITE past the window" : "WRITE through the invalidated rkey", WcStatus.values()[(int) c[6]]);
            return;
        }
        long win = size + MW_OFF; // offsets in buf
        String what = name + " window after the WRITE";
        nextStep(false, in, out, what);
        checkBytes(buf, win, MW_LEN, 0, t, 0, what);
        checkZero(buf, size, MW_OFF, what);
        checkZero(buf, win + MW_LEN, OUT_LEN, what);
        // What the last WRITE aims at, as it is now: past the window (zeroes), or the window's start (step 0).
        long target = window ? win + MW_LEN : win;
        byte[] before = buf.segment().asSlice(target, OUT_LEN).toArray(ValueLayout.JAVA_BYTE);
        String done = "";
        if (window) {
            fill(buf, win, MW_LEN, 1, t, 1);
            out.write(NEXT);
        } else if (kind == Kind.INV) {
            out.write(NEXT);
            what = name + " SEND_WITH_INV received";
            long[] c = await(cq, wc, stash, true, false, what);
            if (c[1] != WcOpcode.RECV.code()) {
                throw new Failure(what + ": completion opcode " + c[1] + ", not RECV");
            }
            if (c[3] != INV_LEN) {
                throw new Failure(what + ": byte_len " + c[3] + ", not " + INV_LEN);
            }
            checkBytes(buf, 0, INV_LEN, 0, t, 2, what);
            nextStep(false, in, out, what);
            out.write(NEXT);
            // Reported, not judged here: where the key and its flag are differs between devices.
            done = String.format(Locale.ROOT, ", SEND_WITH_INV received (%d bytes checked): wc_flags 0x%x, invalidated_rkey 0x%08x",
                    INV_LEN, c[4], (int) c[7]);
        } else {
            what = name + " LOCAL_INV";
            qp.postSend(new SendRequests(1, 1).add(5, WrOpcode.LOCAL_INV, SendFlags.SIGNALED).invalidate(wrkey));
            long[] c = await(cq, wc, stash, false, false, what);
            if (c[1] != WcOpcode.LOCAL_INV.code()) {
                throw new Failure(what + ": completion opcode " + c[1] + ", not LOCAL_INV");
            }
            out.write(NEXT);
            done = ", LOCAL_INV completed";
        }
        byte[] got = new byte[5];
        in.readFully(got); // the client's closing token: its last WRITE has completed
        if (!java.util.Arrays.equals(DONE, got)) {
            throw new Failure(name + ": no closing handshake from the peer");
        }
        System.out.printf(Locale.ROOT, "%s: window rkey 0x%08x over %d bytes: WRITE checked%s; after the last WRITE: bytes %s, QP %s%n",
                name, wrkey, MW_LEN, window ? ", READ data in place" : done, writtenOrNot(buf, target, t, before, name),
                stateName(qp));
    }

    /**
     * BADINV: the client's only request is a SEND with invalidate of a type 1 window's rkey, which
     * a remote invalidation may not revoke; each side reports its completion's status, the server
     * its QP's state after the closing token.
     */
    private static void badInvalidation(int t, boolean client, QueuePair qp, CompletionQueue cq, WorkCompletions wc,
                                        ArrayDeque<long[]> stash, MemoryRegion mr, NativeBuffer buf, int wrkey, DataInputStream in)
            throws IOException {
        if (client) {
            fill(buf, 0, INV_LEN, 0, t, 2);
            long[] c = request(qp, cq, wc, stash, WrOpcode.SEND_WITH_INV, mr.address(), INV_LEN, mr.lkey(), 0, wrkey, true,
                    "BADINV SEND_WITH_INV");
            System.out.printf(Locale.ROOT, "BADINV: type 1 window rkey 0x%08x: SEND_WITH_INV of it: %s%n", wrkey,
                    WcStatus.values()[(int) c[6]]);
            return;
        }
        long[] c = await(cq, wc, stash, true, true, "BADINV SEND_WITH_INV received");
        byte[] got = new byte[5];
        in.readFully(got);
        if (!java.util.Arrays.equals(DONE, got)) {
            throw new Failure("BADINV: no closing handshake from the peer");
        }
        System.out.printf(Locale.ROOT, "BADINV: type 1 window rkey 0x%08x: the receive: %s, QP %s%n", wrkey,
                WcStatus.values()[(int) c[6]], stateName(qp));
    }

    private static String stateName(QueuePair qp) {
        QpState s = qp.state();
        return s == QpState.ERR ? "ERR" : s == QpState.RTS ? "RTS" : "another state";
    }

    /** "written" if all {@code OUT_LEN} bytes hold the client's step 3, "untouched" if all are as {@code before}. */
    private static String writtenOrNot(NativeBuffer buf, long at, int t, byte[] before, String what) {
        boolean written = true;
        boolean untouched = true;
        for (int j = 0; j < OUT_LEN; j++) {
            byte b = buf.segment().get(ValueLayout.JAVA_BYTE, at + j);
            written &= b == pattern(0, t, 3, j);
            untouched &= b == before[j];
        }
        if (!written && !untouched) {
            throw new Failure(what + ": the bytes the last WRITE aimed at are neither written nor untouched");
        }
        return written ? "written" : "untouched";
    }

    private static void loop(String name, int t, int me, boolean client, int iters, int len, int at0, AddressHandle ah,
                             int rqpn, int rrkey, long rva, NativeBuffer buf, int size, MemoryRegion mr, CompletionQueue cq,
                             QueuePair qp, ReceiveRequests recv, WorkCompletions wc, ArrayDeque<long[]> stash,
                             DataInputStream in, OutputStream out) throws IOException {
        int peer = 1 - me;
        boolean ud = ah != null;
        long sendArea = mr.address();
        SendRequests send = new SendRequests(1, 1);
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
                    await(cq, wc, stash, false, false, what);
                } else {
                    long[] c = await(cq, wc, stash, true, false, what);
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
        closing(Kind.valueOf(name), client, false, in, out);
        System.out.printf(Locale.ROOT, "%s: %d round trips of %d bytes (%s): data, lengths and immediates checked%n", name,
                iters, len, ud ? "SEND_WITH_IMM" : "RDMA_WRITE_WITH_IMM, SEND_WITH_IMM");
        System.out.flush();
    }

    /**
     * Polls until a completion of the kind asked for: {receive, opcode, immediate, byte_len, flags,
     * source QP, status ordinal, invalidated rkey}; checks its status, or with {@code anyStatus}
     * returns the first failed completion as the one awaited (a send's).
     */
    private static long[] await(CompletionQueue cq, WorkCompletions wc, ArrayDeque<long[]> stash, boolean receive,
                                boolean anyStatus, String what) {
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
                if (!wc.isSuccess(k) && anyStatus) {
                    return new long[] {0, wc.opcode(k).code(), 0, 0, wc.flags(k), 0, wc.status(k).ordinal(), 0};
                }
                if (!wc.isSuccess(k)) {
                    throw new Failure(what + ": completion " + wc.describe(k));
                }
                boolean r = wc.opcode(k).code() >= WcOpcode.RECV.code();
                stash.add(new long[] {r ? 1 : 0, wc.opcode(k).code(), r ? wc.immediateData(k) : 0, r ? wc.byteLength(k) : 0,
                    wc.flags(k), r ? wc.sourceQp(k) : 0, wc.status(k).ordinal(), r ? wc.invalidatedRkey(k) : 0});
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
