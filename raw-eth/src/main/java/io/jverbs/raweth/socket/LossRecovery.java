package io.jverbs.raweth.socket;

/**
 * How a {@link TcpSocket} recovers lost segments between retransmission timeouts, on top of its
 * {@link CongestionControl}: it sees every acceptable ACK, says which segment to send again, and
 * how much may be in flight. {@link SackRecovery} (RFC 6675, over the socket's {@link Scoreboard})
 * is used when both SYNs offered SACK, {@link NewRenoRecovery} (RFC 5681 3.2, RFC 6582) otherwise.
 * The socket asks {@link #retransmitDue} before and after sending new data, and sends one segment
 * per positive answer, so a recovery may repair several holes per ACK.
 */
interface LossRecovery {
    /** A new connection: the controller is started, segments are {@code smss}, sequence numbers begin at {@code iss}. */
    void start(CongestionControl cc, int smss, int iss);

    /**
     * An ACK advanced SND.UNA from {@code before} to {@code ack}, acknowledging {@code dataBytes}
     * of data, with {@code sndMax} the highest sequence number sent.
     *
     * @return whether the retransmission timer must keep its deadline (RFC 6582's Impatient
     *         variant: only the first partial ACK restarts it)
     */
    boolean onNewAck(int before, int ack, int dataBytes, int sndMax, long srtt, long now);

    /** A duplicate ACK (RFC 5681 section 2) of SND.UNA = {@code sndUna}. */
    void onDuplicateAck(int sndUna, int sndMax, long now);

    /** The retransmission timer expired: leave recovery; {@code first} unless it repeats for the same data. */
    void onTimeout(int sndUna, int sndMax, boolean first, long now);

    /** The bytes beyond SND.UNA the congestion state lets the sender have sent. */
    int window();

    /**
     * Whether a segment at {@link #retransmitSeq} must be sent again now; {@code sndMax} is the
     * highest sequence number sent, {@code newData} whether the socket would send previously
     * unsent data now (queued, and the peer's window and this recovery's {@link #window} admit it).
     */
    boolean retransmitDue(int sndMax, boolean newData);

    /** Where the segment to send again starts. */
    int retransmitSeq();

    /** The most bytes the retransmission at {@link #retransmitSeq} may carry, {@code mss} the socket's segment size now. */
    default int retransmitLength(int mss) {
        return mss;
    }

    /** The retransmission {@link #retransmitDue} asked for was sent as {@code [seq, end)} (empty if nothing was). */
    void retransmitted(int seq, int end);

    /** Whether fast recovery is in progress. */
    boolean inRecovery();

    /** Fast retransmits so far (entries into recovery). */
    long fastRetransmits();
}
