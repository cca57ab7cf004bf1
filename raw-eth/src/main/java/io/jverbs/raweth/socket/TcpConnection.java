package io.jverbs.raweth.socket;

import io.jverbs.raweth.wire.Ipv4Address;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.locks.Condition;

/**
 * One connection of a {@link TcpStack} as blocking streams, like {@link java.net.Socket}: reads
 * block until data, the peer's FIN (-1) or an error; writes block while the send buffer is full.
 * Both park the calling (virtual) thread and are woken by the stack's polls. Thread-safe; one
 * reader and one writer at a time make sense, as with a socket.
 */
public final class TcpConnection implements AutoCloseable {
    private final TcpStack stack;
    private final TcpSocket socket;
    private final Condition changed;
    private final Input in = new Input();
    private final Output out = new Output();
    private long readTimeoutMillis;
    private long writeTimeoutMillis;
    private boolean outputShut;
    private boolean closed;

    TcpConnection(TcpStack stack, TcpSocket socket) {
        this.stack = stack;
        this.socket = socket;
        changed = stack.lock.newCondition();
    }

    /** The stream of bytes from the peer. */
    public InputStream inputStream() {
        return in;
    }

    /** The stream of bytes to the peer; {@code close()} on it closes the connection. */
    public OutputStream outputStream() {
        return out;
    }

    /** How long a read waits, in ms; 0 for ever (the default). */
    public void setReadTimeout(long millis) {
        TcpStack.deadline(millis);
        readTimeoutMillis = millis;
    }

    /** How long a write waits for room in the send buffer, in ms; 0 for ever (the default). */
    public void setWriteTimeout(long millis) {
        TcpStack.deadline(millis);
        writeTimeoutMillis = millis;
    }

    /** The peer's address. */
    public Ipv4Address remoteAddress() {
        return new Ipv4Address(socket.remoteAddress());
    }

    /** The peer's port. */
    public int remotePort() {
        return socket.remotePort();
    }

    /** The local port. */
    public int localPort() {
        return socket.localPort();
    }

    /** The connection's state now. */
    public TcpSocket.State state() {
        return stack.locked(socket::state);
    }

    /** Sends a FIN after the data written; reads go on. Idempotent. */
    public void shutdownOutput() {
        stack.lock.lock();
        try {
            if (!outputShut) {
                outputShut = true;
                socket.close();
                stack.pollNow();
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Closes the connection: a FIN after the data written (the stack sends what is queued and
     * finishes the close on its own), then reads and writes throw. Idempotent.
     */
    @Override
    public void close() {
        shutdownOutput();
        stack.lock.lock();
        try {
            socket.release(); // an orphan now: FIN-WAIT-2 bounded by the config's finWait2Timeout
            closed = true;
            changed.signalAll();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Drops the connection with a RST. */
    public void abort() {
        stack.lock.lock();
        try {
            outputShut = true;
            closed = true;
            socket.abort();
            stack.pollNow();
        } finally {
            stack.lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "TcpConnection[" + stack.locked(socket::toString) + "]";
    }

    private void checkOpen(String op) throws IOException {
        if (closed) {
            throw new SocketException(op + " on a closed TcpConnection");
        }
    }

    private IOException failed(String op) {
        return new SocketException(op + ": connection " + (socket.error() == TcpSocket.Error.RESET ? "reset by peer"
                : socket.error() == TcpSocket.Error.TIMED_OUT ? "timed out (no acknowledgment)" : "closed")
                + (socket.softError() != TcpSocket.SoftError.NONE ? ", last soft error " + socket.softError() : "")
                + " (" + socket + ")");
    }

    private int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        stack.lock.lock();
        try {
            long deadline = TcpStack.deadline(readTimeoutMillis);
            MemorySegment into = MemorySegment.ofArray(b).asSlice(off, len);
            while (true) {
                checkOpen("read");
                int n = socket.receive(into);
                if (n > 0) {
                    if (socket.pollDelay(0) == 0) {
                        stack.pollNow(); // a window update is due
                    }
                    return n;
                }
                if (n < 0) {
                    return -1;
                }
                if (socket.state() == TcpSocket.State.CLOSED) {
                    if (socket.error() == TcpSocket.Error.NONE) {
                        return -1;
                    }
                    throw failed("read");
                }
                if (!stack.await(changed, deadline)) {
                    throw new SocketTimeoutException("read timed out after " + readTimeoutMillis + " ms");
                }
            }
        } finally {
            stack.lock.unlock();
        }
    }

    private void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        stack.lock.lock();
        try {
            long deadline = TcpStack.deadline(writeTimeoutMillis);
            while (len > 0) {
                checkOpen("write");
                if (outputShut) {
                    throw new SocketException("write after shutdownOutput");
                }
                TcpSocket.State st = socket.state();
                if (st != TcpSocket.State.ESTABLISHED && st != TcpSocket.State.CLOSE_WAIT) {
                    throw failed("write");
                }
                int n = socket.canSend() ? socket.send(MemorySegment.ofArray(b).asSlice(off, len)) : 0;
                if (n > 0) {
                    off += n;
                    len -= n;
                    stack.pollNow();
                } else if (!stack.await(changed, deadline)) {
                    throw new SocketTimeoutException("write timed out after " + writeTimeoutMillis + " ms with "
                            + len + " bytes left");
                }
            }
        } finally {
            stack.lock.unlock();
        }
    }

    private final class Input extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return TcpConnection.this.read(b, off, len);
        }

        @Override
        public int available() {
            return stack.locked(socket::receiveQueued);
        }

        @Override
        public void close() {
            TcpConnection.this.close();
        }
    }

    private final class Output extends OutputStream {
        private final byte[] one = new byte[1];

        @Override
        public void write(int b) throws IOException {
            one[0] = (byte) b;
            write(one, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            TcpConnection.this.write(b, off, len);
        }

        @Override
        public void close() {
            TcpConnection.this.close();
        }
    }
}
