package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.IpTransmitter;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A TCP port open for connections ({@link TcpDemux#listen}), with a SYN queue and an accept queue
 * as in a kernel.
 *
 * <ul>
 *   <li>SYN queue: each SYN starts an ordinary {@link TcpSocket} in SYN-RECEIVED (its buffers sized
 *       once, then reused from a free list when a half-open connection dies), at most
 *       {@code synBacklog} of them. It retransmits its SYN-ACK on its own RTO and dies when
 *       {@link TcpConfig#maxRetransmissions()} run out, the peer resets it, or it has been half-open
 *       for {@link #synTimeout(long)} (64 s by default, as Linux's five SYN-ACK retries), when it is
 *       dropped without a RST.</li>
 *   <li>When the SYN queue is full the listener answers with a SYN cookie (RFC 4987 3.3) and keeps
 *       nothing: the SYN-ACK's ISN encodes a time counter, the MSS and a SipHash of the 4-tuple,
 *       the peer's ISN and a secret, and the ACK that returns it builds the connection. Under a
 *       SYN flood memory stays at {@code synBacklog} sockets while real clients still connect;
 *       drop-oldest would instead evict real half-open connections as fast as the flood arrives.
 *       What a cookie loses: options other than MSS (window scaling, timestamps and SACK stay off
 *       on such a connection; Linux keeps them in the timestamp, this stack does not), and a
 *       SYN-ACK lost on the way is not retransmitted (the client's SYN retransmission brings
 *       another).</li>
 *   <li>Accept queue: connections that completed the handshake wait for {@link #accept()}, at
 *       most {@code acceptBacklog}. While it is full SYNs are dropped (the client tries again), and
 *       a handshake completing into a full queue is reset.</li>
 * </ul>
 * Every drop is counted. Used by the thread that polls the interface, like its sockets.
 */
public final class TcpListener {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SYN_ACK_LENGTH = TcpPacket.MIN_HEADER_LENGTH + 4; // with the MSS option
    /** The MSS values a cookie can carry (3 bits), ascending: common path MTUs' MSS. */
    private static final int[] COOKIE_MSS = {536, 1200, 1360, 1400, 1440, 1452, 1460, 8960};
    /** A cookie's time counter steps every 2^36 ns (about 69 s); a cookie is good for one or two steps. */
    private static final int COOKIE_PERIOD_SHIFT = 36;
    /**
     * SYN-ACKs for cookies wait here until the next dispatch; more in one poll are dropped and
     * counted. As many as an interface receives in one poll by default (8 bursts of 64).
     */
    private static final int COOKIE_PENDING = 512;
    /** Linux's: a SYN-ACK sent at 0 and retransmitted 5 times (tcp_synack_retries) from a 1 s RTO lasts 63 s. */
    static final long DEFAULT_SYN_TIMEOUT = 64_000_000_000L;

    private final TcpDemux demux;
    private final int port;
    private final TcpConfig config;
    private final int rxBuffer;
    private final int txBuffer;
    private final int synBacklog;
    private final int acceptBacklog;
    private final long secret0;
    private final long secret1;
    private final TcpPacket out = new TcpPacket();

    private final TcpSocket[] acceptQueue;
    private int acceptHead;
    private int acceptSize;
    private final TcpSocket[] free;
    private int freeSize;
    private int synQueued;
    private long synTimeout = DEFAULT_SYN_TIMEOUT;
    private boolean closed;

    // SYN-ACKs with cookies to send: peer, its port, our address, ISS, ACK, MSS.
    private final int[] pendingAddress = new int[COOKIE_PENDING];
    private final int[] pendingPort = new int[COOKIE_PENDING];
    private final int[] pendingLocal = new int[COOKIE_PENDING];
    private final int[] pendingIss = new int[COOKIE_PENDING];
    private final int[] pendingAck = new int[COOKIE_PENDING];
    private int pendingSize;

    private long synsReceived;
    private long synsDropped;
    private long cookiesSent;
    private long cookiesAccepted;
    private long cookiesRejected;
    private long acceptOverflows;
    private long synTimeouts;
    private int maxSynQueued;

    TcpListener(TcpDemux demux, int port, TcpConfig config, int rxBuffer, int txBuffer, int synBacklog,
            int acceptBacklog, long secret0, long secret1) {
        if (synBacklog < 1 || acceptBacklog < 1) {
            throw new IllegalArgumentException("backlogs must be at least 1: SYN " + synBacklog + ", accept "
                    + acceptBacklog);
        }
        this.demux = demux;
        this.port = port;
        this.config = config;
        this.rxBuffer = rxBuffer;
        this.txBuffer = txBuffer;
        this.synBacklog = synBacklog;
        this.acceptBacklog = acceptBacklog;
        this.secret0 = secret0;
        this.secret1 = secret1;
        acceptQueue = new TcpSocket[acceptBacklog];
        free = new TcpSocket[synBacklog];
    }

    /**
     * The next connection that completed its handshake, or null when none waits. It may have
     * moved on since (the peer may already have sent data, closed, or reset it). It stays served
     * by the demux until it is CLOSED.
     */
    public TcpSocket accept() {
        if (acceptSize == 0) {
            return null;
        }
        TcpSocket s = acceptQueue[acceptHead];
        acceptQueue[acceptHead] = null;
        acceptHead = (acceptHead + 1) % acceptQueue.length;
        acceptSize--;
        return s;
    }

    /** Stops listening: half-open and not yet accepted connections are reset. Idempotent. */
    public void close() {
        if (!closed) {
            closed = true;
            demux.closeListener(this);
            for (TcpSocket s; (s = accept()) != null; ) {
                s.abort();
            }
        }
    }

    /**
     * Drops half-open connections older than {@code nanos} (default 64 s) without a RST, so that
     * a flood's leave the SYN queue in bounded time whatever {@link TcpConfig#maxRetransmissions()}.
     */
    public TcpListener synTimeout(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("synTimeout " + nanos + " ns: must be positive");
        }
        synTimeout = nanos;
        return this;
    }

    /** See {@link #synTimeout(long)}. */
    public long synTimeout() {
        return synTimeout;
    }

    /** Half-open connections dropped by {@link #synTimeout(long)}. */
    public long synTimeouts() {
        return synTimeouts;
    }

    /** The local port. */
    public int port() {
        return port;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Half-open connections now (the SYN queue). */
    public int synQueued() {
        return synQueued;
    }

    /** The most half-open connections there ever were at once. */
    public int maxSynQueued() {
        return maxSynQueued;
    }

    /** Connections waiting for {@link #accept()}. */
    public int acceptQueued() {
        return acceptSize;
    }

    /** The SYN queue's bound. */
    public int synBacklog() {
        return synBacklog;
    }

    /** The accept queue's bound. */
    public int acceptBacklog() {
        return acceptBacklog;
    }

    /** SYNs that reached the listener (not retransmissions to a half-open connection). */
    public long synsReceived() {
        return synsReceived;
    }

    /** SYNs dropped: the accept queue was full, or too many cookies were due in one poll. */
    public long synsDropped() {
        return synsDropped;
    }

    /** SYN-ACKs sent with a cookie (the SYN queue was full). */
    public long cookiesSent() {
        return cookiesSent;
    }

    /** Connections built from a returned cookie. */
    public long cookiesAccepted() {
        return cookiesAccepted;
    }

    /** ACKs to the listener whose cookie did not check (answered with a RST). */
    public long cookiesRejected() {
        return cookiesRejected;
    }

    /** Handshakes that completed into a full accept queue (reset). */
    public long acceptOverflows() {
        return acceptOverflows;
    }

    @Override
    public String toString() {
        return "TcpListener[:" + port + ", SYN queue " + synQueued + "/" + synBacklog + ", accept queue "
                + acceptSize + "/" + acceptBacklog + "]";
    }

    // ---------------------------------------------------------------- for TcpDemux

    /**
     * A segment of no connection to this port, in {@code tcp} over {@code ip}: a SYN opens a
     * half-open connection (returned, for the demux to add) or gets a cookie; an ACK may return a
     * cookie. Sets {@link #took}: false means answer as for no socket (a RST).
     */
    TcpSocket segment(Ipv4Packet ip, TcpPacket tcp, long now) {
        took = true;
        int flags = tcp.flags();
        if ((flags & TcpPacket.RST) != 0) {
            return null; // RFC 9293 3.10.7.2: ignored in LISTEN
        }
        if ((flags & TcpPacket.ACK) != 0) {
            if ((flags & TcpPacket.SYN) == 0) {
                return cookieAck(ip, tcp, now);
            }
            took = false;
            return null;
        }
        if ((flags & TcpPacket.SYN) == 0) {
            return null;
        }
        synsReceived++;
        if (acceptSize == acceptBacklog) {
            synsDropped++;
            return null;
        }
        if (synQueued < synBacklog) {
            TcpSocket s = freeSize > 0 ? free[--freeSize] : new TcpSocket(config, rxBuffer, txBuffer);
            free[freeSize] = null;
            s.openFromSyn(ip, now);
            synQueued++;
            maxSynQueued = Math.max(maxSynQueued, synQueued);
            return s;
        }
        if (pendingSize == COOKIE_PENDING) {
            synsDropped++;
            return null;
        }
        int i = pendingSize++;
        int irs = tcp.sequenceNumber();
        int mss = tcp.maxSegmentSize();
        pendingAddress[i] = ip.source();
        pendingPort[i] = tcp.sourcePort();
        pendingLocal[i] = ip.destination();
        pendingAck[i] = irs + 1;
        pendingIss[i] = cookie(ip.destination(), ip.source(), tcp.sourcePort(), irs, now,
                mssIndex(mss > 0 ? mss : TcpSocket.DEFAULT_MSS));
        return null;
    }

    /** Set by {@link #segment}: whether the listener took the segment. */
    boolean took;

    /** A half-open connection completed its handshake: queue it for accept, or reset it when full. */
    void established(TcpSocket s) {
        synQueued--;
        enqueue(s);
    }

    /** A half-open connection died (reset, timed out, or back to LISTEN): its socket is kept for reuse. */
    void halfOpenDied(TcpSocket s) {
        synQueued--;
        if (s.state() != TcpSocket.State.CLOSED) {
            s.close(); // LISTEN (a SYN or RST in SYN-RECEIVED) becomes CLOSED
        }
        if (freeSize < free.length && s.state() == TcpSocket.State.CLOSED) {
            free[freeSize++] = s;
        }
    }

    void synTimedOut() {
        synTimeouts++;
    }

    /** Sends the SYN-ACKs with cookies due. */
    void dispatch(IpTransmitter txr, long now) {
        int sent = 0;
        while (sent < pendingSize) {
            int r = txr.begin(pendingAddress[sent], IpProtocol.TCP, SYN_ACK_LENGTH);
            if (r == IpTransmitter.BUSY) {
                break;
            }
            if (r == IpTransmitter.OK) {
                MemorySegment m = txr.segment();
                long at = txr.offset();
                int cookie = pendingIss[sent];
                out.wrapUnchecked(m, at, SYN_ACK_LENGTH).setSourcePort(port).setDestinationPort(pendingPort[sent])
                        .setSequenceNumber(cookie).setAcknowledgmentNumber(pendingAck[sent])
                        .setHeaderLengthAndFlags(SYN_ACK_LENGTH, TcpPacket.SYN | TcpPacket.ACK)
                        .setWindow(Math.min(rxBuffer, 0xffff)).setUrgentPointer(0);
                int mss = Math.min(COOKIE_MSS[cookie >>> 24 & 7], txr.maxLength() - TcpPacket.MIN_HEADER_LENGTH);
                m.set(ValueLayout.JAVA_BYTE, at + 20, (byte) TcpPacket.OPTION_MSS);
                m.set(ValueLayout.JAVA_BYTE, at + 21, (byte) 4);
                m.set(U16, at + 22, (short) mss);
                txr.finish(IpTransmitter.CHECKSUM_TCP);
                cookiesSent++;
            }
            sent++;
        }
        int left = pendingSize - sent;
        if (sent > 0 && left > 0) {
            System.arraycopy(pendingAddress, sent, pendingAddress, 0, left);
            System.arraycopy(pendingPort, sent, pendingPort, 0, left);
            System.arraycopy(pendingLocal, sent, pendingLocal, 0, left);
            System.arraycopy(pendingIss, sent, pendingIss, 0, left);
            System.arraycopy(pendingAck, sent, pendingAck, 0, left);
        }
        pendingSize = left;
    }

    boolean hasPending() {
        return pendingSize > 0;
    }

    // ---------------------------------------------------------------- cookies

    private TcpSocket cookieAck(Ipv4Packet ip, TcpPacket tcp, long now) {
        int cookie = tcp.acknowledgmentNumber() - 1;
        int irs = tcp.sequenceNumber() - 1;
        int t = cookie >>> 27;
        int current = (int) (now >>> COOKIE_PERIOD_SHIFT) & 31;
        int age = (current - t) & 31;
        int m = cookie >>> 24 & 7;
        if (age > 1 || cookie(ip.destination(), ip.source(), tcp.sourcePort(), irs, now - ((long) age << COOKIE_PERIOD_SHIFT), m)
                != cookie) {
            cookiesRejected++;
            took = false; // <SEQ=SEG.ACK><CTL=RST>, as for an ACK in LISTEN
            return null;
        }
        if (acceptSize == acceptBacklog) {
            acceptOverflows++;
            return null; // dropped: the peer retransmits (its data, or our missing ACK) and may find room
        }
        TcpSocket s = new TcpSocket(config, rxBuffer, txBuffer);
        if (!s.openFromCookie(ip, cookie, COOKIE_MSS[m], now)) {
            cookiesRejected++;
            return null;
        }
        cookiesAccepted++;
        enqueue(s);
        return s;
    }

    /** RFC 4987 3.3's layout: 5 bits of time counter, 3 of MSS index, 24 of keyed hash. */
    private int cookie(int local, int remote, int remotePort, int irs, long now, int mssIndex) {
        int t = (int) (now >>> COOKIE_PERIOD_SHIFT) & 31;
        long m0 = (local & 0xffffffffL) << 32 | (remote & 0xffffffffL);
        long m1 = (long) remotePort << 48 | (long) port << 32 | (irs & 0xffffffffL);
        int h = (int) TcpConfig.sipHash(secret0 ^ t, secret1 ^ mssIndex, m0, m1);
        return t << 27 | mssIndex << 24 | (h & 0xffffff);
    }

    private static int mssIndex(int mss) {
        int i = COOKIE_MSS.length - 1;
        while (i > 0 && COOKIE_MSS[i] > mss) {
            i--;
        }
        return i;
    }

    private void enqueue(TcpSocket s) {
        if (acceptSize == acceptBacklog || closed) {
            acceptOverflows++;
            s.abort();
            return;
        }
        acceptQueue[(acceptHead + acceptSize) % acceptQueue.length] = s;
        acceptSize++;
    }
}
