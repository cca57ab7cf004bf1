package io.jverbs.rdmacm;

import io.jverbs.core.ffi.LibC;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WorkCompletions;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A connected RC queue pair made with rdma_cm: its own {@link CmEventChannel}, the {@link CmId}, a
 * protection domain, completion queue(s) and the QP. {@link #connect} is the client side;
 * {@link CmListener#accept} gives the server side.
 *
 * <pre>{@code
 * try (CmConnection c = CmConnection.connect(new InetSocketAddress("10.0.0.1", 7471),
 *         new CmConnection.Options().privateData(hello).completionChannel(true), Duration.ofSeconds(5))) {
 *     MemoryRegion mr = c.protectionDomain().register(buffer, Access.LOCAL_WRITE);
 *     c.queuePair().postSend(...);
 *     int n = c.awaitSendCompletion(wc, Duration.ofSeconds(5));   // 0: timeout; CmException: peer gone
 *     c.disconnect(Duration.ofSeconds(2));
 * }
 * }</pre>
 *
 * Every step is bounded in time: an unknown or unreachable address, a dead peer or a refused
 * connection is a {@link CmException} (or a {@link VerbsException} when a call fails at once)
 * within the timeout. {@link #awaitSendCompletion} and {@link #awaitReceiveCompletion} wait for
 * completions and watch the connection's rdma_cm events at the same time, so a peer that
 * disconnects or dies ends the wait with a {@link CmException#isDisconnected()} exception (see
 * {@link ConnectionParameters} for how long a silent peer takes to be noticed).
 *
 * <p>Closing closes the QP, the id, the channel, the CQs and, unless it was given in the options,
 * the PD. Not thread-safe: use it from one thread, or synchronize.
 */
public final class CmConnection implements AutoCloseable {
    /** How to build the connection. Fluent and mutable. */
    public static final class Options {
        int maxSendWr = 64, maxRecvWr = 64, maxSendSge = 1, maxRecvSge = 1, maxInlineData;
        ProtectionDomain protectionDomain;
        InetSocketAddress source;
        Duration resolveTimeout = Duration.ofSeconds(2);
        ConnectionParameters parameters = new ConnectionParameters();
        Consumer<CmConnection> beforeConnect = c -> {};
        boolean completionChannel, separateCompletionQueues;

        public Options maxSendWr(int n) { this.maxSendWr = n; return this; }
        public Options maxRecvWr(int n) { this.maxRecvWr = n; return this; }
        public Options maxSendSge(int n) { this.maxSendSge = n; return this; }
        public Options maxRecvSge(int n) { this.maxRecvSge = n; return this; }
        public Options maxInlineData(int n) { this.maxInlineData = n; return this; }
        /** Private data for the peer: at most 56 bytes when connecting, 196 when accepting. */
        public Options privateData(byte[] data) { this.parameters.privateData(data); return this; }
        /** Connection parameters (includes the private data; replaces {@link #privateData}). */
        public Options parameters(ConnectionParameters p) { this.parameters = Objects.requireNonNull(p); return this; }
        /**
         * Use this PD (it must come from the rdma_cm context of the device, e.g. another
         * connection's {@link CmConnection#context()}) instead of allocating one; it is not closed
         * with the connection.
         */
        public Options protectionDomain(ProtectionDomain pd) { this.protectionDomain = pd; return this; }
        /** Client: the local address to connect from (default: as the routing table says). */
        public Options source(InetSocketAddress local) { this.source = local; return this; }
        /** Client: the limit for each of address and route resolution (default 2 s), within the overall timeout. */
        public Options resolveTimeout(Duration t) { this.resolveTimeout = Objects.requireNonNull(t); return this; }
        /**
         * Runs once the QP exists, before the connection is requested or accepted: the place to
         * register memory and post the first receives, so the peer's first sends find them.
         */
        public Options beforeConnect(Consumer<CmConnection> hook) { this.beforeConnect = Objects.requireNonNull(hook); return this; }
        /**
         * Give each CQ a completion channel (default false): the completion waits then sleep in
         * one {@code poll(2)} on the CQ's channel and the rdma_cm channel, as
         * {@code rdma_get_send_comp} does, instead of busy-polling a core. Costs a system call or
         * two per wait that finds the CQ empty; busy-polling is the low-latency choice.
         */
        public Options completionChannel(boolean on) { this.completionChannel = on; return this; }
        /**
         * One CQ for sends ({@link CmConnection#sendCompletionQueue()}, {@code maxSendWr} entries)
         * and one for receives ({@link CmConnection#receiveCompletionQueue()}, {@code maxRecvWr}),
         * instead of one shared CQ (default false), so that {@link CmConnection#awaitSendCompletion}
         * never returns a receive completion and vice versa.
         */
        public Options separateCompletionQueues(boolean on) { this.separateCompletionQueues = on; return this; }
    }

    /** How often a busy-polling wait looks at the rdma_cm channel (one non-blocking poll(2)). */
    private static final long CM_CHECK_NANOS = 1_000_000;

    private final CmEventChannel channel;
    private final CmId id;
    private final ProtectionDomain pd;
    private final boolean ownsPd;
    private final CompletionQueue sendCq, recvCq;
    private final CompletionChannel sendChannel, recvChannel;
    private final QueuePair qp;
    private byte[] peerPrivateData = new byte[0];
    /** A DISCONNECTED event was seen. */
    private boolean disconnected;
    /** rdma_disconnect was called: our request, or the answer to the peer's (sent once). */
    private boolean disconnectSent;
    private boolean closed;

    /** Allocates the PD (unless given), CQ(s), channels and QP on {@code id}'s device; on failure frees them (not the cm channel). */
    private CmConnection(CmEventChannel channel, CmId id, Options o) {
        this.channel = channel;
        this.id = id;
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Context ctx = id.context();
            this.pd = o.protectionDomain != null ? o.protectionDomain : add(made, ctx.allocateProtectionDomain());
            this.sendChannel = o.completionChannel ? add(made, ctx.createCompletionChannel()) : null;
            this.sendCq = add(made, ctx.createCompletionQueue(CompletionQueue.Config
                    .of(o.separateCompletionQueues ? o.maxSendWr : o.maxSendWr + o.maxRecvWr).channel(sendChannel)));
            if (o.separateCompletionQueues) {
                this.recvChannel = o.completionChannel ? add(made, ctx.createCompletionChannel()) : null;
                this.recvCq = add(made, ctx.createCompletionQueue(CompletionQueue.Config.of(o.maxRecvWr).channel(recvChannel)));
            } else {
                this.recvChannel = sendChannel;
                this.recvCq = sendCq;
            }
            this.qp = id.createQueuePair(pd, new QueuePair.Config(QpType.RC, sendCq, recvCq).maxSendWr(o.maxSendWr)
                    .maxRecvWr(o.maxRecvWr).maxSendSge(o.maxSendSge).maxRecvSge(o.maxRecvSge).maxInlineData(o.maxInlineData));
        } catch (RuntimeException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    made.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        this.ownsPd = o.protectionDomain == null;
    }

    private static <T extends AutoCloseable> T add(List<AutoCloseable> made, T r) {
        made.add(r);
        return r;
    }

    /** Connects with default options. */
    public static CmConnection connect(InetSocketAddress remote, byte[] privateData, Duration timeout) {
        return connect(remote, new Options().privateData(privateData), timeout);
    }

    /**
     * Client: resolves {@code remote}'s address and route, creates the QP, requests the connection
     * and waits until it is established, all within {@code timeout}.
     *
     * @throws CmException the address or route did not resolve, the peer rejected (see
     *         {@link CmException#isConnectionRefused()}), did not answer, or the timeout passed
     */
    public static CmConnection connect(InetSocketAddress remote, Options o, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String step = "connect to " + remote;
        CmEventChannel channel = CmEventChannel.create();
        CmConnection c;
        try {
            CmId id = channel.createId();
            Duration resolve = min(o.resolveTimeout, left(deadline, step, CmEventType.ADDR_RESOLVED, timeout));
            id.resolveAddress(o.source, remote, resolve);
            awaitResolved(id, CmEventType.ADDR_RESOLVED, resolve, deadline, "rdma_resolve_addr " + remote, o.resolveTimeout, timeout);
            resolve = min(o.resolveTimeout, left(deadline, step, CmEventType.ROUTE_RESOLVED, timeout));
            id.resolveRoute(resolve);
            awaitResolved(id, CmEventType.ROUTE_RESOLVED, resolve, deadline, "rdma_resolve_route " + remote, o.resolveTimeout, timeout);
            c = new CmConnection(channel, id, o);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        try {
            o.beforeConnect.accept(c);
            c.id.connect(o.parameters);
            CmEvent established = c.id.awaitEvent(CmEventType.ESTABLISHED, left(deadline, step, CmEventType.ESTABLISHED, timeout),
                    "rdma_connect to " + remote, timeout, null);
            c.peerPrivateData = established.privateData();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly(e);
            throw e;
        }
    }

    /** Waits for a resolution event; a timeout names the caller's limits, not the time that was left. */
    private static void awaitResolved(CmId id, CmEventType type, Duration resolve, long deadline, String step,
                                      Duration resolveTimeout, Duration timeout) {
        boolean overall = resolve.compareTo(resolveTimeout) < 0; // the overall timeout was the tighter limit
        id.awaitEvent(type, slack(resolve, deadline), step, overall ? timeout : resolveTimeout,
                overall ? null : "Options.resolveTimeout, within a " + timeout.toMillis() + " ms timeout");
    }

    /**
     * Server side of {@link CmListener#accept}: {@code request}'s id is alone on its own channel.
     * A client that goes away meanwhile makes rdma_create_qp or rdma_accept fail (EINVAL: the
     * request is gone) or delivers REJECTED/CONNECT_ERROR/DISCONNECTED instead of ESTABLISHED; all
     * of these become a {@link CmException#isDisconnected()} exception.
     */
    static CmConnection accept(CmEvent request, Options o, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CmId id = request.id();
        InetSocketAddress peer = id.remoteAddress();
        String step = "accept from " + peer;
        CmConnection c;
        try {
            c = new CmConnection(id.channel(), id, o);
        } catch (VerbsException e) {
            RuntimeException r = whyAcceptFailed(id, step, e);
            closeQuietly(id.channel(), r);
            throw r;
        } catch (RuntimeException e) {
            closeQuietly(id.channel(), e);
            throw e;
        }
        try {
            c.peerPrivateData = request.privateData();
            o.beforeConnect.accept(c);
            try {
                id.accept(o.parameters);
            } catch (VerbsException e) {
                throw whyAcceptFailed(id, step, e);
            }
            try {
                id.awaitEvent(CmEventType.ESTABLISHED, left(deadline, step, CmEventType.ESTABLISHED, timeout),
                        "rdma_accept from " + peer, timeout, null);
            } catch (CmException e) {
                if (e.event() != null && peerLeft(e.event())) throw CmException.peerLeft(step, e.event(), e.status(), e);
                throw e;
            }
            return c;
        } catch (RuntimeException e) {
            c.disconnectSent = true; // nothing to disconnect: the connection never came up
            c.closeQuietly(e);
            throw e;
        }
    }

    /** Events that mean the client went away before or during the handshake. */
    private static boolean peerLeft(CmEventType t) {
        return switch (t) {
            case REJECTED, CONNECT_ERROR, UNREACHABLE, DISCONNECTED, TIMEWAIT_EXIT -> true;
            default -> false;
        };
    }

    /**
     * A call on a connection request failed. If the kernel no longer holds the request (the
     * client's REJ or DREQ arrived: its process ended or it gave up), the failure is a
     * {@link CmException} caused by {@code e}, naming the event when one is pending; otherwise
     * {@code e} itself (e.g. QP capacities the device refuses).
     */
    private static RuntimeException whyAcceptFailed(CmId id, String step, VerbsException e) {
        try {
            boolean gone = id.connectionIsGone();
            CmEvent ev = id.channel().next(Duration.ZERO); // if ucma delivered one, it was queued before the call failed
            if (ev != null && peerLeft(ev.type())) {
                return CmException.peerLeft(step, ev.type(), ev.status(), e);
            }
            if (gone) {
                return CmException.peerLeft(step, null, 0, e);
            }
        } catch (RuntimeException other) {
            e.addSuppressed(other);
        }
        return e;
    }

    public CmId id() {
        return id;
    }

    public QueuePair queuePair() {
        return qp;
    }

    /**
     * The CQ of both directions.
     *
     * @throws IllegalStateException when the connection has {@link Options#separateCompletionQueues separate CQs}
     */
    public CompletionQueue completionQueue() {
        if (sendCq != recvCq) {
            throw new IllegalStateException("this connection has separate CQs: use sendCompletionQueue() or receiveCompletionQueue()");
        }
        return sendCq;
    }

    /** The CQ of the send queue (the only CQ unless {@link Options#separateCompletionQueues}). */
    public CompletionQueue sendCompletionQueue() {
        return sendCq;
    }

    /** The CQ of the receive queue (the only CQ unless {@link Options#separateCompletionQueues}). */
    public CompletionQueue receiveCompletionQueue() {
        return recvCq;
    }

    public ProtectionDomain protectionDomain() {
        return pd;
    }

    /** The device context rdma_cm chose (shared by all connections on that device). */
    public Context context() {
        return id.context();
    }

    public InetSocketAddress localAddress() {
        return id.localAddress();
    }

    public InetSocketAddress remoteAddress() {
        return id.remoteAddress();
    }

    /**
     * The peer's private data: for a client, what the server passed to accept; for a server, what
     * the client passed to connect. Zero-padded by the transport to 196 and 56 bytes on IB/RoCE.
     */
    public byte[] peerPrivateData() {
        return peerPrivateData.clone();
    }

    /** True once a DISCONNECTED event was seen. */
    public boolean isDisconnected() {
        return disconnected;
    }

    /**
     * Waits up to {@code timeout} for send completions, as {@code rdma_get_send_comp(3)} does, and
     * polls them into {@code wc}: returns how many (at least 1), or 0 when none came in time.
     * {@link Duration#ZERO} polls once. With one shared CQ (the default) this returns receive
     * completions too: check {@code wc.opcode(i)}, or use {@link Options#separateCompletionQueues}.
     *
     * <p>The wait watches the connection's rdma_cm channel too (and answers a DISCONNECTED event,
     * see {@link #awaitDisconnect}). Completions that arrived before the connection dropped are
     * returned first; then the wait throws.
     *
     * @throws CmException a polled completion failed (the QP is then in the error state:
     *         {@link CmException#completionStatus()}, the entries polled stay in {@code wc}); or
     *         the peer disconnected or died ({@link CmException#isDisconnected()})
     */
    public int awaitSendCompletion(WorkCompletions wc, Duration timeout) {
        return await(sendCq, sendChannel, wc, timeout, "send completion");
    }

    /** As {@link #awaitSendCompletion(WorkCompletions, Duration)}, without a time limit. */
    public int awaitSendCompletion(WorkCompletions wc) {
        return await(sendCq, sendChannel, wc, null, "send completion");
    }

    /** As {@link #awaitSendCompletion(WorkCompletions, Duration)}, for the receive CQ ({@code rdma_get_recv_comp(3)}). */
    public int awaitReceiveCompletion(WorkCompletions wc, Duration timeout) {
        return await(recvCq, recvChannel, wc, timeout, "receive completion");
    }

    /** As {@link #awaitReceiveCompletion(WorkCompletions, Duration)}, without a time limit. */
    public int awaitReceiveCompletion(WorkCompletions wc) {
        return await(recvCq, recvChannel, wc, null, "receive completion");
    }

    /** Polls {@code cq}; between polls spins (no channel) or sleeps on the CQ's and the cm channel's fds. Null timeout: none. */
    private int await(CompletionQueue cq, CompletionChannel cqChannel, WorkCompletions wc, Duration timeout, String what) {
        checkOpen();
        long start = System.nanoTime();
        long limit = timeout == null ? Long.MAX_VALUE : Math.max(0, timeout.toNanos());
        boolean armed = false;
        long nextCmCheck = start;
        while (true) {
            int n = cq.poll(wc);
            if (n > 0) return checkCompletions(wc, n, what);
            if (disconnected) throw CmException.disconnected(step(what), null);
            long now = System.nanoTime();
            long left = limit - (now - start);
            if (cqChannel == null) {
                if (now - nextCmCheck >= 0) {
                    nextCmCheck = now + CM_CHECK_NANOS;
                    takeCmEvents();
                    continue; // poll the CQ once more after looking: a timeout of zero still sees both
                }
                if (left <= 0) return 0;
                Thread.onSpinWait();
            } else if (!armed) {
                cq.requestNotify(false);
                armed = true; // poll again: a completion may have come before the CQ was armed (ibv_get_cq_event(3))
            } else {
                long millis = timeout == null ? -1 : left <= 0 ? 0 : Math.max(1, (left + 999_999) / 1_000_000);
                int ready = LibC.awaitReadable(cqChannel.fd(), channel.fd(), millis);
                if (ready == 0) {
                    if (System.nanoTime() - start >= limit) return 0;
                    continue;
                }
                if ((ready & 1) != 0 && cqChannel.awaitEvent(Duration.ZERO) != null) {
                    cq.ackEvents(); // one event per arm: acknowledge at once, the CQ cannot be destroyed otherwise
                    armed = false;
                }
                if ((ready & 2) != 0) takeCmEvents();
            }
        }
    }

    /** Returns {@code n}, or throws for the first failed completion among them. */
    private int checkCompletions(WorkCompletions wc, int n, String what) {
        for (int i = 0; i < n; i++) {
            if (!wc.isSuccess(i)) {
                takeCmEvents(); // a DISCONNECTED that raced the completion says why it failed
                throw CmException.completion(step(what), wc.describe(i), wc.status(i), disconnected);
            }
        }
        return n;
    }

    /** Reads this connection's pending rdma_cm events without waiting. */
    private void takeCmEvents() {
        for (CmEvent e = channel.next(Duration.ZERO); e != null; e = channel.next(Duration.ZERO)) {
            handle(e);
        }
    }

    /** Updates the state for an event: DISCONNECTED is answered once; DEVICE_REMOVAL ends the connection. */
    private void handle(CmEvent e) {
        if (e.type() == CmEventType.DISCONNECTED) {
            disconnected = true;
            sendDisconnect();
        } else if (e.type() == CmEventType.DEVICE_REMOVAL) {
            throw CmException.of("connection to " + id.remoteAddress(), e);
        }
    }

    /** rdma_disconnect, once: the request, or the answer (DREP) without which the peer waits for a CM timeout. */
    private void sendDisconnect() {
        if (disconnectSent) return;
        disconnectSent = true;
        try {
            id.disconnect();
        } catch (VerbsException ignored) {
            // not connected (any more): nothing to send
        }
    }

    private String step(String what) {
        return what + " on the connection with " + id.remoteAddress();
    }

    /**
     * Waits up to {@code timeout} for the peer to disconnect; true once DISCONNECTED arrived (the
     * answer to the peer is sent then, so its own disconnect completes at once), false on timeout.
     * {@link Duration#ZERO} looks once without waiting.
     */
    public boolean awaitDisconnect(Duration timeout) {
        checkOpen();
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (!disconnected) {
            CmEvent e = channel.next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (e != null) {
                handle(e);
            } else if (System.nanoTime() - deadline >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Disconnects ({@code rdma_disconnect}: the QP goes to ERR and outstanding requests are
     * flushed) and waits up to {@code timeout} for the DISCONNECTED event that ends it.
     */
    public void disconnect(Duration timeout) {
        checkOpen();
        sendDisconnect();
        if (!awaitDisconnect(timeout)) {
            throw CmException.timeout("rdma_disconnect from " + id.remoteAddress(), CmEventType.DISCONNECTED, timeout);
        }
    }

    /**
     * The next event on this connection's channel (e.g. DISCONNECTED, which is answered as
     * {@link #awaitDisconnect} does), or null after {@code timeout}.
     */
    public CmEvent nextEvent(Duration timeout) {
        checkOpen();
        CmEvent e = channel.next(timeout);
        if (e != null && e.type() == CmEventType.DISCONNECTED) {
            disconnected = true;
            sendDisconnect();
        }
        return e;
    }

    /** Disconnects if not done yet (without waiting), then closes the QP, id, channels, CQs and owned PD. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        if (!id.isClosed()) sendDisconnect();
        AutoCloseable[] owned = {channel, recvCq != sendCq ? recvCq : null, sendCq, recvChannel != sendChannel ? recvChannel : null,
                sendChannel, ownsPd ? pd : null};
        for (AutoCloseable r : owned) {
            if (r == null) continue;
            try {
                r.close();
            } catch (Exception e) {
                RuntimeException re = e instanceof RuntimeException rt ? rt : new IllegalStateException(e);
                if (failure == null) failure = re; else failure.addSuppressed(re);
            }
        }
        if (failure != null) throw failure;
    }

    private void closeQuietly(RuntimeException cause) {
        closeQuietly(this, cause);
    }

    private static void closeQuietly(AutoCloseable r, RuntimeException cause) {
        try {
            r.close();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CmConnection to " + id + " is closed");
    }

    private static Duration left(long deadline, String step, CmEventType awaited, Duration timeout) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw CmException.timeout(step, awaited, timeout);
        return Duration.ofNanos(left);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** librdmacm reports a resolve timeout as an event at the deadline: wait a little longer for it. */
    private static Duration slack(Duration resolve, long deadline) {
        return min(resolve.plusMillis(500), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }
}
