package io.jverbs.perftest.engine;

import io.jverbs.rdmacm.CmEvent;
import io.jverbs.rdmacm.CmEventChannel;
import io.jverbs.rdmacm.CmEventType;
import io.jverbs.rdmacm.CmException;
import io.jverbs.rdmacm.CmId;
import io.jverbs.rdmacm.ConnectionParameters;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QueuePair;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code -R}: the test QPs connected with rdma_cm, one id per QP, as perftest's
 * {@code create_rdma_cm_connection}: the server listens on {@code -p}'s port (free again once the
 * control channel's listener is gone) with backlog {@code -q} and accepts that many requests; the
 * client resolves and connects each. rdma_cm moves the QPs to RTS; no private data is exchanged
 * (rkeys and addresses still travel over the control channel). QPs share the caller's PD and CQs,
 * which must come from the rdma_cm context of the device.
 *
 * <p>Unlike perftest (10 tries 100 ms apart), the client retries a rejected request until its
 * deadline: the C server starts listening only after a handshake, so the first request may come
 * too early. jperf's server listens before that handshake ({@link #listen}).
 */
final class CmQps implements AutoCloseable {
    private static final Duration RESOLVE = Duration.ofSeconds(2); // perftest's 2000 ms
    private static final long RETRY_PAUSE_MS = 100;

    private final List<CmEventChannel> channels = new ArrayList<>();
    private final List<CmId> ids = new ArrayList<>();
    private final List<QueuePair> qps = new ArrayList<>();
    private CmEventChannel listenChannel;
    private CmId listenId;

    private CmQps() {
    }

    /** Server: binds all IPv4 addresses on {@code port} and listens with backlog {@code n}. */
    static CmQps listen(int port, int n) {
        CmQps q = new CmQps();
        try {
            q.listenChannel = CmEventChannel.create();
            q.channels.add(q.listenChannel);
            q.listenId = q.listenChannel.createId();
            q.listenId.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), port));
            q.listenId.listen(n);
            return q;
        } catch (UnknownHostException e) {
            q.close();
            throw new AssertionError(e);
        } catch (RuntimeException e) {
            q.close();
            throw new EngineException("-R: cannot listen with rdma_cm on port " + port + " for the test QPs: "
                    + e.getMessage(), e);
        }
    }

    /** Server: accepts {@code n} requests, each with a QP made from {@code config}, and waits until all are established. */
    List<QueuePair> accept(int n, ProtectionDomain pd, QueuePair.Config config, ConnectionParameters params,
                           Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int established = 0;
        try {
            while (established < n) {
                long left = deadline - System.nanoTime();
                CmEvent e = left <= 0 ? null : listenChannel.next(Duration.ofNanos(left));
                if (e == null) {
                    throw new EngineException("-R: " + established + " of " + n + " rdma_cm test connections came within "
                            + timeout.toSeconds() + " s; is the client running with -R too?");
                }
                if (e.type() == CmEventType.CONNECT_REQUEST && ids.size() < n) {
                    CmId id = e.id();
                    ids.add(id);
                    qps.add(id.createQueuePair(pd, config));
                    id.accept(params);
                } else if (e.type() == CmEventType.ESTABLISHED) {
                    established++;
                } else if (e.type().isError() || e.type() == CmEventType.DISCONNECTED) {
                    throw new EngineException("-R: rdma_cm test connection failed: " + e);
                }
            }
            listenId.close(); // as perftest: no more requests
            listenId = null;
            return List.copyOf(qps);
        } catch (CmException e) {
            throw new EngineException("-R: rdma_cm test connection failed: " + e.getMessage(), e);
        }
    }

    /**
     * Client: connects {@code n} QPs to {@code host:port}, one after the other, retrying a
     * rejected request (the server is not listening yet) until {@code timeout} has passed.
     */
    static CmQps connect(String host, int port, int n, ProtectionDomain pd, QueuePair.Config config,
                         ConnectionParameters params, Duration timeout) {
        CmQps q = new CmQps();
        try {
            InetSocketAddress remote = new InetSocketAddress(ipv4(host), port);
            long deadline = System.nanoTime() + timeout.toNanos();
            for (int i = 0; i < n; i++) {
                q.connectOne(remote, pd, config, params, deadline, timeout);
            }
            return q;
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    private void connectOne(InetSocketAddress remote, ProtectionDomain pd, QueuePair.Config config,
                            ConnectionParameters params, long deadline, Duration timeout) {
        String step = "-R: rdma_cm connect of test QP " + (qps.size() + 1) + " to " + remote;
        while (true) {
            CmEventChannel channel = CmEventChannel.create();
            CmId id = null;
            QueuePair qp = null;
            try {
                id = channel.createId();
                id.resolveAddress(null, remote, RESOLVE);
                id.awaitEvent(CmEventType.ADDR_RESOLVED, RESOLVE.plusMillis(500), step);
                id.resolveRoute(RESOLVE);
                id.awaitEvent(CmEventType.ROUTE_RESOLVED, RESOLVE.plusMillis(500), step);
                qp = id.createQueuePair(pd, config);
                id.connect(params);
                long left = Math.max(1, deadline - System.nanoTime());
                id.awaitEvent(CmEventType.ESTABLISHED, Duration.ofNanos(left), step);
                channels.add(channel);
                ids.add(id);
                qps.add(qp);
                return;
            } catch (CmException e) {
                closeQuietly(qp);
                closeQuietly(id);
                closeQuietly(channel);
                if (!e.isConnectionRefused() || deadline - System.nanoTime() < io.jverbs.perftest.oob.CmTransport.MIN_ATTEMPT_NS) {
                    throw new EngineException(step + ": " + (e.isConnectionRefused() ? "rejected for "
                            + timeout.toSeconds() + " s; is the server running with -R and the same -p?" : e.getMessage()), e);
                }
                sleep(RETRY_PAUSE_MS);
            } catch (RuntimeException e) {
                closeQuietly(qp);
                closeQuietly(id);
                closeQuietly(channel);
                throw e;
            }
        }
    }

    List<QueuePair> queuePairs() {
        return List.copyOf(qps);
    }

    private static InetAddress ipv4(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (a instanceof Inet4Address) {
                    return a;
                }
            }
        } catch (UnknownHostException e) {
            throw new EngineException("-R: unknown host " + host, e);
        }
        throw new EngineException("-R: " + host + " has no IPv4 address (rdma_cm modes use IPv4)");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("-R: interrupted", e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // abandoning a failed attempt: the first error is what matters
        }
    }

    /** Disconnects (each peer sees DISCONNECTED), destroys the QPs, ids and channels. */
    @Override
    public void close() {
        for (CmId id : ids) {
            try {
                id.disconnect();
            } catch (RuntimeException ignored) {
                // already disconnected by the peer
            }
        }
        for (int i = qps.size() - 1; i >= 0; i--) {
            closeQuietly(qps.get(i));
        }
        for (int i = ids.size() - 1; i >= 0; i--) {
            closeQuietly(ids.get(i));
        }
        closeQuietly(listenId);
        for (int i = channels.size() - 1; i >= 0; i--) {
            closeQuietly(channels.get(i));
        }
        qps.clear();
        ids.clear();
        channels.clear();
    }
}
