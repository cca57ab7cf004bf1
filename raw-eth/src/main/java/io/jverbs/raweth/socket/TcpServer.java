package io.jverbs.raweth.socket;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.locks.Condition;

/**
 * A listening port of a {@link TcpStack}, used like {@link java.net.ServerSocket}: {@link #accept}
 * blocks (parking a virtual thread) until a connection completed its handshake. Thread-safe.
 */
public final class TcpServer implements AutoCloseable {
    private final TcpStack stack;
    private final TcpListener listener;
    private final Condition ready;
    private long timeoutMillis;

    TcpServer(TcpStack stack, TcpListener listener) {
        this.stack = stack;
        this.listener = listener;
        ready = stack.lock.newCondition();
    }

    /**
     * The next connection, waiting at most {@link #setSoTimeout} (0: for ever).
     *
     * @throws SocketTimeoutException if the timeout passed
     * @throws SocketException if the server or the stack is closed
     */
    public TcpConnection accept() throws IOException {
        stack.lock.lock();
        try {
            long deadline = TcpStack.deadline(timeoutMillis);
            while (true) {
                if (listener.isClosed()) {
                    throw new SocketException("TCP server on port " + listener.port() + " is closed");
                }
                TcpSocket s = listener.accept();
                if (s != null) {
                    return new TcpConnection(stack, s);
                }
                if (!stack.await(ready, deadline)) {
                    throw new SocketTimeoutException("accept on port " + listener.port() + " timed out after "
                            + timeoutMillis + " ms");
                }
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /** How long {@link #accept} waits, in ms; 0 for ever (the default). */
    public void setSoTimeout(long millis) {
        TcpStack.deadline(millis);
        timeoutMillis = millis;
    }

    /** The local port. */
    public int port() {
        return listener.port();
    }

    /** The listener underneath, for its queues and counters (read them under {@link TcpStack#locked}). */
    public TcpListener listener() {
        return listener;
    }

    /** Stops listening; a blocked {@link #accept} throws. Idempotent. */
    @Override
    public void close() {
        stack.lock.lock();
        try {
            listener.close();
            stack.pollNow();
        } finally {
            stack.lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "TcpServer[" + listener + "]";
    }
}
