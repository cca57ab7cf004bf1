package io.jverbs.raweth.socket;

/**
 * How a {@link TcpSocket} recovers lost segments between retransmission timeouts, on top of its
 * {@link CongestionControl}: it sees every acceptable ACK, says which segment to send again, and
 * how much may be in flight. {@link NewRenoRecovery} (RFC 5681 3.2, RFC 6582) is the one in use;
 * an RFC 6675 SACK recovery over a scoreboard is meant to plug in here (it would take the SACK
 * blocks of the ACK, answer {@link #retransmitSeq} with the next hole and {@link #window} with
 * cwnd − pipe + the bytes sent beyond SND.UNA).
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

    /** Whether a segment at {@link #retransmitSeq} must be sent again now. */
    boolean retransmitDue();

    /** Where the segment to send again starts. */
    int retransmitSeq();

    /** The retransmission {@link #retransmitDue} asked for was sent. */
    void retransmitted();

    /** Whether fast recovery is in progress. */
    boolean inRecovery();

    /** Fast retransmits so far (entries into recovery). */
    long fastRetransmits();
}
