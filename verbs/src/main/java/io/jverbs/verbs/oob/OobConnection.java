package io.jverbs.verbs.oob;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * One TCP connection for the out-of-band exchange that precedes RDMA traffic (QP numbers, PSNs,
 * GIDs, and for RDMA reads and writes keys and addresses), as rdma-core's pingpong programs and
 * perftest open one. Pure Java: it touches no native memory.
 *
 * <p>Every wait is bounded: connecting by {@code connectTimeout}, each read by {@code ioTimeout}
 * (a silent peer), and accepting by {@code acceptTimeout}. {@link Duration#ZERO} means no limit;
 * use it only where a person starts the other side, as a server waiting for its client.
 * Failures are {@link OobException}s that name the peer, the port and what was awaited.
 *
 * <pre>{@code
 * try (OobConnection c = OobConnection.connect("10.0.0.1", 18515)) {
 *     c.write(request);
 *     byte[] reply = c.read(52, "the server's addresses");
 * }
 * }</pre>
 */
public final class OobConnection implements AutoCloseable {
    /** How long {@link #connect(String, int)} waits for the TCP handshake with each address. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a read waits for the peer by default. Generous, because a peer may do slow work
     * between messages (move QPs to RTR, or run under emulation), but finite.
     */
    public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(60);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String peer;
    private final Duration ioTimeout;

    private OobConnection(Socket socket, Duration ioTimeout) throws IOException {
        this.socket = socket;
        this.ioTimeout = ioTimeout;
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(millis(ioTimeout));
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    /** {@link #connect(String, int, Duration, Duration)} with the default timeouts. */
    public static OobConnection connect(String host, int port) {
        return connect(host, port, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT);
    }

    /**
     * Connects to {@code host:port}, trying each address the name resolves to in turn, as the C
     * programs walk getaddrinfo's list.
     *
     * @throws OobException if the name does not resolve or no address accepts the connection
     */
    public static OobConnection connect(String host, int port, Duration connectTimeout, Duration ioTimeout) {
        Objects.requireNonNull(host, "host");
        checkPort(port);
        int connectMillis = millis(connectTimeout);
        millis(ioTimeout);
        InetAddress[] candidates;
        try {
            candidates = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new OobException("cannot resolve " + host + " for the out-of-band connection to port " + port, e);
        }
        IOException last = null;
        for (InetAddress a : candidates) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(a, port), connectMillis);
                return new OobConnection(s, ioTimeout);
            } catch (IOException e) {
                closeQuietly(s);
                last = e;                        // try the next address
            }
        }
        String why = last instanceof SocketTimeoutException
                ? "no answer within " + text(connectTimeout) : String.valueOf(last.getMessage());
        throw new OobException("cannot connect to " + host + ":" + port + " for the out-of-band exchange: " + why
                + " (is the server started and listening on that port?)", last);
    }

    /**
     * Binds {@code port} on every local address (0 picks a free port; read it with
     * {@link ServerSocket#getLocalPort()}), with SO_REUSEADDR so that a server restarts on the
     * same port at once, as the C programs do.
     *
     * @throws OobException if the port is taken or not allowed
     */
    public static ServerSocket listen(int port) {
        checkPort(port);
        ServerSocket listener = null;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(port), 1);
            return listener;
        } catch (IOException e) {
            closeQuietly(listener);
            throw new OobException("cannot listen on TCP port " + port + " for the out-of-band exchange: " + e.getMessage(), e);
        }
    }

    /**
     * Listens on {@code port}, accepts one client and stops listening, as a pingpong server does.
     *
     * @param acceptTimeout how long to wait for the client; {@link Duration#ZERO} waits for good
     */
    public static OobConnection accept(int port, Duration acceptTimeout, Duration ioTimeout) {
        try (ServerSocket listener = listen(port)) {
            return accept(listener, acceptTimeout, ioTimeout);
        } catch (IOException e) {
            throw new OobException("closing the listener on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Accepts one client on {@code listener}, which stays open. */
    public static OobConnection accept(ServerSocket listener, Duration acceptTimeout, Duration ioTimeout) {
        millis(ioTimeout);
        Socket s = null;
        try {
            listener.setSoTimeout(millis(acceptTimeout));
            s = listener.accept();
            return new OobConnection(s, ioTimeout);
        } catch (SocketTimeoutException e) {
            throw new OobException("no client connected to TCP port " + listener.getLocalPort() + " within "
                    + text(acceptTimeout), e);
        } catch (IOException e) {
            closeQuietly(s);
            throw new OobException("accepting a client on TCP port " + listener.getLocalPort() + ": " + e.getMessage(), e);
        }
    }

    /** Sends {@code message} whole. */
    public void write(byte[] message) {
        try {
            out.write(message);
            out.flush();
        } catch (IOException e) {
            throw new OobException("sending " + message.length + " bytes to " + peer + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Reads exactly {@code length} bytes.
     *
     * @param what what the bytes are, for the error message ("the server's addresses")
     * @throws OobException if the peer closes the connection or sends nothing for the I/O timeout
     *                      before {@code length} bytes arrived
     */
    public byte[] read(int length, String what) {
        byte[] b = new byte[length];
        int n = 0;
        try {
            while (n < length) {
                int r = in.read(b, n, length - n);
                if (r < 0) throw new EOFException();
                n += r;
            }
            return b;
        } catch (SocketTimeoutException e) {
            throw new OobException("peer " + peer + " sent nothing for " + text(ioTimeout) + " while we waited for "
                    + what + " (" + n + " of " + length + " bytes arrived)", e);
        } catch (EOFException e) {
            throw new OobException("peer " + peer + " closed the connection after " + n + " of " + length
                    + " bytes of " + what, e);
        } catch (IOException e) {
            throw new OobException("reading " + what + " from " + peer + " failed after " + n + " of " + length
                    + " bytes: " + e.getMessage(), e);
        }
    }

    /** The peer as {@code address:port}, for messages. */
    public String peer() {
        return peer;
    }

    /** Closes the connection; a second call does nothing. */
    @Override
    public void close() {
        closeQuietly(socket);
    }

    @Override
    public String toString() {
        return "OobConnection[" + peer + "]";
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("TCP port must be in 0..65535, got " + port);
    }

    /** A timeout as Socket wants it (0 = none); rejects negative and over-long ones. */
    private static int millis(Duration d) {
        Objects.requireNonNull(d, "timeout");
        if (d.isNegative()) throw new IllegalArgumentException("timeout must not be negative: " + d);
        long ms = d.toMillis();
        if (ms == 0 && !d.isZero()) return 1;
        if (ms > Integer.MAX_VALUE) throw new IllegalArgumentException("timeout too long: " + d);
        return (int) ms;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing left to do with a socket that fails to close
        }
    }
}
