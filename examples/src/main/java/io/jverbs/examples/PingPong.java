package io.jverbs.examples;

import io.jverbs.core.JverbsException;
import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Mtu;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.oob.OobConnection;
import io.jverbs.verbs.oob.OobException;
import io.jverbs.verbs.oob.PingPongExchange;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * What the three pingpong ports share with each other, as rdma-core's {@code pingpong.c} does for
 * the C programs: command line, the address lines, the report, the verbs steps of the timed loop.
 * The TCP exchange of QP addresses, in the C programs' wire format, is
 * {@link io.jverbs.verbs.oob.PingPongExchange} in the verbs module, for any program to use.
 */
final class PingPong {
    static final int RECV_WRID = 1;
    static final int SEND_WRID = 2;
    static final int DEFAULT_TCP_PORT = PingPongExchange.DEFAULT_PORT;

    /** Exit status for a bad command line (the C programs use 1 for everything). */
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILURE = 1;

    private PingPong() {}

    /** A failure the C program reports with one line on stderr and exit status 1. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }
    }

    /** The command line, with the C programs' defaults; each program reads the fields it has flags for. */
    static final class Options {
        int port = DEFAULT_TCP_PORT;
        String ibDev;
        int ibPort = 1;
        int size;
        Mtu mtu = Mtu.MTU_1024;
        int rxDepth = 500;
        int iters = 1000;
        int sl;
        boolean events;
        int gidIndex = -1;
        boolean odp;
        boolean check;
        int numQp = 16;
        /** The server to connect to; null makes this side the server. */
        String serverName;
    }

    /** Long option names of the short flags, as getopt_long in the C programs. */
    private static final Map<Character, String> LONG = Map.ofEntries(
            Map.entry('p', "port"), Map.entry('d', "ib-dev"), Map.entry('i', "ib-port"), Map.entry('s', "size"),
            Map.entry('m', "mtu"), Map.entry('r', "rx-depth"), Map.entry('n', "iters"), Map.entry('l', "sl"),
            Map.entry('e', "events"), Map.entry('g', "gid-idx"), Map.entry('o', "odp"), Map.entry('c', "chk"),
            Map.entry('q', "num-qp"));

    /**
     * Parses {@code args} getopt-style ({@code -n 10}, {@code -n10}, {@code -ec}, {@code --iters=10},
     * {@code --iters 10}) against {@code spec}, a getopt option string such as {@code "p:d:e"}. On a
     * bad command line prints the problem and {@code usage}, and returns null.
     */
    static Options parse(String[] args, String spec, int defaultSize, String usage, PrintStream out, PrintStream err) {
        Options o = new Options();
        o.size = defaultSize;
        try {
            int i = 0;
            for (; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--")) {
                    i++;
                    break;
                }
                if (a.startsWith("--")) {
                    String name = a.substring(2);
                    String value = null;
                    int eq = name.indexOf('=');
                    if (eq >= 0) {
                        value = name.substring(eq + 1);
                        name = name.substring(0, eq);
                    }
                    char flag = 0;
                    for (Map.Entry<Character, String> e : LONG.entrySet()) {
                        if (e.getValue().equals(name) && spec.indexOf(e.getKey()) >= 0) flag = e.getKey();
                    }
                    if (flag == 0) throw new IllegalArgumentException("unrecognized option '" + a + "'");
                    if (takesValue(spec, flag)) {
                        if (value == null) {
                            if (++i == args.length) throw new IllegalArgumentException("option '--" + name + "' requires an argument");
                            value = args[i];
                        }
                    } else if (value != null) {
                        throw new IllegalArgumentException("option '--" + name + "' doesn't allow an argument");
                    }
                    set(o, flag, value);
                } else if (a.startsWith("-") && a.length() > 1) {
                    for (int k = 1; k < a.length(); k++) {
                        char flag = a.charAt(k);
                        if (flag == ':' || spec.indexOf(flag) < 0) throw new IllegalArgumentException("invalid option -- '" + flag + "'");
                        if (takesValue(spec, flag)) {
                            String value = a.substring(k + 1);
                            if (value.isEmpty()) {
                                if (++i == args.length) throw new IllegalArgumentException("option requires an argument -- '" + flag + "'");
                                value = args[i];
                            }
                            set(o, flag, value);
                            break;
                        }
                        set(o, flag, null);
                    }
                } else {
                    if (o.serverName != null) throw new IllegalArgumentException("more than one server name: " + o.serverName + ", " + a);
                    o.serverName = a;
                }
            }
            if (i < args.length) {
                if (o.serverName != null || i != args.length - 1) throw new IllegalArgumentException("too many arguments");
                o.serverName = args[i];
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            out.print(usage);
            out.flush();
            return null;
        }
        return o;
    }

