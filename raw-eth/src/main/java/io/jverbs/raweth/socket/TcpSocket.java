package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.IpTransmitter;
import io.jverbs.raweth.iface.Socket;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.TcpRepr;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One TCP connection (RFC 9293) of an {@link io.jverbs.raweth.iface.Interface}, smoltcp-style: a
 * state machine fed the segments the interface has already validated, with time from the poll and
 * bounded send and receive buffers the caller copies into and out of. It opens actively
 * ({@link #connect}) or passively ({@link #listen}: the socket itself becomes the connection, one
 * per listen), transfers data both ways, and closes in order either way, simultaneous close
 * included, through FIN-WAIT-1/2, CLOSING, TIME-WAIT (2 × {@link TcpConfig#msl()}), CLOSE-WAIT and
 * LAST-ACK.
 *
 * <p>What this slice does: RFC 9293 acceptability tests and processing order; RST validation and
 * RFC 5961 challenge ACKs for in-window RSTs that are not exact and for any SYN in a synchronized
 * state; RFC 6298 RTO (SRTT/RTTVAR, Karn's rule, exponential backoff) with go-back-N retransmission
 * from SND.UNA; MSS announced (MTU − 40) and the peer's honoured (536 when absent); RFC 6528 ISNs.
 *
 * <p>Sending: at most min(cwnd, SND.WND) beyond SND.UNA, cwnd from the {@link CongestionControl} of
 * {@link TcpConfig#congestionControl()} (CUBIC by default, Reno available); fast retransmit and
 * NewReno fast recovery (RFC 5681 3.2, RFC 6582, {@link NewRenoRecovery}), or RFC 6675 SACK recovery
 * ({@link SackRecovery}) when SACK was negotiated; Nagle's algorithm
 * ({@link #noDelay(boolean)} turns it off) and sender SWS avoidance with its override timer (RFC
 * 9293 3.8.6.2.1); a persist timer for a closed window, apart from the RTO, backing off
 * exponentially and never giving up while the peer answers the probes.
 *
 * <p>Receive path and options: RFC 7323 window scaling, timestamps (RTTM, PAWS) and RFC 2018
 * SACK-permitted, each used when both SYNs offer it ({@link TcpConfig#options()}); out-of-order
 * data held in the receive ring (bounded) and SACKed, joined when the hole fills; delayed ACK
 * ({@link TcpConfig#delayedAck()}); receiver SWS avoidance; keep-alive (off by default); a
 * FIN-WAIT-2 timeout; the RFC 5961 7 challenge-ACK limit; the peer's SACK blocks kept in an RFC
 * 6675 scoreboard for loss recovery.
 *
 * <p>Urgent data (RFC 9293 3.8.5, RFC 6093) inline, as Linux with {@code SO_OOBINLINE}:
 * {@link #sendUrgent} marks what it queues urgent (URG and the pointer to the first non-urgent
 * octet on the segments before it); {@link #urgentPending()} and {@link #urgentMark()} tell how
 * many bytes of the stream lead to the peer's mark. ICMP errors quoting our segments (RFC 5927
 * checks) are recorded as a {@link #softError()}; hard ones refuse a connection in SYN-SENT. R1
 * and R2 ({@link #retransmissionLimits}), the DiffServ field and TTL ({@link #trafficClass},
 * {@link #timeToLive}) and the local address of an open are set per socket.
 *
 * <p>Not implemented: TSO.
 *
 * {@snippet :
 * TcpSocket s = iface.sockets().add(new TcpSocket(config, 65_535, 65_535));
 * s.connect(40_000, peer, 80);
 * // after polls: s.send(request), s.receive(buffer) until it returns -1, then s.close()
 * }
 *
 * Not thread-safe: used by the thread that polls its interface. Nothing is allocated per segment
 * once established.
 */
public final class TcpSocket extends Socket {
    /** RFC 9293 3.7.1: the MSS assumed when the peer announces none. */
    static final int DEFAULT_MSS = 536;
    private static final int HEADER = TcpPacket.MIN_HEADER_LENGTH;
    private static final int MAX_WINDOW = 0xffff;
    private static final long NEVER = Long.MAX_VALUE;
    private static final long SYN_TIMEOUT_RTO = 3_000_000_000L;
    /** RFC 9293 3.8.6.2.1: the SWS override timeout, "in the range 0.1 - 1.0 seconds". */
    static final long SWS_OVERRIDE = 200_000_000L;
    /** Out-of-order intervals kept beyond RCV.NXT. */
    static final int REASSEMBLY_INTERVALS = 32;
    /** SACKed blocks the sender's scoreboard keeps. */
    static final int SCOREBOARD_BLOCKS = 64;

    /** The RFC 9293 connection states. */
    public enum State {
        /** No connection. */
        CLOSED,
        /** Waiting for a SYN. */
        LISTEN,
        /** SYN sent, waiting for the peer's. */
        SYN_SENT,
        /** SYN received and answered, waiting for its ACK. */
        SYN_RECEIVED,
        /** Open: data flows both ways. */
        ESTABLISHED,
        /** We closed; our FIN is not acknowledged yet. */
        FIN_WAIT_1,
        /** Our FIN is acknowledged; waiting for the peer's. */
        FIN_WAIT_2,
        /** Both closed at once; waiting for our FIN's ACK. */
        CLOSING,
        /** Both FINs acknowledged; waiting 2 × MSL for stray segments. */
        TIME_WAIT,
        /** The peer closed; we may still send. */
        CLOSE_WAIT,
        /** The peer closed, then we did; waiting for our FIN's ACK. */
        LAST_ACK
    }

    /** Why the connection ended, when it did not end in order. */
    public enum Error {
        /** No error. */
        NONE,
        /** The peer reset the connection (or refused it). */
        RESET,
        /** Retransmissions ran out (R2: {@link TcpConfig#maxRetransmissions()} or {@link #retransmissionLimits}). */
        TIMED_OUT,
        /** An ICMP hard error (destination unreachable: protocol, port, fragmentation needed) in SYN-SENT. */
        UNREACHABLE,
        /** The open named a local address that is not the interface's, or a broadcast destination. */
        INVALID_ADDRESS
    }

    /**
     * The last soft error (RFC 1122 4.2.3.9, RFC 9293 3.9.1.8): an ICMP error quoting one of our
     * segments, or R1 retransmissions in a row; none of them ends the connection.
     */
    public enum SoftError {
        /** None. */
        NONE,
        /** ICMP destination unreachable, code 0. */
        NETWORK_UNREACHABLE,
        /** ICMP destination unreachable, code 1. */
        HOST_UNREACHABLE,
        /** ICMP destination unreachable, code 2. */
        PROTOCOL_UNREACHABLE,
        /** ICMP destination unreachable, code 3. */
        PORT_UNREACHABLE,
        /** ICMP destination unreachable, code 4 (our packets carry DF; the MSS is not lowered). */
        FRAGMENTATION_NEEDED,
        /** ICMP destination unreachable, another code (5: source route failed, 9-13: prohibited, ...). */
        UNREACHABLE,
        /** ICMP time exceeded. */
        TIME_EXCEEDED,
        /** ICMP parameter problem. */
        PARAMETER_PROBLEM,
        /** R1 retransmissions in a row (RFC 9293 3.8.3): the next hop's address is being resolved again. */
        RETRANSMISSIONS;

        static SoftError of(int type, int code) {
            if (type == 11) return TIME_EXCEEDED;
            if (type == 12) return PARAMETER_PROBLEM;
            return switch (code) {
                case 0 -> NETWORK_UNREACHABLE;
                case 1 -> HOST_UNREACHABLE;
                case 2 -> PROTOCOL_UNREACHABLE;
                case 3 -> PORT_UNREACHABLE;
                case 4 -> FRAGMENTATION_NEEDED;
                default -> UNREACHABLE;
            };
        }
    }

    private final TcpConfig config;
    private final ByteRing rx;
    private final ByteRing tx;
    private final TcpPacket tcp = new TcpPacket();
    private final TcpPacket out = new TcpPacket();

    private State state = State.CLOSED;
    private Error error = Error.NONE;
    private boolean passive;
    private int localAddress;
    private int localPort;
    private int remoteAddress;
    private int remotePort;

    // Send sequence space (RFC 9293 3.3.1); sndMax is the highest SND.NXT sent, as SND.NXT goes back on timeouts.
    private boolean issChosen;
    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int maxSndWnd;
    private int peerMss = DEFAULT_MSS;
    private boolean synAcked;
    private boolean synTimedOut;
    private boolean finQueued;
    private boolean finAcked;
    // Receive sequence space.
    private int irs;
    private int rcvNxt;
    private boolean finReceived;

    private boolean ackPending;
    private boolean resetPending;
    private int resetSeq;

    // RFC 6298 state; srtt < 0 until the first sample.
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private long rtoDeadline = NEVER;
    private int retransmissions;
    private boolean rttTiming;
    private int rttSeq;
    private long rttSentAt;
    /**
     * Karn's rule stopped the timing (a retransmission) and no new segment is timed yet: only
     * then does an ACK's TSecr give the sample (see {@link #acknowledge}).
     */
    private boolean karnGap;
    private boolean probe;
    private long timeWaitDeadline = NEVER;

    private long segmentsSent;
    private long segmentsRetransmitted;
    private long challengeAcks;

    // Sending policy (tcp-cc): congestion control, loss recovery, Nagle/SWS, persist timer.
    private LossRecovery recovery = new NewRenoRecovery();
    private CongestionControl cc;
    private int sendMss = DEFAULT_MSS;
    private boolean noDelay;
    private long lastDataSent = NEVER;
    private long swsDeadline = NEVER;
    private long persistDeadline = NEVER;
    private int persistBackoff;
    private int probesUnanswered;
    private long windowProbes;
    private long timeouts;
    /** Out-of-order segments of this poll, each owed its own duplicate ACK (the sender counts them). */
    private int duplicateAcksOwed;

    // Receive path and options (RFC 7323, RFC 2018, delayed ACK, keep-alive): TcpOptions, Reassembly,
    // AckDelay, IdleTimers, RateLimit and the sender's Scoreboard hold the logic; these are the hooks' state.
    private final TcpOptions options = new TcpOptions();
    private final Reassembly reassembly = new Reassembly(REASSEMBLY_INTERVALS);
    private final int[] sackOut = new int[8];
    private final AckDelay ackDelay = new AckDelay();
    private final IdleTimers idle = new IdleTimers();
    private final RateLimit challengeLimit = new RateLimit();
    private final Scoreboard scoreboard = new Scoreboard(SCOREBOARD_BLOCKS);
    // RFC 6675 loss recovery (tcp-sack): in place of NewReno on connections that negotiated SACK,
    // unless lossRecovery() chose one
    private final LossRecovery newReno = recovery;
    private final SackRecovery sackRecovery = new SackRecovery(scoreboard);
    private boolean recoveryChosen;
    private int rcvRight; // RCV.NXT + the window last advertised: the right edge never moves left
    private long challengeAcksLimited;
    private long pawsRejected;
    private long noTimestampDropped;
    private long outOfOrderSegments;
    private long keepAliveProbes;
    private boolean released; // release(): an orphan, its received data discarded, FIN-WAIT-2 bounded

    // RFC 9293 MUSTs (tcp-must): urgent data, soft errors, R1/R2, per-socket IP fields, the open's local address.
    private boolean urgentIn; // RCV.UP is valid
    private int rcvUp;
    private boolean urgentOut; // SND.UP is valid until SND.UNA passes it
    private int sndUp;
    private SoftError softError = SoftError.NONE;
    private long icmpErrors;
    private int r1 = DEFAULT_R1;
    private int r2 = -1; // -1: TcpConfig.maxRetransmissions()
    private boolean adviseNeighbour;
    private int dscp;
    private int ttl;
    private int openLocalAddress; // 0: the interface's

    /** A closed socket with {@code rxBuffer} and {@code txBuffer} bytes of buffer. */
    public TcpSocket(TcpConfig config, int rxBuffer, int txBuffer) {
        this.config = Objects.requireNonNull(config, "config");
        rx = new ByteRing(rxBuffer);
        tx = new ByteRing(txBuffer);
        rto = config.rtoInitial();
    }

    // ---------------------------------------------------------------- API

    /**
     * Waits for a connection to local {@code port} from anyone (passive open).
     *
     * @throws IllegalStateException if the socket is not closed
     */
    public TcpSocket listen(int port) {
        checkPort(port);
        requireClosed("listen");
        reset();
        localPort = port;
        passive = true;
        state = State.LISTEN;
        return this;
    }

    /**
     * Opens a connection from local {@code localPort} to {@code address}:{@code port} (active open):
     * the SYN leaves at the next poll.
     *
     * @throws IllegalStateException if the socket is not closed
     */
    public TcpSocket connect(int localPort, int address, int port) {
        return connect(0, localPort, address, port);
    }

    /**
     * {@link #connect(int, int, int)} from local address {@code localAddress} (RFC 9293 MUST-43; 0:
     * the interface's). The interface has one address: another one ends the attempt at the next
     * poll with {@link Error#INVALID_ADDRESS}, as does the subnet's broadcast address as {@code address}.
     *
     * @throws IllegalArgumentException if {@code address} is 0.0.0.0, the limited broadcast, or a
     *         multicast or class E address (RFC 9293 MUST-46)
     * @throws IllegalStateException if the socket is not closed
     */
    public TcpSocket connect(int localAddress, int localPort, int address, int port) {
        checkPort(localPort);
        checkPort(port);
        if (address == 0 || address == -1 || (address >>> 28) >= 0xe) {
            throw new IllegalArgumentException("cannot connect to " + (address >>> 24) + "." + (address >>> 16 & 0xff)
                    + "." + (address >>> 8 & 0xff) + "." + (address & 0xff)
                    + ": not a unicast address (RFC 9293 MUST-46)");
        }
        requireClosed("connect");
        reset();
        this.localPort = localPort;
        remoteAddress = address;
        remotePort = port;
        openLocalAddress = localAddress;
        passive = false;
        state = State.SYN_SENT;
        return this;
    }

    /**
     * Queues up to {@code data.byteSize()} bytes to send and returns how many fit the send buffer.
     *
     * @throws IllegalStateException if the socket cannot send (not open, or closed by {@link #close})
     */
    public int send(MemorySegment data) {
        if (!mayQueue()) {
            throw new IllegalStateException("cannot send on a TCP socket in " + state
                    + (finQueued ? " after close()" : "") + " (error " + error + ")");
        }
        return tx.write(data, 0, (int) Math.min(data.byteSize(), Integer.MAX_VALUE));
    }

    /**
     * Copies received bytes into {@code into}: how many, 0 when none is buffered yet, -1 when the
     * peer has closed and everything was read.
     */
    public int receive(MemorySegment into) {
        if (rx.length() == 0) {
            return finReceived ? -1 : 0;
        }
        int n = (int) Math.min(into.byteSize(), rx.length());
        if (n == 0) {
            return 0; // no room: not the end of the stream
        }
        rx.peek(0, into, 0, n);
        rx.discard(n);
        // RFC 9293 3.8.6.2.2 (receiver SWS avoidance): announce a window that grew by an MSS or half the buffer;
        // after the peer's FIN nothing more comes, so no update is owed (from TIME-WAIT it would draw a RST).
        if (isSynchronized() && !finReceived && window() - (rcvRight - rcvNxt) >= swsThreshold()) {
            ackPending = true; // a window update is sent at once
        }
        return n;
    }

    /**
     * Closes our direction: a FIN follows the data queued. In LISTEN or SYN-SENT the socket just
     * closes. Closing twice does nothing.
     */
    public void close() {
        switch (state) {
            case LISTEN, SYN_SENT -> {
                state = State.CLOSED;
                stopTimer();
            }
            case SYN_RECEIVED -> finQueued = true; // FIN-WAIT-1 once established: no FIN before our SYN is ACKed
            case ESTABLISHED -> {
                finQueued = true;
                state = State.FIN_WAIT_1;
            }
            case CLOSE_WAIT -> {
                finQueued = true;
                state = State.LAST_ACK;
            }
            default -> {
            }
        }
    }

    /**
     * Closes both directions for the application, as closing a Linux socket's descriptor does:
     * {@link #close()} (a FIN follows the queued data), and from now on the socket is an orphan:
     * what still arrives is acknowledged and discarded, and FIN-WAIT-2 lasts at most
     * {@link TcpConfig#finWait2Timeout()} of silence from the peer (Linux's {@code tcp_fin_timeout}
     * for orphans). A socket only {@link #close()}d is half-closed: it may read for as long as the
     * peer sends, and FIN-WAIT-2 has no limit (RFC 9293 3.6.1).
     */
    public void release() {
        released = true;
        rx.discard(rx.length());
        close();
    }

    /** Whether {@link #release()} was called. */
    public boolean released() {
        return released;
    }

    /** Drops the connection at once: sends a RST if synchronized (RFC 9293 3.10.5) and closes. */
    public void abort() {
        if (isSynchronized() || state == State.SYN_RECEIVED) {
            resetPending = true;
            resetSeq = sndNxt;
        }
        state = State.CLOSED;
        stopTimer();
        timeWaitDeadline = NEVER;
    }

    /** The connection state. */
    public State state() {
        return state;
    }

    /** Why the connection ended abnormally, or {@link Error#NONE}. */
    public Error error() {
        return error;
    }

    /** Whether {@link #send} may queue data now. */
    public boolean canSend() {
        return mayQueue() && tx.free() > 0;
    }

    /** Bytes waiting to be read. */
    public int receiveQueued() {
        return rx.length();
    }

    /** Bytes queued and not yet acknowledged by the peer. */
    public int sendQueued() {
        return tx.length();
    }

    /** Whether the peer sent its FIN. */
    public boolean peerClosed() {
        return finReceived;
    }

    /** Local port. */
    public int localPort() {
        return localPort;
    }

    /** Peer's address ({@code Ipv4Address.value()} form), 0 before a peer is known. */
    public int remoteAddress() {
        return remoteAddress;
    }

    /** Peer's port. */
    public int remotePort() {
        return remotePort;
    }

    /** The current retransmission timeout, nanoseconds. */
    public long rto() {
        return rto;
    }

    /** The smoothed RTT, nanoseconds, or -1 before the first sample. */
    public long srtt() {
        return srtt;
    }

    /** The peer's MSS (536 when it announced none). */
    public int peerMss() {
        return peerMss;
    }

    /** Segments sent, retransmissions included. */
    public long segmentsSent() {
        return segmentsSent;
    }

    /** Segments sent again after a retransmission timeout. */
    public long segmentsRetransmitted() {
        return segmentsRetransmitted;
    }

    /** RFC 5961 challenge ACKs sent. */
    public long challengeAcks() {
        return challengeAcks;
    }

    /**
     * Turns Nagle's algorithm (RFC 9293 3.7.4, on by default) off ({@code true}) or on: without it a
     * segment smaller than the MSS leaves even while data is unacknowledged (TCP_NODELAY).
     */
    public TcpSocket noDelay(boolean on) {
        noDelay = on;
        return this;
    }

    /** Whether Nagle's algorithm is off. */
    public boolean noDelay() {
        return noDelay;
    }

    /** This connection's congestion controller, or null before the connection is synchronized. */
    public CongestionControl congestionControl() {
        return cc;
    }

    /** Fast retransmits (entries into fast recovery on three duplicate ACKs). */
    public long fastRetransmits() {
        return recovery.fastRetransmits();
    }

    /** Retransmission timeouts with data outstanding. */
    public long retransmissionTimeouts() {
        return timeouts;
    }

    /** Zero-window probes sent by the persist timer. */
    public long windowProbes() {
        return windowProbes;
    }

    /** Challenge ACKs not sent because of the RFC 5961 7 rate limit ({@link TcpConfig#challengeAckLimit()}). */
    public long challengeAcksLimited() {
        return challengeAcksLimited;
    }

    /** Segments dropped by PAWS (RFC 7323 5: a TSval older than TS.Recent), each answered by an ACK. */
    public long pawsRejected() {
        return pawsRejected;
    }

    /** Segments dropped for lacking the timestamps option on a connection that negotiated it (RFC 7323 3.2). */
    public long noTimestampDropped() {
        return noTimestampDropped;
    }

    /** Data segments (or FINs) received beyond RCV.NXT, kept for reassembly or dropped when it was full. */
    public long outOfOrderSegments() {
        return outOfOrderSegments;
    }

    /** Keep-alive probes sent. */
    public long keepAliveProbes() {
        return keepAliveProbes;
    }

    /** Whether window scaling is in use (both SYNs carried the option); {@link #windowShifts()} tells the shifts. */
    public boolean windowScaling() {
        return options.windowScale;
    }

    /** The peer's shift count (low byte, applied to its windows) and ours (second byte); 0 without scaling. */
    public int windowShifts() {
        return options.sndShift | options.rcvShift << 8;
    }

    /** Whether timestamps (RTTM, PAWS) are in use on this connection. */
    public boolean timestamps() {
        return options.timestamps;
    }

    /** Whether SACK was negotiated (both SYNs carried SACK-permitted). */
    public boolean sackPermitted() {
        return options.sack;
    }

    /** The peer's window, bytes (scaled). */
    public int sendWindow() {
        return sndWnd;
    }

    /** The sender's SACK scoreboard, fed by the peer's ACKs when SACK was negotiated (RFC 6675). */
    Scoreboard scoreboard() {
        return scoreboard;
    }

    // ---------------------------------------------------------------- sequence arithmetic

    /** a &lt; b modulo 2^32 (RFC 9293 3.4). */
    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean le(int a, int b) {
        return a - b <= 0;
    }

    // ---------------------------------------------------------------- Socket

    @Override
    protected int protocol() {
        return IpProtocol.TCP;
    }

    @Override
    protected boolean process(Ipv4Packet ip, boolean broadcast, long now) {
        if (state == State.CLOSED || broadcast) {
            return false;
        }
        tcp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength()); // checked by the interface
        if (tcp.destinationPort() != localPort) {
            return false;
        }
        if (state == State.LISTEN) {
            return listenSegment(ip, now);
        }
        if (ip.source() != remoteAddress || tcp.sourcePort() != remotePort
                || (issChosen && ip.destination() != localAddress)) {
            return false;
        }
        if (state == State.SYN_SENT) {
            return synSentSegment(now);
        }
        return synchronizedSegment(now);
    }

    private boolean listenSegment(Ipv4Packet ip, long now) {
        int flags = tcp.flags();
        if ((flags & TcpPacket.RST) != 0) {
            return true; // RFC 9293 3.10.7.2: ignored
        }
        if ((flags & TcpPacket.ACK) != 0) {
            return false; // answered by the interface as for no socket: <SEQ=SEG.ACK><CTL=RST>
        }
        if ((flags & TcpPacket.SYN) == 0) {
            return true;
        }
        localAddress = ip.destination();
        remoteAddress = ip.source();
        remotePort = tcp.sourcePort();
        irs = tcp.sequenceNumber();
        rcvNxt = irs + 1;
        takeMss();
        chooseIss(now);
        negotiate(now);
        updateWindow(irs, iss);
        state = State.SYN_RECEIVED;
        ackPending = true; // the SYN-ACK
        return true;
    }

    private boolean synSentSegment(long now) {
        if (!issChosen) {
            return false;
        }
        int flags = tcp.flags();
        int ack = tcp.acknowledgmentNumber();
        boolean hasAck = (flags & TcpPacket.ACK) != 0;
        if (hasAck && (le(ack, iss) || lt(sndMax, ack))) {
            // unacceptable ACK: RST <SEQ=SEG.ACK> (the interface's no-socket answer), unless it is a RST
            return (flags & TcpPacket.RST) != 0;
        }
        if ((flags & TcpPacket.RST) != 0) {
            if (hasAck) {
                fail(Error.RESET); // connection refused
            }
            return true;
        }
        if ((flags & TcpPacket.SYN) == 0) {
            return true;
        }
        irs = tcp.sequenceNumber();
        rcvNxt = irs + 1;
        takeMss();
        negotiate(now);
        rcvRight = rcvNxt + Math.min(rx.free(), MAX_WINDOW); // what our SYN offered, unscaled
        if (hasAck) {
            acknowledge(ack, now);
            updateWindow(irs, ack);
            state = State.ESTABLISHED;
            synchronizedNow();
        } else {
            // simultaneous open: SYN-ACK with our ISS again
            state = State.SYN_RECEIVED;
            sndNxt = iss;
            updateWindow(irs, iss);
        }
        ackPending = true;
        return true;
    }

    private boolean synchronizedSegment(long now) {
        int flags = tcp.flags();
        int seq = tcp.sequenceNumber();
        int payload = tcp.payloadLength();
        int segLen = payload + ((flags & TcpPacket.SYN) != 0 ? 1 : 0) + ((flags & TcpPacket.FIN) != 0 ? 1 : 0);
        if (state == State.SYN_RECEIVED && (flags & (TcpPacket.SYN | TcpPacket.ACK)) == (TcpPacket.SYN | TcpPacket.ACK)
                && seq == irs && payload == 0) {
            // simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK repeats its SYN; take it as the ACK
            flags &= ~TcpPacket.SYN;
            seq++;
            segLen--;
        }
        // RFC 7323 3.2 and 5.3 R1 (PAWS) come before the acceptability test
        if (options.timestamps && (flags & TcpPacket.RST) == 0 && !timestampsAcceptable(now)) {
            return true;
        }
        int wnd = window();
        // RFC 9293 3.10.7.4 first: the acceptability test
        boolean acceptable;
        if (segLen == 0) {
            acceptable = wnd == 0 ? seq == rcvNxt : le(rcvNxt, seq) && lt(seq, rcvNxt + wnd);
        } else {
            acceptable = wnd != 0 && ((le(rcvNxt, seq) && lt(seq, rcvNxt + wnd))
                    || (le(rcvNxt, seq + segLen - 1) && lt(seq + segLen - 1, rcvNxt + wnd)));
        }
        // RFC 9293 3.10.7.4, MUST-66: with RCV.WND zero, a segment at RCV.NXT still has its RST, ACK and URG processed
        boolean zeroWindowText = !acceptable && wnd == 0 && seq == rcvNxt && segLen > 0;
        if (zeroWindowText) {
            acceptable = true;
            ackPending = true; // the text is dropped: our ACK repeats the closed window
        }
        if (!acceptable) {
            if ((flags & TcpPacket.RST) == 0) {
                ackPending = true;
                if (state == State.TIME_WAIT && (flags & TcpPacket.FIN) != 0) {
                    timeWaitDeadline = now + 2 * config.msl(); // a retransmitted FIN
                }
            }
            return true;
        }
        heard(seq, now); // TS.Recent (RFC 7323 4.3), keep-alive and FIN-WAIT-2 timers
        // second: RST (RFC 5961 3.2: only an exact match resets; else a challenge ACK)
        if ((flags & TcpPacket.RST) != 0) {
            if (seq != rcvNxt) {
                challengeAck(now);
            } else if (state == State.SYN_RECEIVED && passive) {
                listenAgain();
            } else {
                fail(state == State.TIME_WAIT || state == State.CLOSING || state == State.LAST_ACK
                        ? Error.NONE : Error.RESET);
            }
            return true;
        }
        // fourth: SYN in a synchronized state (RFC 5961 4.2, RFC 9293): a challenge ACK
        if ((flags & TcpPacket.SYN) != 0) {
            if (state == State.SYN_RECEIVED && passive) {
                listenAgain(); // RFC 9293: a SYN in SYN-RECEIVED of a passive open returns to LISTEN
            } else {
                challengeAck(now);
            }
            return true;
        }
        // fifth: ACK
        if ((flags & TcpPacket.ACK) == 0) {
            return true;
        }
        int ack = tcp.acknowledgmentNumber();
        if (state == State.SYN_RECEIVED) {
            if (!(lt(sndUna, ack) && le(ack, sndMax))) {
                resetPending = true; // <SEQ=SEG.ACK><CTL=RST>
                resetSeq = ack;
                return true;
            }
            state = finQueued ? State.FIN_WAIT_1 : State.ESTABLISHED;
            synchronizedNow();
            updateWindow(seq, ack);
        }
        if (lt(sndMax, ack)) {
            ackPending = true; // acknowledges what we never sent: drop and ACK
            return true;
        }
        if (lt(ack, sndUna - maxSndWnd)) {
            challengeAck(now); // RFC 5961 5.2: older than any window we were given (blind data injection)
            return true;
        }
        // RFC 5681 section 2: a duplicate ACK, judged before the window update (not the answer to a window probe)
        boolean duplicate = ack == sndUna && payload == 0 && (flags & (TcpPacket.SYN | TcpPacket.FIN)) == 0
                && (tcp.window() << options.sndShift) == sndWnd && sndWnd != 0 && sndMax != sndUna;
        int una = sndUna;
        int queued = tx.length();
        long deadline = rtoDeadline;
        if (lt(sndUna, ack)) {
            acknowledge(ack, now);
        }
        if (le(sndUna, ack) && (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, ack)))) {
            updateWindow(seq, ack);
        }
        if (options.sack && takeSack() && ack == una && sndMax != una) {
            // RFC 6675 2: with SACK, an ACK that does not advance but SACKs new octets is a duplicate,
            // whatever its window or data (a receiver holding out-of-order data may announce a smaller one)
            duplicate = true;
        }
        acked(una, ack, queued - tx.length(), duplicate, deadline, now);
        switch (state) {
            case FIN_WAIT_1 -> {
                if (finAcked) state = State.FIN_WAIT_2;
            }
            case CLOSING -> {
                if (finAcked) enterTimeWait(now);
            }
            case LAST_ACK -> {
                if (finAcked) {
                    state = State.CLOSED;
                    stopTimer();
                    return true;
                }
            }
            default -> {
            }
        }
        // sixth: URG (RFC 9293 3.10.7.4; MUST-30, 62: the pointer names the first non-urgent octet)
        if ((flags & TcpPacket.URG) != 0
                && (state == State.ESTABLISHED || state == State.FIN_WAIT_1 || state == State.FIN_WAIT_2)) {
            urgentReceived(seq + tcp.urgentPointer());
        }
        if (zeroWindowText) {
            payload = 0;
            flags &= ~TcpPacket.FIN;
        }
        // seventh: text
        if (payload > 0 && (state == State.ESTABLISHED || state == State.FIN_WAIT_1 || state == State.FIN_WAIT_2)) {
            if (seq != rcvNxt && le(seq, rcvNxt) && lt(rcvNxt, seq + payload)) {
                int skip = rcvNxt - seq; // the front was received before
                seq += skip;
                payload -= skip;
            }
            if (seq == rcvNxt) {
                int n = rx.write(tcp.segment(), tcp.payloadOffset() + (tcp.payloadLength() - payload), payload);
                rcvNxt += n;
                if (released) {
                    rx.discard(rx.length()); // nobody reads an orphan: acknowledged and dropped
                }
                if (n < payload) {
                    flags &= ~TcpPacket.FIN; // the FIN is beyond what we kept
                }
                if (!reassembly.isEmpty()) {
                    if (fillHole()) { // a FIN held beyond the hole is in sequence now
                        flags |= TcpPacket.FIN;
                        seq = rcvNxt;
                        payload = 0;
                    }
                    ackPending = true; // RFC 5681 4.2: a segment that fills a hole is ACKed at once
                } else if ((flags & TcpPacket.FIN) != 0 || windowNearlyFull()
                        || ackDelay.data(now, config.delayedAck())) {
                    ackPending = true; // a FIN, or a sender that cannot send a full segment more, is ACKed at once
                }
            } else {
                if (lt(rcvNxt, seq)) {
                    outOfOrder(seq, payload, flags);
                }
                flags &= ~TcpPacket.FIN;
                duplicateAcksOwed++; // RFC 5681 4.2: an immediate duplicate ACK per out-of-order or old segment, with SACK blocks
            }
        } else if (payload == 0 && (flags & TcpPacket.FIN) != 0 && lt(rcvNxt, seq)
                && (state == State.ESTABLISHED || state == State.FIN_WAIT_1 || state == State.FIN_WAIT_2)) {
            outOfOrder(seq, 0, flags); // a FIN beyond a hole: remembered
            flags &= ~TcpPacket.FIN;
            ackPending = true;
        } else if (payload > 0) {
            flags &= ~TcpPacket.FIN;
        }
        // eighth: FIN, only when in sequence
        if ((flags & TcpPacket.FIN) != 0 && seq + payload == rcvNxt && !finReceived) {
            rcvNxt++;
            finReceived = true;
            ackPending = true;
            switch (state) {
                case SYN_RECEIVED, ESTABLISHED -> state = State.CLOSE_WAIT;
                case FIN_WAIT_1 -> {
                    if (finAcked) {
                        enterTimeWait(now);
                    } else {
                        state = State.CLOSING;
                    }
                }
                case FIN_WAIT_2 -> enterTimeWait(now);
                default -> {
                }
            }
        } else if ((flags & TcpPacket.FIN) != 0 && state == State.TIME_WAIT) {
            ackPending = true;
            timeWaitDeadline = now + 2 * config.msl();
        }
        return true;
    }

    @Override
    protected void dispatch(IpTransmitter txr, long now) {
        if (now >= timeWaitDeadline) {
            timeWaitDeadline = NEVER;
            state = State.CLOSED;
        }
        if (resetPending) {
            if (!sendReset(txr)) return;
        }
        if (state == State.CLOSED || state == State.LISTEN || state == State.TIME_WAIT && !ackPending) {
            return;
        }
        if (state == State.SYN_SENT && !issChosen) {
            if (!openAddressesValid(txr)) {
                return;
            }
            localAddress = txr.source();
            chooseIss(now);
        }
        if (now >= rtoDeadline) {
            timeout(now);
            if (state == State.CLOSED) {
                if (resetPending) sendReset(txr);
                return;
            }
            negativeAdvice(txr);
        }
        if (now >= persistDeadline) {
            persistTimeout();
            if (state == State.CLOSED) {
                if (resetPending) sendReset(txr);
                return;
            }
        }
        receiveTimers(txr, now); // delayed ACK, keep-alive, FIN-WAIT-2 timeout
        if (state == State.CLOSED) {
            if (resetPending) sendReset(txr);
            return;
        }
        // RFC 6691: the MSS excludes the options, which take room from the data
        int mss = Math.max(1, effectiveMss(txr.maxLength() - HEADER) - options.length(sackBlockCount()));
        // SYN or SYN-ACK
        if ((state == State.SYN_SENT || state == State.SYN_RECEIVED) && sndNxt == iss) {
            if (!sendSyn(txr, mss, now)) return;
        } else if (state == State.SYN_RECEIVED && ackPending) {
            sndNxt = iss; // the peer's SYN again, or an unacceptable segment: our SYN-ACK again
            if (!sendSyn(txr, mss, now)) return;
        }
        if (state == State.SYN_SENT || state == State.SYN_RECEIVED) {
            return; // no data before the handshake completes
        }
        if (cc == null) {
            startCongestionControl(mss, now);
        }
        if (!retransmitHole(txr, mss, now)) return;
        for (; duplicateAcksOwed > 0; duplicateAcksOwed--) {
            if (!sendSegment(txr, ackSeq(), 0, 0, false, now)) return;
        }
        if (sndUna == sndMax && lastDataSent != NEVER && now - lastDataSent > rto && tx.length() > 0) {
            cc.onIdleRestart(now); // RFC 5681 4.1: idle longer than an RTO, restart from at most the initial window
            lastDataSent = NEVER;
        }
        while (true) {
            int n = nextSegment(mss, now);
            if (n == HOLD_WINDOW) {
                if (swsDeadline == NEVER) swsDeadline = now + SWS_OVERRIDE;
                break;
            }
            swsDeadline = NEVER;
            if (n < 0) {
                break;
            }
            // TSO: a full segment grows to whole segments in one frame the port cuts up
            n = SegmentationOffload.grow(n, mss, tx.length() - (sndNxt - sndUna),
                    Math.min(sndWnd, congestionWindow()) - (sndNxt - sndUna), txr.maxSegmentationLength() - HEADER - options.length(sackBlockCount()));
            int offset = sndNxt - sndUna;
            boolean fin = finQueued && !finAcked && offset + n == tx.length() && lt(sndNxt + n, dataEnd() + 1);
            if (!sendSegment(txr, sndNxt, n, offset, fin, now)) return;
            if (n > 0) {
                lastDataSent = now;
            }
            if (probe) {
                probe = false;
                windowProbes++;
                sndNxt = sndUna; // the probe byte goes again with the data once the window opens
                rtoDeadline = NEVER; // the persist timer, not the RTO, times the probe
                rttTiming = false;
                break;
            }
        }
        if (!retransmitHole(txr, mss, now)) return; // RFC 6675 NextSeg rules 3 and 4: once no new data goes
        if (ackPending) {
            sendSegment(txr, ackSeq(), 0, 0, false, now);
        }
        if (persistDeadline == NEVER && sndWnd == 0 && tx.length() > 0 && sndNxt == sndUna && isSynchronized()) {
            // RFC 9293 3.8.6.1: the peer's window is closed; probe it when the persist timer runs out
            persistDeadline = now + Math.min(rto << Math.min(persistBackoff, 30), config.rtoMax());
        }
    }

    @Override
    protected long pollDelay(long now) {
        if (resetPending || ackPending || (state == State.SYN_SENT && !issChosen)) {
            return 0;
        }
        if (isSynchronized() && state != State.TIME_WAIT && (probe || hasDataToSend())) {
            return 0;
        }
        long d = Math.min(Math.min(Math.min(rtoDeadline, timeWaitDeadline), Math.min(persistDeadline, swsDeadline)),
                receiveDeadline());
        return d == NEVER ? NEVER : Math.max(0, d - now);
    }

    @Override
    public String toString() {
        return "TcpSocket[" + state + " :" + localPort + " -> " + Integer.toUnsignedString(remoteAddress >>> 24) + "."
                + (remoteAddress >>> 16 & 0xff) + "." + (remoteAddress >>> 8 & 0xff) + "." + (remoteAddress & 0xff)
                + ":" + remotePort + ", rx " + rx.length() + ", tx " + tx.length() + "]";
    }

    // ---------------------------------------------------------------- passive open by a TcpListener

    /**
     * Starts this closed socket in SYN-RECEIVED from the SYN in {@code ip} (checked by the
     * interface): what {@link #listen} then the SYN would do, for a listener's SYN queue.
     */
    void openFromSyn(Ipv4Packet ip, long now) {
        tcp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength());
        listen(tcp.destinationPort());
        listenSegment(ip, now);
    }

    /**
     * Starts this closed socket from the ACK in {@code ip} that completes a handshake the listener
     * answered statelessly (a SYN cookie, RFC 4987 3.3): SYN-RECEIVED with our SYN-ACK sent as
     * {@code iss}, then the ACK processed as usual. Returns whether the ACK was acceptable.
     */
    boolean openFromCookie(Ipv4Packet ip, int iss, int mss, long now) {
        tcp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength());
        listen(tcp.destinationPort());
        localAddress = ip.destination();
        remoteAddress = ip.source();
        remotePort = tcp.sourcePort();
        irs = tcp.sequenceNumber() - 1;
        rcvNxt = irs + 1;
        rcvRight = rcvNxt + Math.min(rx.free(), MAX_WINDOW); // what the cookie SYN-ACK offered, unscaled
        peerMss = mss;
        this.iss = iss;
        issChosen = true;
        scoreboard.reset(iss); // no options: a cookie keeps only the MSS (window scale, timestamps, SACK off)
        idle.heard(now);
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = iss + 1;
        state = State.SYN_RECEIVED;
        synchronizedSegment(now);
        return isSynchronized();
    }

    /** CLOSED with nothing left to send (no RST due): a demux may forget the socket. */
    boolean quiet() {
        return state == State.CLOSED && !resetPending;
    }

    // ---------------------------------------------------------------- sending

    private boolean hasDataToSend() {
        return cc != null && recovery.retransmitDue(sndMax, nextSegment(sendMss, Long.MIN_VALUE) >= 0)
                || nextSegment(sendMss, Long.MIN_VALUE) >= 0
                || persistDeadline == NEVER && sndWnd == 0 && tx.length() > 0 && sndNxt == sndUna; // to arm the persist timer
    }

    private boolean sendSyn(IpTransmitter txr, int mss, long now) {
        boolean ack = state == State.SYN_RECEIVED;
        // RFC 7323 / RFC 2018: a SYN offers what the configuration allows; a SYN-ACK only what both offered
        int offer = config.options();
        options.tsOffset(iss); // the TSval clock starts at a per-connection value
        boolean ws = ack ? options.windowScale : (offer & TcpConfig.WINDOW_SCALE) != 0;
        boolean ts = ack ? options.timestamps : (offer & TcpConfig.TIMESTAMPS) != 0;
        int synWindow = Math.min(rx.free(), MAX_WINDOW); // RFC 7323 2.2: a SYN's window is never scaled
        TcpRepr syn = new TcpRepr(localPort, remotePort, iss, ack ? rcvNxt : 0,
                TcpPacket.SYN | (ack ? TcpPacket.ACK : 0), synWindow, 0, txr.maxLength() - HEADER,
                ws ? TcpOptions.shiftFor(rx.capacity()) : -1, ack ? options.sack : (offer & TcpConfig.SACK) != 0,
                ts ? new TcpRepr.Timestamps(options.tsVal(now), ack ? options.tsRecent() : 0) : null,
                java.util.List.of(), 0);
        int len = syn.bufferLength();
        int r = txr.begin(remoteAddress, IpProtocol.TCP, len, dscp, ttl);
        if (r == IpTransmitter.BUSY) {
            return false;
        }
        if (r == IpTransmitter.OK) {
            out.wrapUnchecked(txr.segment(), txr.offset(), len);
            syn.emit(out, localAddress, remoteAddress);
            txr.finish(IpTransmitter.CHECKSUM_NONE);
            segmentsSent++;
        }
        rcvRight = rcvNxt + synWindow;
        ackPending = false;
        ackDelay.sent();
        sent(iss + 1, now);
        return true;
    }

    /**
     * The sequence number of a segment without data: SND.NXT, but SND.MAX once a timeout rewound
     * SND.NXT into data the peer may have received (the peer drops a segment below its RCV.NXT
     * unread, ACK field included, and two ends doing so to each other would never progress). A
     * closed window keeps SND.NXT (the probe byte beyond it was rewound, not received).
     */
    private int ackSeq() {
        return lt(sndNxt, sndMax) && sndWnd > 0 ? sndMax : sndNxt;
    }

    /** Sends {@code n} bytes from {@code offset} in the send buffer at {@code seq}, with FIN if asked, and ACK. */
    private boolean sendSegment(IpTransmitter txr, int seq, int n, int offset, boolean fin, long now) {
        int sacks = sackBlockCount();
        int opt = options.length(sacks); // timestamps and SACK blocks, when negotiated
        int segment = Math.max(1, effectiveMss(txr.maxLength() - HEADER) - opt); // each segment's payload
        int r = n > segment ? txr.begin(remoteAddress, IpProtocol.TCP, HEADER + opt + n, segment, dscp, ttl) // TSO
                : txr.begin(remoteAddress, IpProtocol.TCP, HEADER + opt + n, dscp, ttl);
        if (r == IpTransmitter.BUSY) {
            return false;
        }
        int wnd = advertise();
        if (r == IpTransmitter.OK) {
            MemorySegment m = txr.segment();
            long at = txr.offset();
            int urgent = urgentPointer(seq);
            out.wrapUnchecked(m, at, HEADER + opt + n).setSourcePort(localPort).setDestinationPort(remotePort)
                    .setSequenceNumber(seq).setAcknowledgmentNumber(rcvNxt)
                    .setHeaderLengthAndFlags(HEADER + opt, TcpPacket.ACK | (fin ? TcpPacket.FIN : 0)
                            | (n > 0 ? TcpPacket.PSH : 0) | (urgent >= 0 ? TcpPacket.URG : 0))
                    .setWindow(wnd).setUrgentPointer(Math.max(urgent, 0));
            if (opt > 0) {
                reassembly.sackBlocks(sackOut, sacks);
                options.write(m, at + HEADER, rcvNxt, now, sackOut, sacks);
            }
            if (n > 0) {
                tx.peek(offset, m, at + HEADER + opt, n);
            }
            txr.finish(IpTransmitter.CHECKSUM_TCP);
            segmentsSent++;
        }
        ackPending = false;
        ackDelay.sent();
        int end = seq + n + (fin ? 1 : 0);
        if (end != seq) {
            sent(end, now);
        }
        return true;
    }

    /** Bookkeeping after sending sequence space up to {@code end}: SND.NXT, the RTT sample, the timer. */
    private void sent(int end, long now) {
        if (le(sndMax, sndNxt)) {
            if (!rttTiming) {
                rttTiming = true; // Karn: only what is sent for the first time is timed
                karnGap = false;
                rttSeq = end;
                rttSentAt = now;
            }
        } else {
            segmentsRetransmitted++;
        }
        sndNxt = end;
        if (lt(sndMax, end)) {
            sndMax = end;
        }
        if (rtoDeadline == NEVER) {
            rtoDeadline = now + rto;
        }
    }

    private boolean sendReset(IpTransmitter txr) {
        int r = txr.begin(remoteAddress, IpProtocol.TCP, HEADER, dscp, ttl);
        if (r == IpTransmitter.BUSY) {
            return false;
        }
        if (r == IpTransmitter.OK) {
            out.wrapUnchecked(txr.segment(), txr.offset(), HEADER).setSourcePort(localPort)
                    .setDestinationPort(remotePort).setSequenceNumber(resetSeq).setAcknowledgmentNumber(0)
                    .setHeaderLengthAndFlags(HEADER, TcpPacket.RST).setWindow(0).setUrgentPointer(0);
            txr.finish(IpTransmitter.CHECKSUM_TCP);
            segmentsSent++;
        }
        resetPending = false;
        return true;
    }

    // ---------------------------------------------------------------- congestion control and send policy

    /**
     * The seam for another loss recovery (RFC 6675 SACK recovery once SACK is negotiated; a
     * baseline in tests): set before the connection is synchronized.
     */
    void lossRecovery(LossRecovery r) {
        if (cc != null) {
            throw new IllegalStateException("loss recovery set on a synchronized connection");
        }
        recovery = Objects.requireNonNull(r, "recovery");
        recoveryChosen = true;
    }

    /** The loss recovery of this connection (RFC 6675's once SACK is negotiated, NewReno's otherwise). */
    LossRecovery recovery() {
        return recovery;
    }

    /** {@link #nextSegment}: nothing to send. */
    private static final int NOTHING = -1;
    /** {@link #nextSegment}: Nagle holds a small segment until the outstanding data is acknowledged. */
    private static final int HOLD_NAGLE = -2;
    /** {@link #nextSegment}: SWS avoidance holds a small segment for a larger window, or the override timer. */
    private static final int HOLD_WINDOW = -3;

    private void startCongestionControl(int mss, long now) {
        sendMss = mss;
        cc = config.congestionControl().get();
        cc.start(mss, now);
        if (!recoveryChosen) {
            recovery = options.sack ? sackRecovery : newReno;
        }
        recovery.start(cc, mss, iss);
    }

    /** The bytes beyond SND.UNA congestion control allows in flight: RFC 6928's initial window before it starts. */
    private int congestionWindow() {
        return cc == null ? WindowControl.initialWindow(sendMss) : recovery.window();
    }

    /**
     * The length of the segment to send at SND.NXT now (0 for a FIN alone), or {@link #NOTHING},
     * {@link #HOLD_NAGLE} or {@link #HOLD_WINDOW}. RFC 9293 3.8.6.2.1: send a full segment; or all
     * that is queued (always pushed here) when nothing is unacknowledged or Nagle is off; or at least
     * half the largest window the peer offered; or what fits when the override timer ran out.
     */
    private int nextSegment(int mss, long now) {
        int offset = sndNxt - sndUna;
        int queued = tx.length() - offset;
        int room = Math.min(sndWnd, congestionWindow()) - offset;
        if (probe && queued > 0 && room <= 0 && offset == 0) {
            return 1; // zero window probe
        }
        int n = Math.max(0, Math.min(Math.min(queued, mss), room));
        if (finQueued && !finAcked && offset + n == tx.length() && lt(sndNxt + n, dataEnd() + 1)) {
            return n; // the last segment, with the FIN: not held (as Linux)
        }
        if (n == 0) {
            return NOTHING;
        }
        if (n == mss) {
            return n;
        }
        if (queued <= room) {
            return noDelay || offset == 0 ? n : HOLD_NAGLE;
        }
        if (n >= maxSndWnd / 2) {
            return n;
        }
        return swsDeadline != NEVER && now >= swsDeadline ? n : HOLD_WINDOW;
    }

    /**
     * Fast retransmissions of the segments at the recovery's holes (one for NewReno, as many as
     * RFC 6675 admits), without moving SND.NXT; false if the port is busy.
     */
    private boolean retransmitHole(IpTransmitter txr, int mss, long now) {
        while (recovery.retransmitDue(sndMax, nextSegment(mss, now) >= 0)) {
            if (!retransmitOne(txr, mss, now)) return false;
        }
        return true;
    }

    private boolean retransmitOne(IpTransmitter txr, int mss, long now) {
        int seq = recovery.retransmitSeq();
        int offset = seq - sndUna;
        if (lt(seq, sndUna) || !lt(seq, sndMax)) {
            recovery.retransmitted(seq, seq); // acknowledged meanwhile, or never sent
            return true;
        }
        int sentData = Math.min(sndMax - sndUna, tx.length()); // data below SND.MAX (the FIN is past it)
        int n = Math.max(0, Math.min(Math.min(mss, recovery.retransmitLength(mss)), sentData - offset));
        boolean fin = finQueued && sndMax == dataEnd() + 1 && offset + n == tx.length();
        int next = sndNxt;
        sndNxt = seq; // so that sent() counts it as sent again (no RTT sample, Karn)
        rttTiming = false; // an ACK behind a hole is no RTT sample either
        karnGap = true;
        boolean ok = sendSegment(txr, seq, n, offset, fin, now);
        if (lt(sndNxt, next)) {
            sndNxt = next;
        }
        if (ok) {
            recovery.retransmitted(seq, seq + n + (fin ? 1 : 0));
        }
        return ok;
    }

    /**
     * After an acceptable ACK: the congestion state (a new ACK or a duplicate), the persist timer.
     * {@code deadline} is the RTO deadline before the ACK, kept when the recovery asks.
     */
    private void acked(int una, int ack, int dataBytes, boolean duplicate, long deadline, long now) {
        probesUnanswered = 0; // the peer answers
        if (sndWnd > 0) {
            persistDeadline = NEVER;
            persistBackoff = 0;
            probe = false; // the window opened before the probe left: plain data goes instead
        }
        if (cc == null) {
            return;
        }
        if (lt(una, ack)) {
            if (recovery.onNewAck(una, ack, dataBytes, sndMax, srtt, now) && deadline != NEVER
                    && rtoDeadline != NEVER) {
                rtoDeadline = deadline; // RFC 6582 Impatient: only the first partial ACK restarts the timer
            }
        } else if (duplicate) {
            recovery.onDuplicateAck(sndUna, sndMax, now);
        }
    }

    /** The persist timer ran out: probe the closed window; back off; give up only after R2 unanswered probes. */
    private void persistTimeout() {
        persistDeadline = NEVER;
        if (sndWnd != 0 || tx.length() == 0 || sndNxt != sndUna) {
            return; // the window opened, or data is in flight (the RTO's)
        }
        if (++probesUnanswered > maxRetransmissions()) {
            resetPending = true;
            resetSeq = sndNxt;
            fail(Error.TIMED_OUT);
            return;
        }
        persistBackoff++;
        probe = true;
    }

    // ---------------------------------------------------------------- acknowledgments and timers

    /** SND.UNA advances to {@code ack}: frees acknowledged data, takes an RTT sample, restarts the timer. */
    private void acknowledge(int ack, long now) {
        int end = dataEnd();
        boolean finSent = finQueued && sndMax == end + 1; // only a FIN takes SND.MAX past the data
        int acked = ack - sndUna;
        if (!synAcked) {
            synAcked = true;
            acked--; // our SYN
        }
        if (finSent && ack == end + 1) {
            finAcked = true;
            acked--; // our FIN
        }
        tx.discard(Math.min(Math.max(acked, 0), tx.length()));
        sndUna = ack;
        if (lt(sndNxt, ack)) {
            sndNxt = ack; // acknowledges data sent before a timeout rewound SND.NXT
        }
        // The timed segment gives an exact sample. TSecr (RFC 7323 4.1, RTTM) counts whole
        // milliseconds of our TSval clock, so it is used, as Linux uses it, only where Karn's rule
        // left nothing timed: after a retransmission, which it tells apart from the original.
        if (rttTiming) {
            if (le(rttSeq, ack)) {
                rttTiming = false;
                sample(now - rttSentAt);
            }
        } else if (karnGap && options.timestamps && tcp.hasTimestamps()) {
            long tsRtt = options.rtt(tcp.timestampEchoReply(), now);
            if (tsRtt >= 0) sample(tsRtt);
        }
        retransmissions = 0;
        rtoDeadline = sndUna == sndMax ? NEVER : now + rto;
    }

    /** RFC 6298 2.2 and 2.3. */
    private void sample(long r) {
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.clamp(srtt + Math.max(1_000_000L, 4 * rttvar), config.rtoMin(), config.rtoMax());
    }

    /** RFC 6298 5.4 to 5.6: back off, rewind to SND.UNA and send again (or probe a zero window). */
    private void timeout(long now) {
        rtoDeadline = NEVER;
        rttTiming = false; // Karn: no sample from what is sent again
        karnGap = true;
        if (synAcked && sndWnd == 0 && tx.length() > 0) {
            sndNxt = sndUna; // the window closed on data in flight: the persist timer takes over
            return;
        }
        if (sndUna == sndMax) {
            return;
        }
        if (++retransmissions > maxRetransmissions()) {
            resetPending = isSynchronized() || state == State.SYN_RECEIVED;
            resetSeq = sndNxt;
            fail(Error.TIMED_OUT);
            return;
        }
        reachedR1();
        rto = Math.min(rto * 2, config.rtoMax());
        synTimedOut |= !synAcked;
        timeouts++;
        if (cc != null) {
            recovery.onTimeout(sndUna, sndMax, retransmissions == 1, now); // RFC 5681 3.1: cwnd = 1 SMSS
        }
        sndNxt = sndUna;
        scoreboard.clear(); // RFC 2018 8 / RFC 6675 5.1: after a timeout the receiver may have reneged
    }

    /** RFC 9293 3.10.7.4: SND.WND from this segment, and the segment that set it. */
    private void updateWindow(int wl1, int wl2) {
        sndWnd = tcp.syn() ? tcp.window() : tcp.window() << options.sndShift; // RFC 7323 2.2: SYNs unscaled
        sndWl1 = wl1;
        sndWl2 = wl2;
        maxSndWnd = Math.max(maxSndWnd, sndWnd);
    }

    /** RFC 6298 5.7: after a SYN timed out, data starts with an RTO of at least 3 s. */
    private void synchronizedNow() {
        if (synTimedOut && rto < SYN_TIMEOUT_RTO) {
            rto = Math.min(SYN_TIMEOUT_RTO, config.rtoMax());
        }
    }

    private void challengeAck(long now) {
        if (!challengeLimit.tryAcquire(now, config.challengeAckLimit())) {
            challengeAcksLimited++; // RFC 5961 7
            return;
        }
        challengeAcks++;
        ackPending = true;
    }

    private void enterTimeWait(long now) {
        state = State.TIME_WAIT;
        stopTimer();
        timeWaitDeadline = now + 2 * config.msl();
    }

    private void stopTimer() {
        rtoDeadline = NEVER;
        rttTiming = false;
        persistDeadline = NEVER;
        swsDeadline = NEVER;
    }

    private void fail(Error e) {
        error = e;
        state = State.CLOSED;
        stopTimer();
        timeWaitDeadline = NEVER;
    }

    private void listenAgain() {
        int port = localPort;
        reset();
        localPort = port;
        passive = true;
        state = State.LISTEN;
    }

    private void reset() {
        error = Error.NONE;
        released = false;
        issChosen = false;
        synAcked = false;
        synTimedOut = false;
        finAcked = false;
        localAddress = 0;
        remoteAddress = 0;
        remotePort = 0;
        sndWnd = 0;
        maxSndWnd = 0;
        peerMss = DEFAULT_MSS;
        finQueued = false;
        finReceived = false;
        ackPending = false;
        resetPending = false;
        srtt = -1;
        rttvar = 0;
        rto = config.rtoInitial();
        rtoDeadline = NEVER;
        timeWaitDeadline = NEVER;
        retransmissions = 0;
        rttTiming = false;
        probe = false;
        cc = null;
        urgentIn = false;
        urgentOut = false;
        softError = SoftError.NONE;
        adviseNeighbour = false;
        openLocalAddress = 0;
        lastDataSent = NEVER;
        swsDeadline = NEVER;
        persistDeadline = NEVER;
        persistBackoff = 0;
        probesUnanswered = 0;
        duplicateAcksOwed = 0;
        rx.discard(rx.length());
        tx.discard(tx.length());
        options.reset();
        reassembly.clear();
        ackDelay.sent();
    }

    private void chooseIss(long now) {
        iss = config.isn(localAddress, localPort, remoteAddress, remotePort, now);
        issChosen = true;
        sndUna = iss;
        sndNxt = iss;
        sndMax = iss;
    }

    private void takeMss() {
        int m = tcp.maxSegmentSize();
        peerMss = m > 0 ? m : DEFAULT_MSS;
    }

    private int effectiveMss(int ours) {
        return Math.max(1, Math.min(peerMss, ours));
    }

    /** The sequence number after our last data byte (our FIN's). */
    private int dataEnd() {
        return sndUna + tx.length() + (synAcked ? 0 : 1);
    }

    /** RCV.WND: what the ring can take, up to what the window field can say. */
    private int window() {
        return Math.min(rx.free(), MAX_WINDOW << options.rcvShift);
    }

    // ---------------------------------------------------------------- receive path and options

    /** The peer's SYN: the options both sides offered are on (RFC 7323, RFC 2018); the scoreboard starts. */
    private void negotiate(long now) {
        options.negotiate(tcp, config.options(), TcpOptions.shiftFor(rx.capacity()), iss, now);
        scoreboard.reset(iss);
        idle.heard(now);
    }

    /**
     * RFC 7323 3.2: a non-RST segment without timestamps on a connection that negotiated them is
     * dropped; 5.3 R1 (PAWS): one whose TSval is older than TS.Recent is dropped and ACKed.
     */
    private boolean timestampsAcceptable(long now) {
        if (!tcp.hasTimestamps()) {
            noTimestampDropped++;
            return false;
        }
        if (options.pawsReject(tcp.timestampValue(), now)) {
            pawsRejected++;
            ackPending = true;
            return false;
        }
        return true;
    }

    /** An acceptable segment: RFC 7323 4.3's TS.Recent update; the peer was heard (keep-alive, FIN-WAIT-2). */
    private void heard(int seq, long now) {
        if (options.timestamps && tcp.hasTimestamps()) {
            options.received(seq, tcp.timestampValue(), now);
        }
        idle.heard(now);
    }

    /**
     * Feeds the sender's scoreboard from this ACK (its cumulative ACK, then its SACK blocks); returns
     * whether it SACKed octets not SACKed before. The scoreboard counts its SACKed bytes as blocks
     * change, so the two reads here sum nothing.
     */
    private boolean takeSack() {
        scoreboard.ack(sndUna);
        int n = tcp.sackBlockCount();
        if (n == 0) {
            return false;
        }
        int before = scoreboard.sackedBytes();
        for (int i = 0; i < n; i++) {
            scoreboard.sack(tcp.sackLeft(i), tcp.sackRight(i), sndMax);
        }
        return scoreboard.sackedBytes() > before;
    }

    /** Data (or a FIN) beyond RCV.NXT: its bytes go to their place in the ring's free space, if reassembly keeps them. */
    private void outOfOrder(int seq, int payload, int flags) {
        outOfOrderSegments++;
        int skip = seq - rcvNxt;
        int n = Math.min(payload, rx.free() - skip);
        boolean kept = n == payload;
        if (n > 0 && reassembly.admit(seq, n)) {
            rx.writeAt(skip, tcp.segment(), tcp.payloadOffset() + (tcp.payloadLength() - payload), n);
            reassembly.add(seq, n);
        } else {
            kept = payload == 0 && skip <= rx.free();
        }
        if ((flags & TcpPacket.FIN) != 0 && kept) {
            reassembly.fin(seq + payload);
        }
    }

    /** RCV.NXT moved: data held beyond it joins the stream. Returns whether a held FIN is now in sequence. */
    private boolean fillHole() {
        int to = reassembly.advance(rcvNxt);
        if (lt(rcvNxt, to)) {
            rx.commit(to - rcvNxt);
            rcvNxt = to;
        }
        return reassembly.takeFin(rcvNxt);
    }

    /** Whether less than a segment of the window we advertised is left: the sender waits for our ACK. */
    private boolean windowNearlyFull() {
        return rcvRight - rcvNxt < effectiveMss(1500);
    }

    /** SACK blocks on the next segment: one per interval held, as many as fit (RFC 2018 3). */
    private int sackBlockCount() {
        return Math.min(reassembly.size(), options.maxSackBlocks());
    }

    /** RFC 9293 3.8.6.2.2: the window's right edge moves only by min(RCV.BUFF / 2, MSS) or more. */
    private int swsThreshold() {
        return Math.min(rx.capacity() / 2, effectiveMss(1500));
    }

    /**
     * The window field of the next segment: RCV.WND if it moves the right edge far enough (receiver
     * SWS avoidance), else the old right edge kept; scaled by our shift, rounded up rather than
     * moving the right edge left (RFC 7323 2.4).
     */
    private int advertise() {
        int free = window();
        int kept = Math.max(0, rcvRight - rcvNxt);
        int wnd = free - kept >= swsThreshold() ? free : kept;
        int shift = options.rcvShift;
        int field = wnd >>> shift;
        if (field << shift < kept) {
            field++;
        }
        field = Math.min(field, MAX_WINDOW);
        rcvRight = rcvNxt + (field << shift);
        return field;
    }

    /** The delayed ACK's timer, keep-alive probes and the FIN-WAIT-2 timeout. */
    private void receiveTimers(IpTransmitter txr, long now) {
        if (now >= ackDelay.deadline()) {
            ackPending = true;
        }
        if (state == State.FIN_WAIT_2 && released && now >= idle.finWait2Deadline(config)) {
            resetPending = true; // as Linux does when tcp_fin_timeout runs out
            resetSeq = sndNxt;
            fail(Error.TIMED_OUT);
            return;
        }
        if (keepAliveIdle() && now >= idle.keepAliveDeadline(config)) {
            if (idle.probes() >= config.keepAliveCount()) {
                resetPending = true;
                resetSeq = sndNxt;
                fail(Error.TIMED_OUT);
                return;
            }
            // RFC 9293 3.8.4: SEG.SEQ = SND.NXT − 1, no data: the peer answers with an ACK
            if (sendSegment(txr, sndNxt - 1, 0, 0, false, now)) {
                idle.probed();
                keepAliveProbes++;
            }
        }
    }

    /** Whether keep-alive watches this connection: open, and nothing outstanding or waiting to be sent. */
    private boolean keepAliveIdle() {
        return (state == State.ESTABLISHED || state == State.CLOSE_WAIT) && sndUna == sndMax && tx.length() == 0
                && !finQueued;
    }

    /** The earliest of the receive side's timers. */
    private long receiveDeadline() {
        if (!isSynchronized() || state == State.TIME_WAIT) {
            return NEVER;
        }
        long d = ackDelay.deadline();
        if (state == State.FIN_WAIT_2 && released) {
            d = Math.min(d, idle.finWait2Deadline(config));
        }
        if (keepAliveIdle()) {
            d = Math.min(d, idle.keepAliveDeadline(config));
        }
        return d;
    }

    private boolean isSynchronized() {
        return state.compareTo(State.ESTABLISHED) >= 0;
    }

    private boolean mayQueue() {
        return !finQueued && (state == State.SYN_SENT || state == State.SYN_RECEIVED || state == State.ESTABLISHED
                || state == State.CLOSE_WAIT);
    }

    private void requireClosed(String op) {
        if (state != State.CLOSED) {
            throw new IllegalStateException(op + " on a TCP socket in " + state + ": close it first");
        }
    }

    static void checkPort(int port) {
        if (port < 1 || port > 0xffff) {
            throw new IllegalArgumentException("TCP port " + port + " outside [1, 65535]");
        }
    }

    // ---------------------------------------------------------------- RFC 9293 MUSTs: urgent data, errors, R1/R2, IP fields

    /** RFC 1122 4.2.3.5: R1 of at least 3 retransmissions before negative advice to IP. */
    static final int DEFAULT_R1 = 3;

    /**
     * Queues {@code data} as urgent (RFC 9293 3.8.5, MUST-30, 31): SND.UP moves to the octet after
     * it, and every segment sent before that octet carries URG and the pointer to it (0xffff while it
     * is further than the field reaches, so urgent data may be of any length). The data is in the
     * stream as usual (RFC 6093: no out-of-band byte). Returns how many bytes fit the send buffer;
     * the mark follows the last of them.
     *
     * @throws IllegalStateException if the socket cannot send
     */
    public int sendUrgent(MemorySegment data) {
        int n = send(data);
        if (n > 0) {
            sndUp = dataEnd();
            urgentOut = true;
        }
        return n;
    }

    /**
     * Whether the peer has marked urgent data that the application has not read past yet (RFC 9293
     * MUST-32: polled after each poll of the interface, the asynchronous notice of this stack).
     */
    public boolean urgentPending() {
        return urgentIn && lt(readSequence(), rcvUp);
    }

    /**
     * How many bytes of the stream, from the next one {@link #receive} returns, lead up to the end of
     * the peer's urgent data (MUST-33): 0 when none is pending. It may exceed what has arrived.
     */
    public int urgentMark() {
        return urgentPending() ? rcvUp - readSequence() : 0;
    }

    /** The last soft error (ICMP, or R1 retransmissions), {@link SoftError#NONE} if none; kept after the connection ends. */
    public SoftError softError() {
        return softError;
    }

    /** ICMP errors taken by this connection (quoted 4-tuple and sequence number matched). */
    public long icmpErrors() {
        return icmpErrors;
    }

    /**
     * RFC 9293 3.8.3 (MUST-20, 21, 22): after {@code r1} retransmissions in a row the interface
     * resolves the next hop again (negative advice) and {@link #softError()} says so; after
     * {@code r2} the connection is dropped with {@link Error#TIMED_OUT}. The same counts apply to
     * SYNs. Defaults: 3 and {@link TcpConfig#maxRetransmissions()}.
     *
     * @throws IllegalArgumentException unless 1 &le; r1 &le; r2
     */
    public TcpSocket retransmissionLimits(int r1, int r2) {
        if (r1 < 1 || r2 < r1) {
            throw new IllegalArgumentException("retransmission limits R1 " + r1 + ", R2 " + r2 + ": need 1 <= R1 <= R2");
        }
        this.r1 = r1;
        this.r2 = r2;
        return this;
    }

    /** R2: retransmissions in a row before the connection is dropped. */
    public int maxRetransmissions() {
        return r2 < 0 ? config.maxRetransmissions() : r2;
    }

    /** The DiffServ code point (0..63, RFC 2474) of this connection's packets (RFC 9293 MUST-48); 0 by default. */
    public TcpSocket trafficClass(int dscp) {
        if (dscp < 0 || dscp > 63) {
            throw new IllegalArgumentException("DSCP " + dscp + " outside [0, 63]");
        }
        this.dscp = dscp;
        return this;
    }

    /** The time to live of this connection's packets (1..255, RFC 9293 MUST-49); 0: the interface's. */
    public TcpSocket timeToLive(int ttl) {
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("TTL " + ttl + " outside [0, 255]");
        }
        this.ttl = ttl;
        return this;
    }

    /** The sequence number of the next byte {@link #receive} returns. */
    private int readSequence() {
        return rcvNxt - rx.length() - (finReceived ? 1 : 0);
    }

    private void urgentReceived(int up) {
        if (!urgentIn || lt(rcvUp, up)) {
            rcvUp = up;
            urgentIn = true;
        }
    }

    /** The urgent pointer of a segment at {@code seq}, or -1 for none (not before SND.UP). */
    private int urgentPointer(int seq) {
        if (!urgentOut) {
            return -1;
        }
        if (le(sndUp, sndUna)) {
            urgentOut = false; // all urgent data acknowledged
            return -1;
        }
        return lt(seq, sndUp) ? Math.min(sndUp - seq, 0xffff) : -1;
    }

    private void reachedR1() {
        if (retransmissions == r1) {
            adviseNeighbour = true;
            softError = SoftError.RETRANSMISSIONS;
        }
    }

    private void negativeAdvice(IpTransmitter txr) {
        if (adviseNeighbour) {
            adviseNeighbour = false;
            txr.negativeAdvice(remoteAddress);
        }
    }

    /** The open's addresses, checked once the interface is known: its local address and no broadcast peer. */
    private boolean openAddressesValid(IpTransmitter txr) {
        if ((openLocalAddress != 0 && openLocalAddress != txr.source()) || txr.isBroadcast(remoteAddress)) {
            fail(Error.INVALID_ADDRESS);
            return false;
        }
        return true;
    }

    @Override
    protected boolean icmpError(int type, int code, int remote, int lport, int rport, int sequence, long now) {
        if (state == State.CLOSED || state == State.LISTEN || !issChosen || remote != remoteAddress
                || lport != localPort || rport != remotePort) {
            return false;
        }
        return takeIcmpError(type, code, sequence);
    }

    /**
     * An ICMP error quoting this connection's segment at {@code sequence} (RFC 9293 3.9.2.4, MUST-54,
     * 56): taken only if SND.UNA &le; sequence &lt; SND.NXT (RFC 5927 4.1); recorded as the soft error;
     * a hard error (unreachable protocol, port, fragmentation needed) ends a connection in SYN-SENT.
     */
    boolean takeIcmpError(int type, int code, int sequence) {
        if (!(le(sndUna, sequence) && lt(sequence, sndMax))) {
            return false;
        }
        icmpErrors++;
        softError = SoftError.of(type, code);
        if (state == State.SYN_SENT && type == 3 && code >= 2 && code <= 4) {
            fail(Error.UNREACHABLE);
        }
        return true;
    }
}
