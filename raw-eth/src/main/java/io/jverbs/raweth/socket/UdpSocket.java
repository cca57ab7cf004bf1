package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.IpTransmitter;
import io.jverbs.raweth.iface.Socket;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.UdpPacket;

import java.lang.foreign.MemorySegment;

/**
 * A UDP socket (RFC 768) of an {@link io.jverbs.raweth.iface.Interface}: bound to a local port, it
 * queues the datagrams received for that port and the datagrams to send, each queue a fixed number
 * of slots of {@code maxPayload} bytes; a full queue drops and counts. Payloads are copied once
 * each way, between the caller's segments and the queues; nothing is allocated per datagram.
 * The interface checks checksums of what arrives and fills them (or has the port fill them) on
 * what leaves. No fragmentation: a payload is at most {@code maxPayload} and at most MTU − 28.
 *
 * {@snippet :
 * UdpSocket s = iface.sockets().add(new UdpSocket(64, 64, 1472)).bind(7);
 * // after a poll:
 * int n = s.receive(buffer);                   // -1: nothing queued
 * if (n >= 0) {
 *     s.send(buffer.asSlice(0, n), s.sourceAddress(), s.sourcePort()); // echo it back
 * }
 * }
 *
 * Not thread-safe: used by the thread that polls its interface.
 */
public final class UdpSocket extends Socket {
    private final int maxPayload;
    private final Queue rxQueue;
    private final Queue txQueue;
    private final UdpPacket udp = new UdpPacket();
    private int port;
    private int sourceAddress;
    private int sourcePort;
    private long received;
    private long sent;
    private long rxDropped;
    private long txDropped;

    /**
     * A socket whose queues hold {@code rxSlots} and {@code txSlots} datagrams of up to
     * {@code maxPayload} bytes.
     */
    public UdpSocket(int rxSlots, int txSlots, int maxPayload) {
        if (maxPayload < 0 || maxPayload > 65_507) {
            throw new IllegalArgumentException("maxPayload " + maxPayload + " outside [0, 65507]");
        }
        this.maxPayload = maxPayload;
        rxQueue = new Queue(rxSlots, maxPayload);
        txQueue = new Queue(txSlots, maxPayload);
    }

    /**
     * Binds the socket to local {@code port}, 1..65535, and returns it.
     *
     * @throws IllegalStateException if it is bound already
     */
    public UdpSocket bind(int port) {
        if (port < 1 || port > 0xffff) {
            throw new IllegalArgumentException("UDP port " + port + " outside [1, 65535]");
        }
        if (this.port != 0) {
            throw new IllegalStateException("UDP socket already bound to port " + this.port);
        }
        this.port = port;
        return this;
    }

    /** The bound port, 0 if unbound. */
    public int localPort() {
        return port;
    }

    /**
     * Queues {@code payload} for {@code address}:{@code port}; it leaves at the next poll.
     *
     * @return false when the send queue is full (the datagram is counted in {@link #txDropped()})
     * @throws IllegalStateException if the socket is not bound
     * @throws IllegalArgumentException if the payload is over {@code maxPayload}, or the port is out of range
     */
    public boolean send(MemorySegment payload, int address, int port) {
        if (this.port == 0) {
            throw new IllegalStateException("bind the UDP socket before sending");
        }
        if (port < 1 || port > 0xffff) {
            throw new IllegalArgumentException("UDP port " + port + " outside [1, 65535]");
        }
        long n = payload.byteSize();
        if (n > maxPayload) {
            throw new IllegalArgumentException("payload of " + n + " bytes over this socket's maxPayload " + maxPayload);
        }
        if (!txQueue.push(payload, 0, (int) n, address, port)) {
            txDropped++;
            return false;
        }
        return true;
    }

    /**
     * Copies the oldest received datagram into {@code into} and returns its length, or -1 when none
     * is queued; {@link #sourceAddress()} and {@link #sourcePort()} then say where it came from.
     *
     * @throws IllegalArgumentException if {@code into} is shorter than the datagram (which stays
     *         queued: see {@link #peekLength()})
     */
    public int receive(MemorySegment into) {
        Queue q = rxQueue;
        if (q.size == 0) {
            return -1;
        }
        int slot = q.head;
        int n = q.lengths[slot];
        if (into.byteSize() < n) {
            throw new IllegalArgumentException("a datagram of " + n + " bytes does not fit a segment of "
                    + into.byteSize());
        }
        MemorySegment.copy(q.memory, q.offset(slot), into, 0, n);
        sourceAddress = q.addresses[slot];
        sourcePort = q.ports[slot];
        q.pop();
        return n;
    }

