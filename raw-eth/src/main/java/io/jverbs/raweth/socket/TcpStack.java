package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.wire.Ipv4Address;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The blocking facade over the stack, for thread-per-connection code on virtual threads: an
 * {@link Interface} with a {@link TcpDemux}, one explicitly started poll thread that runs the
 * poll loop, {@link TcpServer}s that accept as {@link java.net.ServerSocket} does and
 * {@link TcpConnection}s with an {@link java.io.InputStream} and an {@link java.io.OutputStream}.
 *
 * {@snippet :
 * try (PacketPort port = PortOpeners.open(PortSpec.parse("tap:tap0"));
 *      TcpStack stack = TcpStack.start(port, InterfaceConfig.builder(Ipv4Address.parse("10.0.0.2"), 24).build());
 *      TcpServer server = stack.listen(7, 128)) {
 *     while (true) {
 *         TcpConnection c = server.accept();
 *         Thread.startVirtualThread(() -> { try (c) { c.inputStream().transferTo(c.outputStream()); } catch (IOException e) { } });
 *     }
 * }
 * }
 *
 * <h2>Threads</h2>
 * The stack's state is guarded by one lock. The poll thread takes it to poll, then waits for
 * frames outside it ({@link PacketPort#awaitReceive}, at most {@link Builder#maxIdleWait}). A
 * blocking call takes the lock, moves bytes between the caller's array and the socket's buffers,
 * and when it queued something (data, a FIN, a window update) polls the interface itself, so
 * what it wrote leaves at once rather than at the poll thread's next turn. When it must wait it
 * parks on a condition of the lock (a virtual thread unmounts), which every poll signals; it then
 * looks again. Errors and timeouts are {@link IOException}s: {@link SocketTimeoutException},
 * {@link ConnectException}, {@link SocketException} for a reset or a closed stack.
 *
 * <p>While the poll thread waits in {@code awaitReceive} another thread may poll the interface
 * under the lock: the port's data path is still used by one thread at a time, and a spurious
 * return of {@code awaitReceive} only costs a poll.
 */
public final class TcpStack implements AutoCloseable {
    private final PacketPort port;
    private final Interface iface;
    private final TcpDemux demux;
    private final TcpConfig config;
    private final int rxBuffer;
    private final int txBuffer;
    private final long maxIdleWait;
    final ReentrantLock lock = new ReentrantLock();
    private final List<Condition> waiters = new ArrayList<>();
    private final Thread pollThread;
    private volatile boolean closed;
    private volatile Throwable failure;
    private long polls;

    private TcpStack(Builder b) {
        port = b.port;
        iface = new Interface(port, b.config, b.clock);
        demux = iface.sockets().add(new TcpDemux(b.expectedConnections, b.random));
        config = b.tcp != null ? b.tcp : TcpConfig.defaults(b.random);
        rxBuffer = b.rxBuffer;
        txBuffer = b.txBuffer;
        maxIdleWait = b.maxIdleWait;
        pollThread = Thread.ofPlatform().name("tcp-poll " + port.name()).daemon().unstarted(this::pollLoop);
    }

    /** A stack on {@code port} with {@code config} and the defaults, its poll thread started. */
    public static TcpStack start(PacketPort port, InterfaceConfig config) {
        return builder(port, config).start();
    }

    /** Settings for a stack on {@code port} with {@code config}. */
    public static Builder builder(PacketPort port, InterfaceConfig config) {
        return new Builder(port, config);
    }

    /**
     * Listens on {@code port}, with a SYN queue and an accept queue of {@code backlog} each
     * (SYN cookies beyond the SYN queue: {@link TcpListener}).
     *
     * @throws IOException if the stack is closed
     * @throws IllegalStateException if the port has a listener
     */
    public TcpServer listen(int port, int backlog) throws IOException {
        lock.lock();
        try {
            checkOpen();
            return new TcpServer(this, demux.listen(port, config, rxBuffer, txBuffer, backlog, backlog));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Connects to {@code address}:{@code port} from an ephemeral port and waits for the
     * handshake, at most {@code timeoutMillis} (0: the retransmissions' limit).
     *
     * @throws ConnectException if the peer refused (RST) or did not answer
     * @throws SocketTimeoutException if the timeout passed first (the attempt is aborted)
     */
    public TcpConnection connect(Ipv4Address address, int port, long timeoutMillis) throws IOException {
        lock.lock();
        try {
            checkOpen();
            TcpSocket s = demux.connect(new TcpSocket(config, rxBuffer, txBuffer), address.value(), port);
            pollNow();
            long deadline = deadline(timeoutMillis);
            Condition c = lock.newCondition();
            while (s.state() == TcpSocket.State.SYN_SENT || s.state() == TcpSocket.State.SYN_RECEIVED) {
                if (!await(c, deadline)) {
                    s.abort();
                    pollNow();
                    throw new SocketTimeoutException("connect to " + address + ":" + port + " timed out after "
                            + timeoutMillis + " ms");
                }
            }
            if (s.state() == TcpSocket.State.CLOSED) {
                throw new ConnectException("connect to " + address + ":" + port + " failed: "
                        + (s.error() == TcpSocket.Error.RESET ? "refused (RST)"
                        : s.error() == TcpSocket.Error.UNREACHABLE ? "unreachable (ICMP " + s.softError() + ")"
                        : "no answer (" + s.error() + ", last soft error " + s.softError() + ")"));
            }
            return new TcpConnection(this, s);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} under the stack's lock, where it may read the interface, the demux and
     * the listeners' counters consistently. Keep it short: it holds up the poll loop.
     */
    public <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** The interface (use it under {@link #locked}). */
    public Interface iface() {
        return iface;
    }

    /** The demux (use it under {@link #locked}). */
    public TcpDemux demux() {
        return demux;
    }

    /** Polls run so far, by the poll thread and by callers. */
    public long polls() {
        return locked(() -> polls);
    }

    /**
     * Stops the poll thread; blocked calls throw {@link SocketException}. Connections are not
     * closed in order (nothing polls any more). The port stays open: close it after. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        wakeAll();
        if (Thread.currentThread() != pollThread) {
            try {
                pollThread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "TcpStack[" + iface + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- for TcpServer and TcpConnection

    /** Polls now under the lock (held): sends what a caller just queued, takes what arrived, wakes waiters. */
    void pollNow() {
        iface.poll();
        polls++;
        signalWaiters();
    }

    /**
     * Waits on {@code c} (lock held) until a poll signals it or {@code deadline} (System.nanoTime;
     * {@link Long#MAX_VALUE}: none) passes; false when it passed.
     */
    boolean await(Condition c, long deadline) throws IOException {
        checkOpen();
        long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        waiters.add(c);
        try {
            if (left == Long.MAX_VALUE) {
                c.await();
            } else {
                c.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting on " + this);
        }
        checkOpen();
        return true; // the caller looks again; a deadline passed by now shows at its next await
    }

    static long deadline(long timeoutMillis) {
        if (timeoutMillis < 0) {
            throw new IllegalArgumentException("timeout " + timeoutMillis + " ms is negative");
        }
        return timeoutMillis == 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    void checkOpen() throws SocketException {
        if (closed) {
            Throwable f = failure;
            SocketException e = new SocketException(f == null ? "TCP stack on " + port.name() + " is closed"
                    : "TCP stack on " + port.name() + " failed: " + f);
            if (f != null) {
                e.initCause(f);
            }
            throw e;
        }
    }

    private void signalWaiters() {
        for (int i = 0; i < waiters.size(); i++) {
            waiters.get(i).signalAll();
        }
        waiters.clear();
    }

    private void pollLoop() {
        try {
            while (!closed) {
                long delay;
                lock.lock();
                try {
                    pollNow();
                    delay = iface.pollDelay(iface.clock().nanos());
                } finally {
                    lock.unlock();
                }
                if (delay > 0) {
                    port.awaitReceive(Math.min(delay, maxIdleWait));
                }
            }
        } catch (Throwable t) {
            failure = t;
            closed = true;
            wakeAll();
        }
    }

    private void wakeAll() {
        lock.lock();
        try {
            signalWaiters();
        } finally {
            lock.unlock();
        }
    }

    /** Settings of a {@link TcpStack}. */
    public static final class Builder {
        private final PacketPort port;
        private final InterfaceConfig config;
        private NanoClock clock = NanoClock.system();
        private java.util.random.RandomGenerator random = new SecureRandom();
        private TcpConfig tcp;
        private int rxBuffer = 65_535;
        private int txBuffer = 65_535;
        private int expectedConnections = 1024;
        private long maxIdleWait = 1_000_000;

        private Builder(PacketPort port, InterfaceConfig config) {
            this.port = Objects.requireNonNull(port, "port");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The TCP settings of every connection (default: {@link TcpConfig#defaults} with the random source). */
        public Builder tcp(TcpConfig value) {
            tcp = Objects.requireNonNull(value, "tcp");
            return this;
        }

        /** Receive and send buffer bytes of each connection (default 65535 each). */
        public Builder buffers(int rx, int tx) {
            if (rx < 1 || tx < 1) {
                throw new IllegalArgumentException("buffers must be at least 1 byte: rx " + rx + ", tx " + tx);
            }
            rxBuffer = rx;
            txBuffer = tx;
            return this;
        }

        /** The connections the demux's table is sized for at first (default 1024; it grows). */
        public Builder expectedConnections(int value) {
            expectedConnections = value;
            return this;
        }

        /** The longest the poll thread waits for a frame when no timer is due sooner (default 1 ms). */
        public Builder maxIdleWait(long nanos) {
            if (nanos < 1) {
                throw new IllegalArgumentException("maxIdleWait " + nanos + " ns: must be positive");
            }
            maxIdleWait = nanos;
            return this;
        }

        /** The clock (default {@link NanoClock#system()}). */
        public Builder clock(NanoClock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** ISNs' and cookies' secrets and the hash seed (default a {@link SecureRandom}). */
        public Builder random(java.util.random.RandomGenerator value) {
            random = Objects.requireNonNull(value, "random");
            return this;
        }

        /** Makes the stack and starts its poll thread. */
        public TcpStack start() {
            TcpStack s = new TcpStack(this);
            s.pollThread.start();
            return s;
        }
    }
}
