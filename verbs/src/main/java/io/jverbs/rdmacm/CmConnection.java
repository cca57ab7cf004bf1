package io.jverbs.rdmacm;

import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.VerbsException;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A connected RC queue pair made with rdma_cm: its own {@link CmEventChannel}, the {@link CmId}, a
 * protection domain, one completion queue for both directions, and the QP. {@link #connect} is
 * the client side; {@link CmListener#accept} gives the server side.
 *
 * <pre>{@code
 * try (CmConnection c = CmConnection.connect(new InetSocketAddress("10.0.0.1", 7471),
 *         new CmConnection.Options().privateData(hello), Duration.ofSeconds(5))) {
 *     MemoryRegion mr = c.protectionDomain().register(buffer, Access.LOCAL_WRITE);
 *     c.queuePair().postSend(...);  c.completionQueue().poll(...);
 *     c.disconnect(Duration.ofSeconds(2));
 * }
 * }</pre>
 *
 * Every step is bounded in time: an unknown or unreachable address, a dead peer or a refused
 * connection is a {@link CmException} (or a {@link VerbsException} when a call fails at once)
 * within the timeout. Closing closes the QP, the id, the channel, the CQ and, unless it was
 * given in the options, the PD. Not thread-safe: use it from one thread, or synchronize.
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
    }

    private final CmEventChannel channel;
    private final CmId id;
    private final ProtectionDomain pd;
    private final boolean ownsPd;
    private final CompletionQueue cq;
    private final QueuePair qp;
    private byte[] peerPrivateData = new byte[0];
    private boolean disconnected;
    private boolean closed;

    /** Allocates the PD (unless given), CQ and QP on {@code id}'s device; closes the channel if that fails. */
    private CmConnection(CmEventChannel channel, CmId id, Options o) {
        this.channel = channel;
        this.id = id;
        ProtectionDomain p = null;
        CompletionQueue q = null;
        try {
            Context ctx = id.context();
            p = o.protectionDomain != null ? o.protectionDomain : ctx.allocateProtectionDomain();
            q = ctx.createCompletionQueue(o.maxSendWr + o.maxRecvWr);
            this.qp = id.createQueuePair(p, QueuePair.Config.of(QpType.RC, q).maxSendWr(o.maxSendWr).maxRecvWr(o.maxRecvWr)
                    .maxSendSge(o.maxSendSge).maxRecvSge(o.maxRecvSge).maxInlineData(o.maxInlineData));
        } catch (RuntimeException e) {
            channel.close();
            if (q != null) q.close();
            if (p != null && o.protectionDomain == null) p.close();
            throw e;
        }
        this.pd = p;
        this.ownsPd = o.protectionDomain == null;
        this.cq = q;
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
            Duration resolve = min(o.resolveTimeout, left(deadline, step, timeout));
            id.resolveAddress(o.source, remote, resolve);
            id.awaitEvent(CmEventType.ADDR_RESOLVED, slack(resolve, deadline), "rdma_resolve_addr " + remote);
            resolve = min(o.resolveTimeout, left(deadline, step, timeout));
            id.resolveRoute(resolve);
            id.awaitEvent(CmEventType.ROUTE_RESOLVED, slack(resolve, deadline), "rdma_resolve_route " + remote);
            c = new CmConnection(channel, id, o);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        try {
            o.beforeConnect.accept(c);
            c.id.connect(o.parameters);
            CmEvent established = c.id.awaitEvent(CmEventType.ESTABLISHED, left(deadline, step, timeout), "rdma_connect to " + remote);
            c.peerPrivateData = established.privateData();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly(e);
            throw e;
        }
    }

    /** Server side of {@link CmListener#accept}: {@code request}'s id is alone on its own channel. */
    static CmConnection accept(CmEvent request, Options o, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CmId id = request.id();
        String step = "accept from " + id.remoteAddress();
        CmConnection c = new CmConnection(id.channel(), id, o);
        try {
            c.peerPrivateData = request.privateData();
            o.beforeConnect.accept(c);
            id.accept(o.parameters);
            id.awaitEvent(CmEventType.ESTABLISHED, left(deadline, step, timeout), "rdma_accept from " + id.remoteAddress());
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly(e);
            throw e;
        }
    }

    public CmId id() {
        return id;
    }

    public QueuePair queuePair() {
        return qp;
    }

    public CompletionQueue completionQueue() {
        return cq;
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
     * Waits up to {@code timeout} for the peer to disconnect; true once DISCONNECTED arrived (the
     * answer to the peer is sent then, so its own disconnect completes at once), false on timeout.
     */
    public boolean awaitDisconnect(Duration timeout) {
        checkOpen();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!disconnected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            CmEvent e = channel.next(Duration.ofNanos(left));
            if (e == null) return false;
            if (e.type() == CmEventType.DISCONNECTED) {
                disconnected = true;
                try {
                    id.disconnect(); // sends the DREP: without it the peer waits for a CM timeout
                } catch (VerbsException ignored) {
                    // already disconnected locally: nothing to answer
                }
            } else if (e.type() == CmEventType.DEVICE_REMOVAL) {
                throw CmException.of("awaiting disconnect from " + id.remoteAddress(), e);
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
        if (disconnected) return;
        id.disconnect();
        if (!awaitDisconnect(timeout)) {
            throw CmException.timeout("rdma_disconnect from " + id.remoteAddress(), CmEventType.DISCONNECTED, timeout);
        }
    }

    /** The next event on this connection's channel (e.g. DISCONNECTED), or null after {@code timeout}. */
    public CmEvent nextEvent(Duration timeout) {
        checkOpen();
        CmEvent e = channel.next(timeout);
        if (e != null && e.type() == CmEventType.DISCONNECTED) disconnected = true;
        return e;
    }

    /** Disconnects if still connected (without waiting), then closes the QP, id, channel, CQ and owned PD. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        if (!disconnected && !id.isClosed()) {
            try {
                id.disconnect();
            } catch (RuntimeException e) {
                // not connected (yet): nothing to tear down
            }
        }
        for (AutoCloseable r : new AutoCloseable[] {channel, cq, ownsPd ? pd : null}) {
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
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CmConnection to " + id + " is closed");
    }

    private static Duration left(long deadline, String step, Duration timeout) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw CmException.timeout(step, CmEventType.ESTABLISHED, timeout);
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
