package io.jverbs.perftest.oob;

import io.jverbs.core.NativeBuffer;
import io.jverbs.rdmacm.CmConnection;
import io.jverbs.rdmacm.CmException;
import io.jverbs.rdmacm.CmListener;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * perftest's rdma_cm control channel ({@code -z}, and {@code -R} which implies it):
 * perftest_communication.c {@code rdma_server_connect} / {@code rdma_client_connect} and
 * {@code ctx_xchg_data_rdma}. One RC QP connected with rdma_cm on {@code -p}'s port (IPv4,
 * {@code RDMA_PS_TCP}); every write is one SEND, every read one RECV; each side keeps exactly
 * one receive posted (perftest posts it before connect/accept and again after each receive). The
 * server binds the wildcard address, accepts one client and closes its listener (so {@code -R}
 * can listen on the same port for the test QPs). QP info travels as the raw 56-byte struct
 * ({@link #binaryQpInfo()}).
 *
 * <p>Unlike perftest, the client retries a rejected connection (no server listening yet) until
 * its deadline, and every wait is bounded; a peer that exits ends a wait at once (its kernel
 * disconnects the QP).
 */
public final class CmTransport implements OobTransport {
    /** perftest's receive buffer is {@code sizeof(struct pingpong_dest)}: no message may be longer. */
    public static final int MAX_MESSAGE = QpInfo.BINARY_SIZE;
    private static final int SLOT = 256;
    private static final long RECV_ID = 5; // perftest's SYNC_SPEC_ID
    private static final long RETRY_PAUSE_MS = 100;
    /** A connection attempt is not started with less time than this left. */
    public static final long MIN_ATTEMPT_NS = 1_000_000_000L;

    private final CmConnection connection;
    private final NativeBuffer buffer;
    private final MemoryRegion mr;
    private final SendRequests send = new SendRequests(1, 1);
    private final ReceiveRequests recv = new ReceiveRequests(1, 1);
    private final WorkCompletions wc = new WorkCompletions(1);
    private final Duration sendTimeout;
    private final String peer;
    private boolean closed;

    private CmTransport(CmConnection connection, NativeBuffer buffer, MemoryRegion mr, Duration sendTimeout) {
        this.connection = connection;
        this.buffer = buffer;
        this.mr = mr;
        this.sendTimeout = sendTimeout;
        InetSocketAddress r = connection.remoteAddress();
        this.peer = r == null ? "?" : r.getAddress().getHostAddress() + ":" + r.getPort();
        recv.add(RECV_ID).sge(mr.address(SLOT), SLOT, mr.lkey());
    }

    /** The connection parts made before the QP is connected: buffer, MR, the first receive. */
    private static final class Setup {
        NativeBuffer buffer;
        MemoryRegion mr;

        void prepare(CmConnection c) {
            buffer = NativeBuffer.allocate(2 * SLOT);
            mr = c.protectionDomain().register(buffer, Access.LOCAL_WRITE);
            ReceiveRequests first = new ReceiveRequests(1, 1);
            first.add(RECV_ID).sge(mr.address(SLOT), SLOT, mr.lkey());
            c.queuePair().postReceive(first);
        }

        void release() {
            if (mr != null) {
                mr.close();
            }
            if (buffer != null) {
                buffer.close();
            }
        }
    }

    private static CmConnection.Options options(Setup setup) {
        return new CmConnection.Options().maxSendWr(1).maxRecvWr(1).separateCompletionQueues(true)
                .beforeConnect(setup::prepare);
    }

    /**
     * Listens on {@code port} (all IPv4 addresses), accepts one client, stops listening.
     *
     * @param acceptTimeout how long to wait for the client; {@link Duration#ZERO} waits forever,
     *                      as perftest does
     */
    public static CmTransport accept(int port, Duration acceptTimeout, Duration stepTimeout) {
        String step = "waiting for an rdma_cm client on port " + port;
        Setup setup = new Setup();
        try (CmListener listener = CmListener.listen(new InetSocketAddress(anyIpv4(), port), 1)) {
            long deadline = System.nanoTime() + acceptTimeout.toNanos();
            while (true) {
                Duration wait = acceptTimeout.isZero() ? Duration.ofSeconds(60)
                        : Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                CmConnection c = listener.accept(options(setup), wait);
                if (c != null) {
                    return new CmTransport(c, setup.buffer, setup.mr, stepTimeout);
                }
                setup.release();
                if (!acceptTimeout.isZero() && deadline - System.nanoTime() <= 0) {
                    throw new OobException(OobException.Kind.TIMEOUT, step,
                            "no client connected within " + TcpTransport.seconds(acceptTimeout));
                }
            }
        } catch (CmException e) {
            setup.release();
            throw new OobException(OobException.Kind.CONNECT, step, e.getMessage(), e);
        } catch (OobException e) {
            throw e;
        } catch (RuntimeException e) {
            setup.release();
            throw new OobException(OobException.Kind.CONNECT, step, "cannot listen with rdma_cm (" + e.getMessage()
                    + "); is another server using the port? try -p", e);
        }
    }

    /**
     * Connects to {@code host}'s IPv4 address (it must belong to an RDMA device there), retrying a
     * rejected connection every 100 ms until {@code connectTimeout} has passed.
     */
    public static CmTransport connect(String host, int port, Duration connectTimeout, Duration stepTimeout) {
        String step = "rdma_cm connect to " + host + ":" + port;
        InetSocketAddress remote = new InetSocketAddress(ipv4(host, step), port);
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        boolean refused = false;
        while (true) {
            Setup setup = new Setup();
            try {
                Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
                CmConnection c = CmConnection.connect(remote, options(setup), left);
                return new CmTransport(c, setup.buffer, setup.mr, stepTimeout);
            } catch (CmException e) {
                setup.release();
                // An attempt gets at least a second; one cut short after rejections is still "rejected".
                boolean rejected = e.isConnectionRefused() || (refused && e.isTimeout());
                refused |= e.isConnectionRefused();
                boolean retry = e.isConnectionRefused() && deadline - System.nanoTime() > MIN_ATTEMPT_NS;
                if (!retry) {
                    throw new OobException(e.isTimeout() && !rejected ? OobException.Kind.TIMEOUT : OobException.Kind.CONNECT,
                            step, rejected ? "rejected for " + TcpTransport.seconds(connectTimeout)
                                    + ": nothing listens there; is the server (jperf or ib_*) running with the same"
                                    + " -p and -z/-R?" : e.getMessage(), e);
                }
                sleep(RETRY_PAUSE_MS, step);
            } catch (RuntimeException e) {
                setup.release();
                throw new OobException(OobException.Kind.CONNECT, step, String.valueOf(e.getMessage()), e);
            }
        }
    }

    /** The device context rdma_cm opened for this connection: {@code -R}'s test QPs use it too. */
    public Context context() {
        return connection.context();
    }

    @Override
    public boolean binaryQpInfo() {
        return true;
    }

    @Override
    public void write(byte[] message, String step) {
        if (message.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("perftest's rdma_cm channel carries at most " + MAX_MESSAGE
                    + " bytes per message, not " + message.length);
        }
        MemorySegment.copy(message, 0, buffer.segment(), ValueLayout.JAVA_BYTE, 0, message.length);
        send.clear();
        send.add(RECV_ID, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr.address(0), message.length, mr.lkey());
        try {
            connection.queuePair().postSend(send);
            if (connection.awaitSendCompletion(wc, sendTimeout) == 0) {
                throw new OobException(OobException.Kind.TIMEOUT, step, "peer " + peer
                        + " did not take a " + message.length + "-byte message within " + TcpTransport.seconds(sendTimeout));
            }
        } catch (CmException e) {
            throw closed(step, e);
        }
    }

    @Override
    public byte[] read(int length, Duration timeout, String step) {
        try {
            if (connection.awaitReceiveCompletion(wc, timeout) == 0) {
                throw new OobException(OobException.Kind.TIMEOUT, step, "peer " + peer + " sent nothing within "
                        + TcpTransport.seconds(timeout) + "; is it perftest/jperf running the same test with the same options?");
            }
            int got = wc.byteLength(0);
            byte[] data = new byte[Math.min(got, SLOT)];
            MemorySegment.copy(buffer.segment(), ValueLayout.JAVA_BYTE, SLOT, data, 0, data.length);
            connection.queuePair().postReceive(recv);
            if (got != length) {
                throw new OobException(OobException.Kind.GARBAGE, step, "peer " + peer + " sent a " + got
                        + "-byte message where perftest sends " + length + " (" + Bytes.describe(data)
                        + "); is it perftest/jperf running the same test with the same options?");
            }
            return data;
        } catch (CmException e) {
            throw closed(step, e);
        }
    }

    private OobException closed(String step, CmException e) {
        String why = e.isDisconnected() ? "peer " + peer + " disconnected; it exited or failed (see its output)"
                : "rdma_cm channel to " + peer + " failed: " + e.getMessage();
        return new OobException(OobException.Kind.CLOSED, step, why, e);
    }

    /**
     * Waits for the peer's DISCONNECTED with the QP still up: until then our responder can still
     * acknowledge (or acknowledge again, when the peer retransmits) the peer's last message.
     */
    @Override
    public void awaitPeerClose(Duration timeout) {
        try {
            connection.awaitDisconnect(timeout);
        } catch (CmException e) {
            // the device went away: nothing left to keep up
        }
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            mr.close(); // before the connection's PD
        } finally {
            try {
                connection.close();
            } finally {
                buffer.close();
            }
        }
    }

    private static InetAddress anyIpv4() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** perftest resolves the server with {@code AF_INET} only. */
    static InetAddress ipv4(String host, String step) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (a instanceof Inet4Address) {
                    return a;
                }
            }
            throw new OobException(OobException.Kind.CONNECT, step, host + " has no IPv4 address (perftest's rdma_cm"
                    + " modes use IPv4: give the IPv4 address of the server's RDMA interface)");
        } catch (UnknownHostException e) {
            throw new OobException(OobException.Kind.CONNECT, step, "unknown host " + host, e);
        }
    }

    private static void sleep(long ms, String step) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OobException(OobException.Kind.CONNECT, step, "interrupted", e);
        }
    }
}
