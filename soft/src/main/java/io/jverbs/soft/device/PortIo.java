package io.jverbs.soft.device;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.iface.IpTransmitter;
import io.jverbs.raweth.iface.Socket;
import io.jverbs.raweth.linux.AfPacketPort;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.soft.transport.PacketCodec;
import io.jverbs.soft.transport.PacketSink;
import io.jverbs.soft.transport.TransportPacket;
import io.jverbs.soft.wire.Bth;
import io.jverbs.soft.wire.Icrc;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.SourcePort;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A soft device's packet I/O on a raw-eth {@link PacketPort} (AF_PACKET, DPDK, TAP): whole
 * Ethernet frames, where the socket path has UDP datagrams. raw-eth's {@link Interface} owns the
 * link: it answers ARP for the device's address, resolves peers' MACs (packets wait in its queue
 * meanwhile), writes Ethernet and IPv4 headers (DF, TTL 64) and answers pings; this class is the
 * {@link Socket} for UDP port 4791 on it.
 *
 * <p>Sending: the UDP header (rxe's source port for the QP, {@link SourcePort}; checksum 0, as rxe
 * sends), the transport headers and payload ({@link PacketCodec}), IPv4 identification 0 (what the
 * socket path and rxe's peers on sockets send), then the ICRC over the real headers.
 *
 * <p>Receiving: every UDP datagram to port 4791 is checked whole by {@link RocePacket#wrapIpv4},
 * ICRC included (the socket path cannot: the kernel hides the IPv4 header the ICRC covers); a bad
 * ICRC is dropped and counted in {@link #icrcErrors}, a malformed packet in {@link #malformed}, UDP
 * to other ports in {@link #notRoce} (the interface then answers port unreachable, as a kernel
 * does); everything else that is not for us is counted by the interface ({@link #interfaceStats()}).
 *
 * <p>Packets to the device's own address (two QPs of the device) never reach the port: they are
 * looped back through a ring, whole IPv4 packets with their ICRC, and delivered at the next poll.
 *
 * <p>Every method runs under the device lock (the port and the interface are single-threaded);
 * frames written by {@link #send} leave in one burst at {@link #flush()}, before the lock is
 * released. Nothing is allocated per packet.
 */
final class PortIo implements AutoCloseable {
    /** The engine's side: a checked packet for the QP its BTH names (the engine reads the clock for it). */
    interface Receiver {
        void deliver(TransportPacket packet);
    }

    /** How long the progress thread parks between polls of a polled port (DPDK) when idle. */
    private static final long POLLED_IDLE_NANOS = 20_000;
    /** Packets to the device's own address waiting for the next poll (see {@link #loopback}). */
    private static final int LOOP_SLOTS = 128;
    /** UDP, BTH, the largest extension headers (RETH + ImmDt: 20 bytes) and the ICRC around one MTU of payload. */
    private static final int OVERHEAD = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + Bth.LENGTH + 20 + Icrc.LENGTH;

    private final String device;
    private final PacketPort port;
    private final Interface iface;
    private final Receiver receiver;
    private final boolean ipChecksumOffload;
    /** An AF_PACKET port, whose wait may run beside its data path (see {@link #await}). */
    private final boolean kernelWait;
    private final PacketCodec codec = new PacketCodec();
    private final RocePacket roce = new RocePacket();
    private final TransportPacket received = new TransportPacket();
    private final Ipv4Packet ipOut = new Ipv4Packet();
    private final UdpPacket udpOut = new UdpPacket();
    private final Icrc icrc = new Icrc();
    private final int localIp;
    /** The loopback ring: {@link #LOOP_SLOTS} IPv4 packets of up to {@link #loopSlot} bytes, made at the first one. */
    private MemorySegment loop;
    private final int loopSlot;
    private final int[] loopLength = new int[LOOP_SLOTS];
    private int loopHead, loopCount;
    /** The interface's one transmitter, handed to {@link RoceSocket#dispatch} at the first poll. */
    private IpTransmitter tx;
    /** Frames written since the last poll: {@link #flush} sends them. */
    private boolean dirty;
    /** The interface's timers (ARP) as of the last poll: how long {@link #await} may wait for them. */
    private long timerDelay = Long.MAX_VALUE;

    /** RoCEv2 packets received with a good ICRC and handed to the engine. */
    long roceReceived;
    /** RoCEv2 packets dropped because their ICRC did not match. */
    long icrcErrors;
    /** UDP datagrams to port 4791 that are not well-formed RoCEv2 packets (by {@link RoceStatus}: {@link #drops}). */
    long malformed;
    /** UDP datagrams to this address on a port other than 4791. */
    long notRoce;
    /** How often the progress thread waited on the port for frames (tests: what the wait allocates). */
    long idleWaits;
    /** Drops by reason, indexed by {@link RoceStatus#ordinal()}. */
    final long[] drops = new long[RoceStatus.values().length];

    private PortIo(SoftDeviceConfig config, PacketPort port, Receiver receiver) {
        this.device = config.name();
        this.port = port;
        this.receiver = receiver;
        int mtu = port.capabilities().mtu();
        if (config.mtu() + OVERHEAD > mtu) {
            throw new IllegalArgumentException("soft device " + device + ": MTU " + config.mtu() + " needs an interface MTU of "
                    + (config.mtu() + OVERHEAD) + " bytes, " + port.name() + " has " + mtu + "; configure :"
                    + (Integer.highestOneBit(mtu - OVERHEAD)) + " or less");
        }
        this.ipChecksumOffload = port.capabilities().txIpChecksum();
        this.kernelWait = port instanceof AfPacketPort;
        this.localIp = SoftEngine.ipv4(config.address());
        this.loopSlot = config.mtu() + OVERHEAD;
        // The ARP queue holds a window's worth of packets sent before the peer's MAC is known.
        InterfaceConfig ic = InterfaceConfig.builder(Ipv4Address.of(config.address().getAddress()), config.prefixLength())
                .ttl(RocePacket.DEFAULT_TTL).arpQueueSize(64).arpResolveTimeout(Duration.ofSeconds(1)).build();
        this.iface = new Interface(port, ic, NanoClock.system());
        iface.sockets().add(new RoceSocket());
        iface.poll(); // hands us the transmitter
        if (tx == null) {
            throw new IllegalStateException("soft device " + device + ": the interface did not dispatch to its socket");
        }
    }

    /**
     * Opens the port {@code config.port()} names (raw-eth's {@link PortOpeners}; the port is closed
     * with this object) and the interface on it.
     *
     * @throws IllegalArgumentException for a bad port spec or an MTU the port cannot carry
     * @throws RuntimeException whatever the port's opener throws (no privilege, no interface)
     */
    static PortIo open(SoftDeviceConfig config, Receiver receiver) {
        PortSpec spec = PortSpec.parse(config.port());
        // lowLatency: AF_PACKET takes TPACKET_V2 rings unless the spec says ring=v3: V3 holds a
        // lone frame (an ACK, a READ request) until its block's 1 ms retire timeout.
        PortHints hints = new PortHints(null, Ipv4Address.of(config.address().getAddress()), null,
                UdpPacket.ROCE_V2_PORT, -1, false, true);
        PacketPort port = PortOpeners.open(spec, hints);
        try {
            return new PortIo(config, port, receiver);
        } catch (RuntimeException e) {
            port.close();
            throw e;
        }
    }

    /** The port's name, e.g. {@code afpacket:veth0}. */
    String portName() {
        return port.name();
    }

    /** The interface's counters (ARP, IPv4, ICMP, frames for other MACs, ...). */
    io.jverbs.raweth.iface.InterfaceStats interfaceStats() {
        return iface.stats();
    }

    /** The interface (tests: its neighbour table). */
    Interface iface() {
        return iface;
    }

    /**
     * Delivers the packets looped back so far, receives and delivers what the port has, runs ARP
     * timers, sends what is written; whether anything moved or still waits.
     */
    boolean poll(long now) {
        dirty = false;
        boolean moved = drainLoopback();
        moved |= iface.poll(now);
        dirty = loopCount > 0;   // looped back during this poll (ACKs of looped packets): the next poll
        timerDelay = iface.pollDelay(now);   // here, under the lock: the interface is single-threaded
        return moved || dirty;
    }

    /** Sends the frames {@link #send} wrote since the last poll (one burst). */
    void flush(long now) {
        if (dirty) {
            poll(now);
        }
    }

    /**
     * Waits for a frame, the interface's next timer or {@code nanos}, outside the device lock.
     * {@link PacketPort#awaitReceive} belongs to the port's single-threaded data path, and a poster
     * may be receiving under the lock meanwhile: only an AF_PACKET port's wait is used here, since it
     * only reads ring status words before its {@code poll(2)} (a stale read makes it return early or
     * sleep to its timeout, never corrupts the ring). A DPDK port's wait polls the queue itself
     * ({@code rte_eth_rx_burst}), so a polled port gets a short park instead and the next poll under
     * the lock looks for frames.
     */
    void await(long nanos) {
        idleWaits++;
        long t = Math.min(nanos, timerDelay);
        if (kernelWait) {
            port.awaitReceive(t);
        } else {
            LockSupport.parkNanos(Math.min(t, POLLED_IDLE_NANOS));
        }
    }

    /**
     * Writes one packet into a transmit frame (sent at {@link #flush}), from UDP source port
     * {@code sourcePort} (the QP's, as the engine chose it by rxe's rule).
     */
    boolean send(int sourcePort, TransportPacket p) {
        int transport = RocePacket.transportLength(p.opcode, p.payloadLength);
        int length = UdpPacket.HEADER_LENGTH + transport;
        if ((int) p.address == localIp) {
            return loopback(sourcePort, p, length);
        }
        int status = tx.begin((int) p.address, IpProtocol.UDP, length);
        if (status != IpTransmitter.OK) {
            return false;    // no transmit buffer, no route, too big: lost on the wire for the transport, which retries
        }
        MemorySegment m = tx.segment();
        long l4 = tx.offset();
        long ip = l4 - Ipv4Packet.MIN_HEADER_LENGTH;
        // ID 0, as the socket path's kernel sends (IP_DONTFRAGMENT); the interface counts IDs up.
        ipOut.wrapUnchecked(m, ip, Ipv4Packet.MIN_HEADER_LENGTH).setIdentification(0);
        if (!ipChecksumOffload) {
            ipOut.fillChecksum();
        }
        writeUdp(sourcePort, p, m, ip, length);
        tx.finish(IpTransmitter.CHECKSUM_NONE);
        dirty = true;
        return true;
    }

    /** The UDP header, transport headers and payload after the IPv4 header at {@code ip}, then the ICRC. */
    private void writeUdp(int sourcePort, TransportPacket p, MemorySegment m, long ip, int udpLength) {
        long l4 = ip + Ipv4Packet.MIN_HEADER_LENGTH;
        codec.layout(p, m, l4 + UdpPacket.HEADER_LENGTH);
        udpOut.wrapUnchecked(m, l4, UdpPacket.HEADER_LENGTH).setSourcePort(sourcePort)
                .setDestinationPort(UdpPacket.ROCE_V2_PORT).setDatagramLength(udpLength).setChecksum(0);
        icrc.fillIpv4(m, ip);   // TOS, TTL and the header checksum are masked: offload or not, the same ICRC
    }

    /**
     * A packet to the device's own address (QPs of one device talking to each other, as rxe loops
     * them back): the whole IPv4 packet it would send goes to a ring, delivered at the next poll,
     * never from inside the sending QP's call. A full ring drops it (the transport retries).
     */
    private boolean loopback(int sourcePort, TransportPacket p, int udpLength) {
        if (loopCount == LOOP_SLOTS) {
            return false;
        }
        if (loop == null) {
            loop = MemorySegment.ofArray(new byte[LOOP_SLOTS * loopSlot]);
        }
        int slot = (loopHead + loopCount) % LOOP_SLOTS;
        long ip = (long) slot * loopSlot;
        int total = Ipv4Packet.MIN_HEADER_LENGTH + udpLength;
        ipOut.wrapUnchecked(loop, ip, Ipv4Packet.MIN_HEADER_LENGTH).setHeaderLength(Ipv4Packet.MIN_HEADER_LENGTH)
                .setDscpEcn(0, 0).setTotalLength(total).setIdentification(0).setFragmentation(true, false, 0)
                .setTtl(RocePacket.DEFAULT_TTL).setProtocol(IpProtocol.UDP).setSource(localIp).setDestination(localIp)
                .fillChecksum();
        writeUdp(sourcePort, p, loop, ip, udpLength);
        loopLength[slot] = total;
        loopCount++;
        dirty = true;
        return true;
    }

    /** Delivers the looped-back packets queued before this call; those their delivery loops back wait for the next. */
    private boolean drainLoopback() {
        int n = loopCount;
        for (int i = 0; i < n; i++) {
            int slot = loopHead;
            // the slot stays taken while it is delivered: packets looped back meanwhile go behind it
            deliverIpv4(loop, (long) slot * loopSlot, loopLength[slot], localIp);
            loopHead = (slot + 1) % LOOP_SLOTS;
            loopCount--;
        }
        return n > 0;
    }

    /** One IPv4 packet to UDP 4791: checked whole (ICRC included) and delivered, or dropped and counted. */
    private void deliverIpv4(MemorySegment m, long offset, int length, int source) {
        RoceStatus s = roce.wrapIpv4(m, offset, length);
        if (s != RoceStatus.OK) {
            drops[s.ordinal()]++;
            if (s == RoceStatus.BAD_ICRC) {
                icrcErrors++;
            } else {
                malformed++;
            }
            return;
        }
        roceReceived++;
        receiver.deliver(codec.read(roce, source & 0xFFFFFFFFL, received));
    }

    @Override
    public void close() {
        port.close();
    }

    /** UDP port 4791 on the interface. */
    private final class RoceSocket extends Socket {
        private final UdpPacket udp = new UdpPacket();

        @Override
        protected int protocol() {
            return IpProtocol.UDP;
        }

        @Override
        protected boolean process(Ipv4Packet ip, boolean broadcast, long now) {
            // the interface checked the UDP header; its payload starts right after the IPv4 header
            udp.wrapUnchecked(ip.segment(), ip.payloadOffset(), UdpPacket.HEADER_LENGTH);
            if (udp.destinationPort() != UdpPacket.ROCE_V2_PORT || broadcast) {
                notRoce++;
                return false;
            }
            deliverIpv4(ip.segment(), ip.offset(), ip.totalLength(), ip.source());
            return true;    // ours, even when dropped: no ICMP error for it
        }

        @Override
        protected void dispatch(IpTransmitter transmitter, long now) {
            tx = transmitter;   // the packets themselves are written by send(), under the device lock
        }

        @Override
        protected long pollDelay(long now) {
            return Long.MAX_VALUE;
        }
    }
}
