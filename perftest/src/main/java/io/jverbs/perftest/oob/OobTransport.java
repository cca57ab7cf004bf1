package io.jverbs.perftest.oob;

import java.time.Duration;

/**
 * The byte pipe under the out-of-band protocol: perftest's TCP socket by default
 * ({@link TcpTransport}), an rdma_cm control QP with {@code -z}. Every perftest exchange is one
 * write of exactly N bytes and one read of exactly N bytes, so this is all the protocol needs.
 * Implementations report every failure as an {@link OobException} naming {@code step}.
 */
public interface OobTransport extends AutoCloseable {

    /** Sends all of {@code message}, as perftest's single {@code write(sockfd, msg, size)}. */
    void write(byte[] message, String step);

    /**
     * Reads exactly {@code length} bytes, waiting at most {@code timeout} for all of them.
     * Fewer bytes (peer closed) is {@link OobException.Kind#CLOSED}, nothing in time is
     * {@link OobException.Kind#TIMEOUT}.
     */
    byte[] read(int length, Duration timeout, String step);

    /**
     * Whether QP info travels as perftest's raw 56-byte {@code struct pingpong_dest}
     * ({@link QpInfo#encodeBinary}), as over perftest's rdma_cm channel, instead of the text
     * layouts of the TCP channel. Default false.
     */
    default boolean binaryQpInfo() {
        return false;
    }

    /** What {@link #peerState()} saw. */
    enum PeerState {
        /** Nothing to read, connection open (or the transport cannot tell). */
        QUIET,
        /** Bytes are waiting; none was consumed. */
        SENT,
        /** The peer closed the connection or its process ended. */
        CLOSED
    }

    /**
     * Looks at the connection without waiting (at most a millisecond) and without consuming
     * anything: for {@code --run_infinitely}, whose loops never read the channel. Default
     * {@link PeerState#QUIET}: a transport that cannot tell relies on the loops' stall bound.
     */
    default PeerState peerState() {
        return PeerState.QUIET;
    }

    /**
     * After this side's last message: keeps the connection up until the peer closes it, at most
     * {@code timeout}. Default: returns at once (TCP delivers and acknowledges what was written
     * without the application).
     */
    default void awaitPeerClose(Duration timeout) {
    }

    /** A short description of the peer for messages, e.g. {@code "10.0.0.2:18515"}. */
    String peer();

    /** Closes the connection; idempotent. */
    @Override
    void close();
}
