package io.jverbs.perftest.oob;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * perftest's default control channel: one TCP connection (perftest_communication.c
 * {@code ethernet_server_connect} / {@code ethernet_client_connect}). The server binds with
 * {@code SO_REUSEADDR}, listens with backlog 1, accepts one client and closes the listener.
 * Unlike perftest, the client retries a refused connection until its deadline (so it may start
 * before the server), and every read has a deadline (perftest blocks forever on a silent peer).
 */
public final class TcpTransport implements OobTransport {
    /** perftest's default {@code -p}. */
    public static final int DEFAULT_PORT = 18515;
    private static final long RETRY_PAUSE_MS = 100;

    private final Socket socket;
    /** TCP keepalive: a peer host that vanished (no FIN) fails a wait after idle + count × interval ≈ 25 s. */
    private static final int KEEPALIVE_IDLE_S = 10, KEEPALIVE_INTERVAL_S = 5, KEEPALIVE_COUNT = 3;

    private final PushbackInputStream in;
    private final OutputStream out;
    private final String peer;

    private TcpTransport(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        keepAlive(socket);
        this.in = new PushbackInputStream(socket.getInputStream(), 1);
        this.out = socket.getOutputStream();
        this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    /**
     * Waits for one client on {@code port} ({@code bindAddress} null = all addresses).
     *
     * @param acceptTimeout how long to wait for the client; {@link Duration#ZERO} waits forever,
     *                      as perftest's server does
     */
    public static TcpTransport accept(InetAddress bindAddress, int port, Duration acceptTimeout) {
        checkPort(port);
        String step = "waiting for a client on port " + port;
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(bindAddress, port), 1);
            listener.setSoTimeout(timeoutMillis(acceptTimeout));
            Socket s = listener.accept();
            try {
                return new TcpTransport(s);
            } catch (IOException e) {
                s.close();
                throw e;
            }
        } catch (SocketTimeoutException e) {
            throw new OobException(OobException.Kind.TIMEOUT, step,
                    "no client connected within " + seconds(acceptTimeout), e);
        } catch (IOException e) {
            throw new OobException(OobException.Kind.CONNECT, step,
                    "cannot listen or accept (" + e.getMessage() + "); is another server using the port? try -p",
                    e);
        }
    }

    /**
     * Connects to a server, retrying a refused connection every 100 ms until
     * {@code connectTimeout} has passed (a server that starts a moment later is still found).
     */
    public static TcpTransport connect(String host, int port, Duration connectTimeout) {
        checkPort(port);
        String step = "connecting to " + host + ":" + port;
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new OobException(OobException.Kind.CONNECT, step, "unknown host " + host, e);
        }
        while (true) {
            // Like perftest, try every address of the name (a C server listens on IPv4 only).
            IOException last = null;
            for (InetAddress address : addresses) {
                Socket s = new Socket();
                try {
                    long leftMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                    s.connect(new InetSocketAddress(address, port), (int) Math.min(leftMs, Integer.MAX_VALUE));
                    return new TcpTransport(s);
                } catch (IOException e) {
                    closeQuietly(s);
                    last = e;
                }
            }
            if (last instanceof SocketTimeoutException) {
                throw new OobException(OobException.Kind.TIMEOUT, step,
                        "no answer within " + seconds(connectTimeout), last);
            }
            if (!(last instanceof ConnectException)) {
                throw new OobException(OobException.Kind.CONNECT, step, String.valueOf(last.getMessage()), last);
            }
            if (System.nanoTime() + RETRY_PAUSE_MS * 1_000_000 - deadline > 0) {
                throw new OobException(OobException.Kind.CONNECT, step,
                        "connection refused for " + seconds(connectTimeout)
                                + "; is the server (jperf or ib_*) running with the same -p?", last);
            }
            sleep(RETRY_PAUSE_MS);
        }
    }

    @Override
    public void write(byte[] message, String step) {
        try {
            out.write(message);
            out.flush();
        } catch (IOException e) {
            throw new OobException(OobException.Kind.CLOSED, step,
                    "cannot send " + message.length + " bytes to " + peer + " (" + e.getMessage()
                            + "); the peer has exited", e);
        }
    }

    @Override
    public byte[] read(int length, Duration timeout, String step) {
        byte[] buf = new byte[length];
        long deadline = System.nanoTime() + timeout.toNanos();
        int got = 0;
        try {
            while (got < length) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new SocketTimeoutException();
                }
                socket.setSoTimeout((int) Math.min(leftMs, Integer.MAX_VALUE));
                int n = in.read(buf, got, length - got);
                if (n < 0) {
                    throw new OobException(OobException.Kind.CLOSED, step,
                            "peer " + peer + " closed the connection after " + got + " of " + length
                                    + " bytes" + (got > 0 ? ": " + Bytes.describe(buf, got) : "")
                                    + "; it exited or failed (see its output)");
                }
                got += n;
            }
            return buf;
        } catch (SocketTimeoutException e) {
            throw new OobException(OobException.Kind.TIMEOUT, step,
                    "peer " + peer + " sent " + got + " of " + length + " bytes within "
                            + seconds(timeout) + (got > 0 ? " (" + Bytes.describe(buf, got) + ")" : "")
                            + "; is it perftest/jperf running the same test with the same options?", e);
        } catch (IOException e) {
            throw new OobException(OobException.Kind.CLOSED, step,
                    "connection to " + peer + " failed after " + got + " of " + length + " bytes ("
                            + e.getMessage() + "); the peer has exited", e);
        }
    }

    /** One read with a 1 ms timeout; a byte that arrived is pushed back for the next {@link #read}. */
    @Override
    public PeerState peerState() {
        try {
            if (in.available() > 0) {
                return PeerState.SENT;
            }
            socket.setSoTimeout(1);
            int b = in.read();
            if (b < 0) {
                return PeerState.CLOSED;
            }
            in.unread(b);
            return PeerState.SENT;
        } catch (SocketTimeoutException e) {
            return PeerState.QUIET;
        } catch (IOException e) {
            return PeerState.CLOSED; // reset by the peer's kernel
        }
    }

    /**
     * Keepalive probes on the otherwise silent channel: the server of {@code --run_infinitely}
     * waits in one read for as long as the client runs, and must still notice a dead host.
     */
    private static void keepAlive(Socket s) throws IOException {
        s.setKeepAlive(true);
        try {
            s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, KEEPALIVE_IDLE_S);
            s.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, KEEPALIVE_INTERVAL_S);
            s.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, KEEPALIVE_COUNT);
        } catch (UnsupportedOperationException e) {
            // not Linux: the kernel's keepalive defaults (hours) apply
        }
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
    }

    private static int timeoutMillis(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + d);
        }
        return d.isZero() ? 0 : (int) Math.max(1, Math.min(d.toMillis(), Integer.MAX_VALUE));
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OobException(OobException.Kind.CONNECT, "connecting", "interrupted", e);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a socket we are abandoning: nothing useful to report
        }
    }
}