    private static boolean takesValue(String spec, char flag) {
        int at = spec.indexOf(flag);
        return at + 1 < spec.length() && spec.charAt(at + 1) == ':';
    }

    private static void set(Options o, char flag, String v) {
        switch (flag) {
            case 'p' -> o.port = number(v, 0, 65535, "port");
            case 'd' -> o.ibDev = v;
            case 'i' -> o.ibPort = number(v, 1, 255, "ib-port");
            case 's' -> o.size = number(v, 1, Integer.MAX_VALUE - 4096, "size");
            case 'm' -> {
                try {
                    o.mtu = Mtu.ofBytes(number(v, 0, Integer.MAX_VALUE, "mtu"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("mtu must be 256, 512, 1024, 2048 or 4096: " + v);
                }
            }
            case 'r' -> o.rxDepth = number(v, 1, 1 << 20, "rx-depth");
            case 'n' -> o.iters = number(v, 1, Integer.MAX_VALUE, "iters");
            case 'l' -> o.sl = number(v, 0, 15, "sl");
            case 'e' -> o.events = true;
            case 'g' -> o.gidIndex = number(v, -1, 65535, "gid-idx");
            case 'o' -> o.odp = true;
            case 'c' -> o.check = true;
            case 'q' -> o.numQp = number(v, 1, Integer.MAX_VALUE, "num-qp");
            default -> throw new IllegalArgumentException("invalid option -- '" + flag + "'");
        }
    }

    /** strtol(v, NULL, 0) without its silent zero: decimal, 0x hex or 0 octal. */
    private static int number(String v, int min, int max, String what) {
        long n;
        try {
            n = Long.decode(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": not a number: " + v);
        }
        if (n < min || n > max) throw new IllegalArgumentException(what + " must be in " + min + ".." + max + ", got " + v);
        return (int) n;
    }

    /** Opens the device {@code -d} names, or the first one. */
    static Context open(String ibDev) {
        return ibDev == null ? Context.openFirst() : Context.open(ibDev);
    }

    /** lrand48() & 0xffffff. */
    static int randomPsn() {
        return ThreadLocalRandom.current().nextInt() & 0xffffff;
    }

    /** Page size, the stride of the {@code -c} check pattern. */
    static int pageSize() {
        return (int) NativeBuffer.pageSize();
    }

    /**
     * The value the C programs write at the start of every page with {@code -c} and the server checks:
     * {@code i / page_size % sizeof(char)}, which is always 0 (the C code's modulus is 1). Kept as is,
     * so that a Java server checks a C client's data and the other way round.
     */
    static byte checkByte(int offset) {
        return (byte) (offset / pageSize() % 1);
    }

    // ---- The address exchange -------------------------------------------------------------

    /**
     * Server side: accepts one client on {@code tcpPort}, waiting for it as long as it takes (as
     * the C server does), reads {@code slots} addresses, connects, sends {@code local} (padded with
     * zero addresses to {@code slots}) and waits for "done".
     */
    static Endpoint[] serverExchange(int tcpPort, Endpoint[] local, int slots, Consumer<Endpoint[]> connector) {
        try (OobConnection c = OobConnection.accept(tcpPort, Duration.ZERO, OobConnection.DEFAULT_IO_TIMEOUT)) {
            return PingPongExchange.serve(c, local, slots, connector);
        } catch (OobException e) {
            throw new Failure("Couldn't exchange addresses with the client: " + e.getMessage());
        }
    }

    /** Client side: connects to the server, sends {@code local}, reads {@code slots} addresses, says "done". */
    static Endpoint[] clientExchange(String server, int tcpPort, Endpoint[] local, int slots) {
        try (OobConnection c = OobConnection.connect(server, tcpPort)) {
            return PingPongExchange.client(c, local, slots);
        } catch (OobException e) {
            throw new Failure("Couldn't exchange addresses with the server: " + e.getMessage());
        }
    }

    // ---- Text ---------------------------------------------------------------------------

    /** The C programs' address line: {@code "  local address:  LID 0x0000, QPN 0x000011, PSN 0x..., GID ::ffff:10.77.0.1"}. */
    static String addressLine(String which, Endpoint e, String psnGidSeparator) {
        return String.format(Locale.ROOT, "  %s LID 0x%04x, QPN 0x%06x, PSN 0x%06x%s GID %s", which, e.lid(), e.qpn(), e.psn(),
                psnGidSeparator, e.gid().toInetString());
    }

    /**
     * The two result lines, computed as the C programs do: whole microseconds (gettimeofday) in a
     * float, bytes = size * iters * 2.
     */
    static void report(PrintStream out, long startNanos, long endNanos, long size, int iters) {
        float usec = (endNanos - startNanos) / 1000L;
        long bytes = size * iters * 2;
        out.printf(Locale.ROOT, "%d bytes in %.2f seconds = %.2f Mbit/sec\n", bytes, usec / 1000000., bytes * 8. / usec);
        out.printf(Locale.ROOT, "%d iters in %.2f seconds = %.2f usec/iter\n", iters, usec / 1000000., usec / iters);
        out.flush();
    }

    /**
     * Runs a program body the C way: its result is the exit status; a {@link Failure} or a native
     * failure prints one line on stderr and gives 1.
     */
    static int run(PrintStream err, java.util.function.IntSupplier body) {
        try {
            return body.getAsInt();
        } catch (Failure | JverbsException | IllegalStateException | IllegalArgumentException e) {
            err.println(e.getMessage());
            return EXIT_FAILURE;
        }
    }

    /** Exits with {@code status} after flushing stdout (System.exit skips nothing, but say so). */
    static void exit(int status) {
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    // ---- Verbs steps the programs share ---------------------------------------------------

    /** RTR then RTS as pp_connect_ctx: the GRH only when the peer's GID has an interface id. */
    static void connectRc(QueuePair qp, Endpoint me, Endpoint remote, PathSettings opts, int gidIndex) {
        opts.gidIndex(remote.gid().low() != 0 ? Math.max(gidIndex, 0) : -1);
        try {
            qp.toRtr(remote, opts);
        } catch (VerbsException e) {
            throw new Failure("Failed to modify QP to RTR: " + e.getMessage());
        }
        try {
            qp.toRts(me.psn(), opts);
        } catch (VerbsException e) {
            throw new Failure("Failed to modify QP to RTS: " + e.getMessage());
        }
    }

    /**
     * The timed loop of ibv_rc_pingpong and ibv_ud_pingpong: the client sends first; each side
     * sends again once its previous send and a receive have both completed, and refills the
     * receive queue when it runs low. Prints the two report lines; with -c the client fills and
     * the server checks the pattern at {@code dataOffset} (after the GRH on UD).
     */
    static void pingPong(Options o, boolean client, PrintStream out, NativeBuffer buf, int dataOffset, QueuePair qp,
                         CompletionQueue cq, CompletionChannel channel, WorkCompletions wc, SendRequests send,
                         ReceiveRequests recv, int routs) {
        int pending = RECV_WRID;
        if (client) {
            if (o.check) {
                for (int i = 0; i < o.size; i += pageSize()) buf.segment().set(JAVA_BYTE, dataOffset + i, checkByte(i));
            }
            postSend(qp, send);
            pending |= SEND_WRID;
        }

        long start = System.nanoTime();
        int rcnt = 0, scnt = 0;
        while (rcnt < o.iters || scnt < o.iters) {
            int ne = awaitCompletions(o, cq, channel, wc);
            for (int i = 0; i < ne; i++) {
                requireSuccess(wc, i);
                int wrId = (int) wc.wrId(i);
                switch (wrId) {
                    case SEND_WRID -> scnt++;
                    case RECV_WRID -> {
                        if (--routs <= 1) {
                            routs += postReceives(qp, recv, o.rxDepth - routs);
                            if (routs < o.rxDepth) throw new Failure("Couldn't post receive (" + routs + ")");
                        }
                        rcnt++;
                    }
                    default -> throw new Failure("Completion for unknown wr_id " + wrId);
                }
                pending &= ~wrId;
                if (scnt < o.iters && pending == 0) {
                    postSend(qp, send);
                    pending = RECV_WRID | SEND_WRID;
                }
            }
        }
        long end = System.nanoTime();

        report(out, start, end, o.size, o.iters);
        if (!client && o.check) {
            for (int i = 0; i < o.size; i += pageSize()) {
                if (buf.segment().get(JAVA_BYTE, dataOffset + i) != checkByte(i)) {
                    out.println("invalid data in page " + i / pageSize());
                }
            }
            out.flush();
        }
    }

    /** Waits for completions as the C programs do: one CQ event with -e (re-armed), else busy polling. */
    static int awaitCompletions(Options o, CompletionQueue cq, CompletionChannel channel, WorkCompletions wc) {
        if (o.events) {
            channel.awaitEvent();                  // blocks in ibv_get_cq_event, as the C programs do
            cq.requestNotify(false);
            return cq.poll(wc);
        }
        int ne;
        do {
            ne = cq.poll(wc);
        } while (ne < 1);
        return ne;
    }

    /** Stops the program on a failed completion, with the C programs' message. */
    static void requireSuccess(WorkCompletions wc, int i) {
        if (!wc.isSuccess(i)) {
            throw new Failure(String.format("Failed status %s (%d) for wr_id %d",
                    wc.statusText(i), wc.statusCode(i), (int) wc.wrId(i)));
        }
    }

    /** Posts {@code n} receives one by one; returns how many went in (pp_post_recv). */
    static int postReceives(QueuePair qp, ReceiveRequests recv, int n) {
        for (int i = 0; i < n; i++) {
            try {
                qp.postReceive(recv);
            } catch (VerbsException e) {
                return i;
            }
        }
        return n;
    }

    /** The same for a shared receive queue. */
    static int postReceives(SharedReceiveQueue srq, ReceiveRequests recv, int n) {
        for (int i = 0; i < n; i++) {
            try {
                srq.postReceive(recv);
            } catch (VerbsException e) {
                return i;
            }
        }
        return n;
    }

    static void postSend(QueuePair qp, SendRequests send) {
        try {
            qp.postSend(send);
        } catch (VerbsException e) {
            throw new Failure("Couldn't post send: " + e.getMessage());
        }
    }

    /** Empty polls of {@link #warmUp}: past the JIT's C2 thresholds for the poll path. */
    private static final int WARMUP_POLLS = 30_000;

    /**
     * Polls the CQ, still empty because no peer is connected yet, until the JIT has compiled the
     * poll path, so that the timed loop does not start interpreted (a JVM's first thousands of
     * downcalls go through interpreted method-handle code). Receives posted before already ran the
     * post path that sends share. Nothing goes on the wire: the C programs see no difference.
     */
    static void warmUp(CompletionQueue cq, WorkCompletions wc) {
        for (int i = 0; i < WARMUP_POLLS; i++) {
            if (cq.poll(wc) != 0) {
                throw new IllegalStateException("a completion before the peer connected: " + wc.describe(0));
            }
        }
    }


    /** -o: the ON_DEMAND access flag, if the device has on-demand paging with {@code transportCaps} for RC. */
    static int odpAccess(Context ctx, Options o, int transportCaps, String refusal) {
        if (!o.odp) return 0;
        DeviceAttributes attr = ctx.queryDevice();
        if ((attr.odpGeneralCaps() & Odp.SUPPORT) == 0 || (attr.odpRcCaps() & transportCaps) != transportCaps) {
            throw new Failure(refusal);
        }
        return Access.ON_DEMAND;
    }

    /** {@code enum ibv_odp_general_caps} and {@code ibv_odp_transport_cap_bits}. */
    static final class Odp {
        static final int SUPPORT = 1;
        static final int SEND = 1, RECV = 1 << 1, SRQ_RECV = 1 << 5;

        private Odp() {}
    }
}