    /** The length of the datagram {@link #receive} would return next, or -1. */
    public int peekLength() {
        return rxQueue.size == 0 ? -1 : rxQueue.lengths[rxQueue.head];
    }

    /** The source address of the datagram last received ({@code Ipv4Address.value()} form). */
    public int sourceAddress() {
        return sourceAddress;
    }

    /** The source port of the datagram last received. */
    public int sourcePort() {
        return sourcePort;
    }

    /** Whether a datagram is queued to receive. */
    public boolean canReceive() {
        return rxQueue.size != 0;
    }

    /** Whether the send queue has room. */
    public boolean canSend() {
        return txQueue.size < txQueue.lengths.length;
    }

    /** Datagrams queued to send. */
    public int sendQueued() {
        return txQueue.size;
    }

    /** Datagrams delivered to the receive queue. */
    public long received() {
        return received;
    }

    /** Datagrams handed to the interface. */
    public long sent() {
        return sent;
    }

    /** Datagrams dropped on receive: the queue was full, or the payload over {@code maxPayload}. */
    public long rxDropped() {
        return rxDropped;
    }

    /** Datagrams dropped on send: the queue was full, no route, or too big for the MTU. */
    public long txDropped() {
        return txDropped;
    }

    @Override
    protected int protocol() {
        return IpProtocol.UDP;
    }

    @Override
    protected boolean process(Ipv4Packet ip, boolean broadcast, long now) {
        if (port == 0) {
            return false;
        }
        udp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength()); // checked by the interface
        if (udp.destinationPort() != port) {
            return false;
        }
        int n = udp.payloadLength();
        if (n > maxPayload || !rxQueue.push(udp.segment(), udp.payloadOffset(), n, ip.source(), udp.sourcePort())) {
            rxDropped++;
        } else {
            received++;
        }
        return true;
    }

    @Override
    protected void dispatch(IpTransmitter tx, long now) {
        Queue q = txQueue;
        while (q.size != 0) {
            int slot = q.head;
            int n = q.lengths[slot];
            int r = tx.begin(q.addresses[slot], IpProtocol.UDP, UdpPacket.HEADER_LENGTH + n);
            if (r == IpTransmitter.BUSY) {
                return;
            }
            if (r == IpTransmitter.OK) {
                MemorySegment m = tx.segment();
                long at = tx.offset();
                udp.wrapUnchecked(m, at, UdpPacket.HEADER_LENGTH + n).setSourcePort(port)
                        .setDestinationPort(q.ports[slot]).setDatagramLength(UdpPacket.HEADER_LENGTH + n);
                MemorySegment.copy(q.memory, q.offset(slot), m, at + UdpPacket.HEADER_LENGTH, n);
                tx.finish(IpTransmitter.CHECKSUM_UDP);
                sent++;
            } else {
                txDropped++;
            }
            q.pop();
        }
    }

    @Override
    protected long pollDelay(long now) {
        return txQueue.size != 0 ? 0 : Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return "UdpSocket[port " + port + ", rx " + rxQueue.size + ", tx " + txQueue.size + "]";
    }

    /** A ring of fixed-size slots with each datagram's length, address and port. */
    private static final class Queue {
        final MemorySegment memory;
        final int slotSize;
        final int[] lengths;
        final int[] addresses;
        final int[] ports;
        int head;
        int size;

        Queue(int slots, int slotSize) {
            if (slots < 1) {
                throw new IllegalArgumentException("a queue needs at least one slot, not " + slots);
            }
            this.slotSize = slotSize;
            memory = MemorySegment.ofArray(new byte[Math.multiplyExact(slots, Math.max(slotSize, 1))]);
            lengths = new int[slots];
            addresses = new int[slots];
            ports = new int[slots];
        }

        long offset(int slot) {
            return (long) slot * slotSize;
        }

        boolean push(MemorySegment from, long offset, int n, int address, int port) {
            if (size == lengths.length) {
                return false;
            }
            int slot = (head + size) % lengths.length;
            MemorySegment.copy(from, offset, memory, offset(slot), n);
            lengths[slot] = n;
            addresses[slot] = address;
            ports[slot] = port;
            size++;
            return true;
        }

        void pop() {
            head = (head + 1) % lengths.length;
            size--;
        }
    }
}
