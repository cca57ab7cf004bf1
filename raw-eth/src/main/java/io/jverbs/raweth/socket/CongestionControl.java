package io.jverbs.raweth.socket;

/**
 * A TCP sender's congestion controller: it owns the congestion window (cwnd) and the slow-start
 * threshold (ssthresh), in bytes, and the {@link TcpSocket} tells it what the ACK clock and the
 * timers saw. The socket sends at most min(cwnd, SND.WND) beyond SND.UNA; during NewReno fast
 * recovery it inflates a window of its own on top of the ssthresh the controller set (RFC 6582),
 * and leaves the window to the controller again when recovery ends. One controller per
 * connection, made by {@link TcpConfig#congestionControl()} when the connection is synchronized;
 * a callback must not allocate (it runs per segment).
 *
 * <p>Two are provided: {@link Reno} (RFC 5681) and {@link Cubic} (RFC 9438, the default, as on
 * Linux). Times are nanoseconds of the interface's clock.
 */
public interface CongestionControl {
    /** The connection is synchronized and sends segments of {@code smss} bytes: the initial window. */
    void start(int smss, long now);

    /** The congestion window, bytes. */
    int cwnd();

    /** The slow-start threshold, bytes ({@link Integer#MAX_VALUE} until the first loss). */
    int ssthresh();

    /**
     * An ACK advanced SND.UNA by {@code bytes} of data outside loss recovery (byte counting, RFC
     * 3465); {@code srtt} is the smoothed RTT (-1 before the first sample).
     */
    void onAck(int bytes, long srtt, long now);

    /**
     * A loss was detected by duplicate ACKs with {@code flightSize} bytes outstanding: set
     * ssthresh, and cwnd to it (the socket's fast recovery inflates on top).
     */
    void onLoss(int flightSize, long now);

    /** Fast recovery ended with a full ACK; {@code flightSize} bytes are still outstanding. */
    void onRecoveryEnd(int flightSize, long now);

    /**
     * The retransmission timer expired with {@code flightSize} bytes outstanding; {@code first}
     * when it is not a repeated timeout of the same data (RFC 5681 3.1: ssthresh is then held).
     */
    void onTimeout(int flightSize, boolean first, long now);

    /** The connection sends again after an idle period longer than the RTO (RFC 5681 4.1). */
    void onIdleRestart(long now);
}
