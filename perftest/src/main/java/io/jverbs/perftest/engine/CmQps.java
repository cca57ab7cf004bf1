package io.jverbs.perftest.engine;

import io.jverbs.rdmacm.CmEvent;
import io.jverbs.rdmacm.CmEventChannel;
import io.jverbs.rdmacm.CmEventType;
import io.jverbs.rdmacm.CmException;
import io.jverbs.rdmacm.CmId;
import io.jverbs.rdmacm.ConnectionParameters;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

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
 * <p>UD ({@code -c UD}), as perftest: {@code RDMA_PS_UDP} ids, so a connect is a SIDR exchange.
 * The client takes the server's QP number, qkey and address from ESTABLISHED ({@code param.ud})
 * and makes its AH from them. When the server sends too (send_lat, {@code -b}), the client then
 * sends it its QP number as the immediate data of a 4-byte SEND_WITH_IMM, which the server
 * receives into a buffer posted before accepting and turns into an AH with
 * {@code ibv_create_ah_from_wc} (perftest's {@code rdma_cm_request_ud_connection_parameters},
 * {@code rdma_cm_initialize_ud_connection_parameters}, {@code rdma_cm_send_ud_connection_parameters}).
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
    /** UD: per QP, how to reach the peer's QP (null entries where this side never sends). */
    private final List<UdPeer> peers = new ArrayList<>();
    private CmEventChannel listenChannel;
    private CmId listenId;

    /** A UD peer: the AH and remote QP number and qkey of the sends to it. */
    record UdPeer(AddressHandle ah, int qpn, int qkey) {
    }

    /**
     * What UD connections need besides the QPs: whether the client sends its QP number (the server
     * sends too), where the message goes ({@code buffer.applyAsLong(i)}: an address in {@code mr}
     * with room for the GRH and 4 bytes), and the CQs it completes on.
     */
    record Ud(boolean exchangeQpn, MemoryRegion mr, java.util.function.IntToLongFunction buffer,
              CompletionQueue sendCq, CompletionQueue recvCq) {
        static final int MESSAGE = 4;
    }

    private final Ud ud;

    private CmQps(Ud ud) {
        this.ud = ud;
    }

    /** Server: binds all IPv4 addresses on {@code port} and listens with backlog {@code n}; {@code ud} null for RC. */
    static CmQps listen(int port, int n, Ud ud) {
        CmQps q = new CmQps(ud);
        try {
            q.listenChannel = CmEventChannel.create();
            q.channels.add(q.listenChannel);
            q.listenId = ud != null ? q.listenChannel.createUdpId() : q.listenChannel.createId();
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
                    QueuePair qp = id.createQueuePair(pd, config);
                    qps.add(qp);
                    if (ud != null && ud.exchangeQpn()) {
                        ReceiveRequests r = new ReceiveRequests(1, 1);
                        r.add(0).sge(ud.buffer().applyAsLong(qps.size() - 1), ProtectionDomain.GRH_BYTES + Ud.MESSAGE,
                                ud.mr().lkey());
                        qp.postReceive(r);
                    }
                    id.accept(params);
                    if (ud != null) {
                        // SIDR ends with our reply: no ESTABLISHED here
                        peers.add(ud.exchangeQpn() ? receiveQpn(id, pd, deadline) : null);
                        established++;
                    }
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
                         ConnectionParameters params, Duration timeout, Ud ud) {
        CmQps q = new CmQps(ud);
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
                id = ud != null ? channel.createUdpId() : channel.createId();
                id.resolveAddress(null, remote, RESOLVE);
                id.awaitEvent(CmEventType.ADDR_RESOLVED, RESOLVE.plusMillis(500), step);
                id.resolveRoute(RESOLVE);
                id.awaitEvent(CmEventType.ROUTE_RESOLVED, RESOLVE.plusMillis(500), step);
                qp = id.createQueuePair(pd, config);
                id.connect(params);
                long left = Math.max(1, deadline - System.nanoTime());
                CmEvent e = id.awaitEvent(CmEventType.ESTABLISHED, Duration.ofNanos(left), step);
                channels.add(channel);
                ids.add(id);
                qps.add(qp);
                if (ud != null) {
                    CmEvent.UdParameters server = e.ud();
                    AddressHandle ah = server.createAddressHandle(pd);
                    peers.add(new UdPeer(ah, server.qpNumber(), server.qkey()));
                    if (ud.exchangeQpn()) {
                        sendQpn(qp, peers.getLast(), qps.size() - 1, deadline);
                    }
                }
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

    /** UD: the peer of each QP (an entry is null where this side only receives). */
    List<UdPeer> udPeers() {
        return java.util.Collections.unmodifiableList(peers);
    }

    /** Client, UD: our QP number as the immediate data of a 4-byte send, waited for. */
    private void sendQpn(QueuePair qp, UdPeer peer, int i, long deadline) {
        SendRequests s = new SendRequests(1, 1);
        s.add(0, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(ud.buffer().applyAsLong(i), Ud.MESSAGE, ud.mr().lkey())
                .ud(peer.ah(), peer.qpn(), peer.qkey()).immediate(qp.qpNumber());
        qp.postSend(s);
        WorkCompletions wc = awaitOne(ud.sendCq(), deadline, "the send of our QP number to the server");
        if (!wc.isSuccess(0)) {
            throw new EngineException("-R: the send of our QP number to the server failed: " + wc.describe(0));
        }
    }

    /** Server, UD: the client's QP number message, and an AH back to where it came from. */
    private UdPeer receiveQpn(CmId id, ProtectionDomain pd, long deadline) {
        WorkCompletions wc = awaitOne(ud.recvCq(), deadline, "the client's QP number (perftest's UD connection parameters)");
        if (!wc.isSuccess(0) || wc.opcode(0) != WcOpcode.RECV || (wc.flags(0) & WorkCompletions.FLAG_WITH_IMM) == 0) {
            throw new EngineException("-R: expected the client's QP number as a send with immediate data, got "
                    + wc.describe(0));
        }
        long at = ud.buffer().applyAsLong(qps.size() - 1);
        java.lang.foreign.MemorySegment grh = java.lang.foreign.MemorySegment.ofAddress(at)
                .reinterpret(ProtectionDomain.GRH_BYTES);
        AddressHandle ah = pd.createAddressHandle(id.portNumber(), wc, 0, grh);
        return new UdPeer(ah, wc.immediateData(0) & 0xffffff, CmId.UDP_QKEY); // rdma_cm gives its UD QPs this qkey (perftest queries it)
    }

    private static WorkCompletions awaitOne(CompletionQueue cq, long deadline, String what) {
        WorkCompletions wc = new WorkCompletions(1);
        while (cq.poll(wc) == 0) {
            if (deadline - System.nanoTime() < 0) {
                throw new EngineException("-R: no completion for " + what + " in time; is the peer perftest/jperf with -R -c UD?");
            }
            Thread.onSpinWait();
        }
        return wc;
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
        for (UdPeer peer : peers) {
            if (peer != null) {
                closeQuietly(peer.ah());
            }
        }
        peers.clear();
        for (CmId id : ids) {
            if (id.isUdp()) {
                continue; // SIDR leaves nothing to disconnect (perftest skips it for UD too)
            }
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
