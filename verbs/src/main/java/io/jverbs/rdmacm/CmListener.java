package io.jverbs.rdmacm;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The server side of rdma_cm: a listening {@link CmId} on a channel of its own, from which
 * {@link #accept} takes connection requests one at a time.
 *
 * <pre>{@code
 * try (CmListener listener = CmListener.listen(new InetSocketAddress(7471), 16);
 *      CmConnection c = listener.accept(new CmConnection.Options().privateData(welcome), Duration.ofSeconds(30))) {
 *     if (c == null) return;                       // nobody came
 *     byte[] hello = c.peerPrivateData();          // the client's private data
 *     ...
 *     c.awaitDisconnect(Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * Each accepted connection's id is moved to an event channel of its own
 * ({@code rdma_migrate_id}), so its events never mix with the listener's and it outlives the
 * listener: closing the listener does not close accepted connections, as with a server socket.
 */
public final class CmListener implements AutoCloseable {
    private final CmEventChannel channel;
    private final CmId id;

    private CmListener(InetSocketAddress local, int backlog) {
        this.channel = new CmEventChannel(true);
        try {
            this.id = channel.createId();
            id.bind(local);
            id.listen(backlog);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Binds to {@code local} (the wildcard address: every RDMA device; port 0: a free port) and listens. */
    public static CmListener listen(InetSocketAddress local, int backlog) {
        return new CmListener(local, backlog);
    }

    /** The bound address; its port is the one chosen when binding to port 0. */
    public InetSocketAddress localAddress() {
        return id.localAddress();
    }

    /** The listening id. */
    public CmId id() {
        return id;
    }

    /**
     * Takes the next connection request and completes it: creates the PD, CQ and QP on the
     * request's device, accepts with {@code options}' private data, waits for ESTABLISHED. Returns
     * null when no request arrives within {@code timeout}; once one arrived, the rest of the
     * handshake gets {@code timeout} again, and its failure (the client went away) is a
     * {@link CmException}.
     */
    public CmConnection accept(CmConnection.Options options, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return null;
            CmEvent e = channel.next(Duration.ofNanos(left));
            if (e == null) return null;
            switch (e.type()) {
                case CONNECT_REQUEST -> {
                    return CmConnection.accept(e, options, timeout);
                }
                case DEVICE_REMOVAL -> throw CmException.of("listening on " + localAddress(), e);
                default -> { } // e.g. ADDR_CHANGE: nothing to do for a listener
            }
        }
    }

    /**
     * Takes the next connection request and rejects it ({@code rdma_reject}) with
     * {@code privateData} (at most 148 bytes); returns the client's private data, or null when
     * no request arrives within {@code timeout}.
     */
    public byte[] reject(byte[] privateData, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return null;
            CmEvent e = channel.next(Duration.ofNanos(left));
            if (e == null) return null;
            if (e.type() == CmEventType.CONNECT_REQUEST) {
                try {
                    e.id().reject(privateData);
                } finally {
                    e.id().channel().close(); // the request's own channel, and with it the id
                }
                return e.privateData();
            }
        }
    }

    /** Stops listening; connections already accepted stay open. */
    @Override
    public void close() {
        channel.close();
    }
}
