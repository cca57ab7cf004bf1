package io.jverbs.raweth.iface;

import io.jverbs.raweth.wire.Ipv4Packet;

/**
 * A transport endpoint an {@link Interface} delivers packets to and collects packets from: a UDP
 * socket today, TCP sockets and listeners next. The interface owns the link: it validates every
 * header (IPv4 and, for UDP and TCP, the transport header and checksum) before a socket sees a
 * packet, resolves next hops, fills checksums or asks the port to, and counts drops. A socket
 * only keeps its own state and buffers, like smoltcp's sockets.
 *
 * <p>The three hooks are {@code protected}: a socket class in another package implements them and
 * the interface calls them; an application does not. A socket is in one {@link SocketSet} at a
 * time and is used by the thread that polls its interface.
 *
 * <p>A protocol that demultiplexes many connections (TCP: a 4-tuple hash, listeners with SYN and
 * accept queues) joins as one socket that owns its table and answers segments no connection
 * takes (with a RST), so the interface never scans connections.
 */
public abstract class Socket {
    SocketSet owner;

    /** For subclasses. */
    protected Socket() {
    }

    /** The IP protocol number of the packets this socket takes ({@link io.jverbs.raweth.wire.IpProtocol}). */
    protected abstract int protocol();

    /**
     * Ingress: offers a packet of {@link #protocol()} addressed to the interface. {@code ip} is
     * wrapped over the received frame and checked, its transport header and checksum too; it is
     * valid during the call only.
     *
     * @param broadcast whether the packet was sent to a broadcast address
     * @param now the poll's time
     * @return whether this socket took the packet (false: the interface offers it to the next
     *         socket, then answers it as unreachable)
     */
    protected abstract boolean process(Ipv4Packet ip, boolean broadcast, long now);

    /**
     * Egress: sends what the socket has to send through {@code tx}, until it has nothing left or
     * {@link IpTransmitter#begin} says the port is busy (then it keeps the rest for the next poll).
     */
    protected abstract void dispatch(IpTransmitter tx, long now);

    /**
     * When the socket next needs a poll, as a delay from {@code now}: 0 when it has something to
     * send, {@link Long#MAX_VALUE} when no timer runs.
     */
    protected abstract long pollDelay(long now);

    /**
     * An ICMP error (destination unreachable, time exceeded, parameter problem) quoting a packet of
     * {@link #protocol()} that this interface sent: its destination {@code remoteAddress}, the
     * first 8 bytes of its transport header as {@code localPort} (the quoted source port),
     * {@code remotePort} and, for TCP, {@code sequence}. The interface has checked the message and
     * that the quoted source is its address. The default ignores it.
     *
     * @param type the ICMP type (3, 11 or 12)
     * @param code the ICMP code
     * @param now the poll's time
     * @return whether this socket took the error
     */
    protected boolean icmpError(int type, int code, int remoteAddress, int localPort, int remotePort, int sequence,
                                long now) {
        return false;
    }
}
