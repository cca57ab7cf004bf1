package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.IpTransmitter;
import io.jverbs.raweth.iface.Socket;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * All TCP of an {@link io.jverbs.raweth.iface.Interface} as one socket of its set: connections
 * found by a hash of (remote address, remote port, local port) in an open-addressing table, then
 * {@link TcpListener listeners} by local port, so a segment costs one lookup however many
 * connections there are (rather than asking every socket in turn). A segment neither takes is
 * left to the interface, which answers it with a RST.
 *
 * {@snippet :
 * TcpDemux tcp = iface.sockets().add(new TcpDemux(1024, new SecureRandom()));
 * TcpListener http = tcp.listen(80, TcpConfig.defaults(new SecureRandom()), 65_536, 65_536, 256, 128);
 * // in the poll loop: for (TcpSocket c; (c = http.accept()) != null; ) { ... c.receive / c.send ... }
 * TcpSocket out = tcp.connect(new TcpSocket(config, 65_536, 65_536), peer, 80); // an ephemeral local port
 * }
 *
 * A connection stays in the table until it is CLOSED and has sent what it owed (a RST); after
 * that the demux forgets it, and its owner may still read what it buffered. Lookups and polls
 * allocate nothing; a new connection allocates its socket (reused from the listener's free list
 * when a half-open one died) and, when the table is half full, a table twice the size. Each poll
 * lets every connection send, in table order. Used by the thread that polls the interface.
 */
public final class TcpDemux extends Socket {
    private static final int EPHEMERAL_FIRST = 49_152;
    private static final int EPHEMERAL_COUNT = 65_536 - EPHEMERAL_FIRST;

    private final RandomGenerator random;
    private final ConnectionTable table;
    private final TcpListener[] byPort = new TcpListener[65_536];
    private TcpListener[] listeners = new TcpListener[4];
    private int listenerCount;
    private final TcpPacket tcp = new TcpPacket();
    private int nextEphemeral;
    private long lookups;
    private long listenerSegments;
    private long unmatched;

    /**
     * A demux sized for {@code expectedConnections} (it grows past that), its hash and the
     * listeners' cookie secrets drawn from {@code random} (a {@link java.security.SecureRandom}
     * outside tests).
     */
    public TcpDemux(int expectedConnections, RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
        table = new ConnectionTable(expectedConnections, random.nextLong());
        nextEphemeral = random.nextInt(EPHEMERAL_COUNT);
    }

    /**
     * Opens {@code port} for connections, each a {@link TcpSocket} with {@code config} and
     * {@code rxBuffer}/{@code txBuffer} bytes of buffer, at most {@code synBacklog} half-open
     * and {@code acceptBacklog} waiting for accept.
     *
     * @throws IllegalStateException if a listener has the port
     */
    public TcpListener listen(int port, TcpConfig config, int rxBuffer, int txBuffer, int synBacklog,
            int acceptBacklog) {
        TcpSocket.checkPort(port);
        Objects.requireNonNull(config, "config");
        if (byPort[port] != null) {
            throw new IllegalStateException("TCP port " + port + " already has a listener: close it first");
        }
        TcpListener l = new TcpListener(this, port, config, rxBuffer, txBuffer, synBacklog, acceptBacklog,
                random.nextLong(), random.nextLong());
        byPort[port] = l;
        if (listenerCount == listeners.length) {
            listeners = Arrays.copyOf(listeners, listenerCount * 2);
        }
        listeners[listenerCount++] = l;
        return l;
    }

    /**
     * Opens {@code socket} (closed) to {@code address}:{@code port} from local {@code localPort}
     * and serves it; the SYN leaves at the next poll.
     *
     * @throws IllegalStateException if the socket is not closed or the 4-tuple is in use
     */
    public TcpSocket connect(TcpSocket socket, int localPort, int address, int port) {
        long key = ConnectionTable.key(address, port, localPort);
        if (table.find(key) >= 0) {
            throw new IllegalStateException("a connection from local port " + localPort + " to "
                    + Integer.toUnsignedString(address, 16) + ":" + port + " exists");
        }
        socket.connect(localPort, address, port);
        table.put(key, socket, null, 0);
        return socket;
    }

    /**
     * {@link #connect(TcpSocket, int, int, int)} from an ephemeral local port (RFC 6056's range
     * 49152-65535, searched from a random start) not in use towards that peer nor listened on.
     *
     * @throws IllegalStateException if every ephemeral port is in use towards the peer
     */
    public TcpSocket connect(TcpSocket socket, int address, int port) {
        for (int i = 0; i < EPHEMERAL_COUNT; i++) {
            int local = EPHEMERAL_FIRST + nextEphemeral;
            nextEphemeral = (nextEphemeral + 1) % EPHEMERAL_COUNT;
            if (byPort[local] == null && table.find(ConnectionTable.key(address, port, local)) < 0) {
                return connect(socket, local, address, port);
            }
        }
        throw new IllegalStateException("every ephemeral port towards " + Integer.toUnsignedString(address, 16)
                + ":" + port + " is in use");
    }

    /** Connections served now, half-open ones included. */
    public int connections() {
        return table.size();
    }

    /** The connection from {@code remoteAddress}:{@code remotePort} to local {@code localPort}, or null. */
    public TcpSocket find(int remoteAddress, int remotePort, int localPort) {
        int i = table.find(ConnectionTable.key(remoteAddress, remotePort, localPort));
        return i < 0 ? null : table.socketAt(i);
    }

    /** The listener on {@code port}, or null. */
    public TcpListener listener(int port) {
        TcpSocket.checkPort(port);
        return byPort[port];
    }

    /** Segments delivered to a connection found in the table. */
    public long connectionSegments() {
        return lookups;
    }

    /** Segments delivered to a listener (no connection had them). */
    public long listenerSegments() {
        return listenerSegments;
    }

    /** Segments neither a connection nor a listener took (the interface answers them with a RST). */
    public long unmatchedSegments() {
        return unmatched;
    }

    @Override
    public String toString() {
        return "TcpDemux[" + table.size() + " connections, " + listenerCount + " listeners]";
    }

    void closeListener(TcpListener l) {
        byPort[l.port()] = null;
        for (int i = 0; i < listenerCount; i++) {
            if (listeners[i] == l) {
                System.arraycopy(listeners, i + 1, listeners, i, listenerCount - i - 1);
                listeners[--listenerCount] = null;
                break;
            }
        }
        for (int i = 0; i < table.capacity(); i++) {
            if (table.ownerAt(i) == l) {
                table.clearOwner(i);
                table.socketAt(i).abort(); // half-open: reset; forgotten once the RST is out
            }
        }
    }

    // ---------------------------------------------------------------- Socket

    @Override
    protected int protocol() {
        return IpProtocol.TCP;
    }

    @Override
    protected boolean process(Ipv4Packet ip, boolean broadcast, long now) {
        if (broadcast) {
            return false;
        }
        tcp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength()); // checked by the interface
        int localPort = tcp.destinationPort();
        long key = ConnectionTable.key(ip.source(), tcp.sourcePort(), localPort);
        int i = table.find(key);
        if (i >= 0) {
            TcpSocket s = table.socketAt(i);
            if (s.quiet()) {
                forget(i); // closed, not yet forgotten: the segment may open a new connection below
            } else {
                lookups++;
                boolean took = s.process(ip, false, now);
                TcpListener owner = table.ownerAt(i);
                if (owner != null) {
                    settleHalfOpen(i, s, owner);
                }
                if (!took) {
                    unmatched++;
                }
                return took;
            }
        }
        TcpListener l = byPort[localPort];
        if (l == null) {
            unmatched++;
            return false;
        }
        listenerSegments++;
        TcpSocket s = l.segment(ip, tcp, now);
        if (s != null) {
            table.put(key, s, s.state() == TcpSocket.State.SYN_RECEIVED ? l : null, now);
        }
        return l.took;
    }

    @Override
    protected boolean icmpError(int type, int code, int remoteAddress, int localPort, int remotePort, int sequence,
                                long now) {
        int i = table.find(ConnectionTable.key(remoteAddress, remotePort, localPort));
        return i >= 0 && table.socketAt(i).icmpError(type, code, remoteAddress, localPort, remotePort, sequence, now);
    }

    @Override
    protected void dispatch(IpTransmitter tx, long now) {
        for (int i = 0; i < listenerCount; i++) {
            listeners[i].dispatch(tx, now);
        }
        int i = 0;
        while (i < table.capacity()) {
            TcpSocket s = table.socketAt(i);
            if (s == null) {
                i++;
                continue;
            }
            TcpListener owner = table.ownerAt(i);
            if (owner != null && now - table.sinceAt(i) >= owner.synTimeout()) {
                owner.synTimedOut();
                s.abort(); // no RST for it (as Linux drops an expired request): forgotten now, its RST cleared on reuse
                forget(i);
                continue;
            }
            s.dispatch(tx, now);
            if (s.quiet()) {
                forget(i); // a later entry may have moved into slot i: look at it again
            } else {
                i++;
            }
        }
    }

    @Override
    protected long pollDelay(long now) {
        long d = Long.MAX_VALUE;
        for (int i = 0; i < listenerCount; i++) {
            if (listeners[i].hasPending()) {
                return 0;
            }
        }
        for (int i = 0; i < table.capacity(); i++) {
            TcpSocket s = table.socketAt(i);
            if (s != null) {
                d = Math.min(d, s.quiet() ? 0 : s.pollDelay(now)); // a quiet one: forgotten at the next poll
            }
        }
        return d;
    }

    private void settleHalfOpen(int i, TcpSocket s, TcpListener owner) {
        switch (s.state()) {
            case SYN_RECEIVED -> {
            }
            case LISTEN, CLOSED -> {
                if (s.quiet() || s.state() == TcpSocket.State.LISTEN) {
                    table.removeAt(i);
                    owner.halfOpenDied(s);
                }
            }
            default -> {
                table.clearOwner(i);
                owner.established(s);
            }
        }
    }

    private void forget(int i) {
        TcpListener owner = table.ownerAt(i);
        TcpSocket s = table.socketAt(i);
        table.removeAt(i);
        if (owner != null) {
            owner.halfOpenDied(s);
        }
    }
}
