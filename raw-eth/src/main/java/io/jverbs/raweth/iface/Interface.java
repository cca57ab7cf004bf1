package io.jverbs.raweth.iface;

import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.Checksum;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Icmpv4Packet;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.WireStatus;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * An IPv4 host on one {@link PacketPort}: ARP, IPv4, ICMP echo and errors, and the
 * {@link SocketSet sockets} above, driven by the caller's {@link #poll(long)} as smoltcp's
 * {@code Interface::poll} is: no threads of its own, time from the caller (an injected
 * {@link NanoClock}), and nothing allocated per frame.
 *
 * <p>Each poll receives up to {@link InterfaceConfig#rxBurstsPerPoll()} bursts and answers what
 * needs answering (ARP requests, echo requests, unreachable ports), sends the packets whose next
 * hop became known and drops those that waited too long, lets every socket send, and hands the
 * frames to the port. {@link #pollDelay(long)} says when the next timer runs out; between polls
 * the caller may wait on {@link PacketPort#awaitReceive} for at most that long.
 *
 * {@snippet :
 * Interface iface = new Interface(port, InterfaceConfig.builder(Ipv4Address.parse("10.0.0.2"), 24)
 *         .gateway(Ipv4Address.parse("10.0.0.1")).build(), NanoClock.system());
 * UdpSocket udp = iface.sockets().add(new UdpSocket(64, 64, 1472)).bind(7);
 * while (running) {
 *     long now = iface.clock().nanos();
 *     iface.poll(now);
 *     // ... udp.receive / udp.send ...
 *     port.awaitReceive(Math.min(iface.pollDelay(now), 1_000_000));
 * }
 * }
 *
 * <h2>What it does and does not</h2>
 * <ul>
 *   <li>Ethernet: frames for its MAC or broadcast; multicast groups, VLAN tags and other
 *       EtherTypes are counted and dropped.</li>
 *   <li>ARP (RFC 826): answers requests for its address, learns the sender of a request or reply
 *       for it, and updates (never adds) an entry from any other ARP packet (the merge flag, so a
 *       gratuitous ARP moves a known neighbour); entries live {@link InterfaceConfig#arpEntryLifetime()};
 *       at most one request per address per {@link InterfaceConfig#arpRequestInterval()}; packets
 *       wait for resolution in a bounded queue and are dropped and counted when it is full or when
 *       {@link InterfaceConfig#arpResolveTimeout()} passes.</li>
 *   <li>IPv4 (RFC 791, RFC 1122 3.2.1): version, header and total lengths, options' framing and the
 *       header checksum (skipped when the port flags it good) are checked, every failure counted by
 *       its {@link WireStatus}; only its address and broadcasts are accepted (a host does not
 *       forward); fragments are dropped and counted: there is no reassembly. The TTL of a received
 *       packet is not checked (RFC 1122 3.2.1.7: a host MUST NOT discard a datagram for a TTL below 2).
 *       Sent packets carry DF and {@link InterfaceConfig#ttl()}; packets over the MTU are refused.</li>
 *   <li>ICMP: echo requests to its address are answered with the same identifier, sequence and
 *       data; UDP to a closed port and unknown protocols get a destination unreachable
 *       (rate-limited, never for a broadcast: RFC 1122 3.2.2); everything else is counted. Options
 *       of an echo request are not reflected.</li>
 *   <li>UDP and TCP: the header and checksum are checked (or taken as good from the port's flags)
 *       before a socket sees a segment; checksums of sent packets are filled in software, or by
 *       the port when it offers {@link PortCapabilities#txL4Checksum()}.</li>
 * </ul>
 * Bad input never throws out of {@code poll}: it is counted in {@link #stats()}. Not thread-safe:
 * one thread polls the interface and uses its sockets.
 */
public final class Interface {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int ETH = EthernetFrame.HEADER_LENGTH;
    private static final int IP = Ipv4Packet.MIN_HEADER_LENGTH;
    /** RFC 1812 4.3.2.3: an ICMP error carries as much of the offending packet as fits in 576 bytes. */
    private static final int ICMP_ERROR_MAX = 576;
    private static final int TYPE_SOURCE_QUENCH = 4;
    private static final int TYPE_PARAMETER_PROBLEM = 12;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long BROADCAST_MAC = MacAddress.BROADCAST.value();

    private final PacketPort port;
    private final PortCapabilities caps;
    private final InterfaceConfig config;
    private final NanoClock clock;
    private final long mac;
    private final int address;
    private final int subnetBroadcast;
    private final int gateway;
    private final int mtu;
    private final InterfaceStats stats = new InterfaceStats();
    private final SocketSet sockets = new SocketSet();
    private final IpTransmitter transmitter = new IpTransmitter(this);
    private final ArpCache arp;
    private final PendingQueue pending;

    private final FrameBurst rx;
    private final FrameBurst tx;
    private int txUsed;

    // Views over received frames, and others for the frames being written (a reply is written
    // while the request is still being read).
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arpIn = new ArpPacket();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final Icmpv4Packet icmp = new Icmpv4Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();
    private final EthernetFrame ethOut = new EthernetFrame();
    private final ArpPacket arpOut = new ArpPacket();
    private final Ipv4Packet ipOut = new Ipv4Packet();
    private final Icmpv4Packet icmpOut = new Icmpv4Packet();
    private final TcpPacket tcpOut = new TcpPacket();

    // The packet between begin and finish.
    private boolean building;
    private long curOffset;
    private int curDestination;
    private int curProtocol;
    private int curL4Length;
    private int curNextHop;
    private long curMac;
    private int curFlags;
    private int curSegmentSize;

    private long now;
    private int ipId;
    private int icmpTokens;
    private long icmpRefilled;

    /**
     * An interface on {@code port} with {@code config}, timed by {@code clock}. The interface does
     * not own the port: close the port after the last poll.
     *
     * @throws IllegalArgumentException if the port's MTU is below 68 (RFC 791's minimum)
     */
    public Interface(PacketPort port, InterfaceConfig config, NanoClock clock) {
        this.port = Objects.requireNonNull(port, "port");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        caps = port.capabilities();
        if (caps.mtu() < 68) {
            throw new IllegalArgumentException(port.name() + ": MTU " + caps.mtu() + " is below IPv4's 68");
        }
        mac = caps.mac().value();
        address = config.address().value();
        subnetBroadcast = config.subnetBroadcast();
        gateway = config.gateway().value();
        mtu = Math.min(caps.mtu(), caps.maxFrameLength() - ETH);
        arp = new ArpCache(config.arpCacheSize(), config.arpEntryLifetime(), config.arpRequestInterval());
        pending = new PendingQueue(config.arpQueueSize(), mtu + ETH);
        rx = new FrameBurst(caps.maxBurst());
        tx = new FrameBurst(caps.maxBurst());
        now = clock.nanos();
        icmpTokens = config.icmpErrorBurst();
        icmpRefilled = now;
    }

    /** The port underneath. */
    public PacketPort port() {
        return port;
    }

    public InterfaceConfig config() {
        return config;
    }

    /** The clock the interface was made with. */
    public NanoClock clock() {
        return clock;
    }

    /** The interface's MAC (the port's). */
    public MacAddress mac() {
        return caps.mac();
    }

    /** The largest IPv4 packet sent: the port's MTU. */
    public int mtu() {
        return mtu;
    }

    /** The counters. */
    public InterfaceStats stats() {
        return stats;
    }

    /** The sockets this interface serves. */
    public SocketSet sockets() {
        return sockets;
    }

    /** The MAC the ARP cache holds for {@code address} now, or null: for tests and diagnostics. */
    public MacAddress neighbour(int address) {
        long m = arp.lookup(address, now);
        return m == ArpCache.NONE ? null : new MacAddress(m);
    }

    /** How many packets wait for ARP resolution. */
    public int pendingPackets() {
        return pending.size();
    }

    /** {@link #poll(long)} at {@link #clock()}'s time. */
    public boolean poll() {
        return poll(clock.nanos());
    }

    /**
     * Receives and answers frames, runs the timers, lets the sockets send, and transmits.
     *
     * @param nowNanos the time by the interface's clock
     * @return whether a frame was received or sent
     */
    public boolean poll(long nowNanos) {
        now = nowNanos;
        long sentBefore = stats.count(Counter.TX_FRAMES);
        boolean received = false;
        for (int b = 0; b < config.rxBurstsPerPoll(); b++) {
            int n = port.receive(rx);
            if (n == 0) {
                break;
            }
            received = true;
            try {
                MemorySegment m = rx.memory();
                for (int i = 0; i < n; i++) {
                    receiveFrame(m, rx.offset(i), rx.length(i), rx.flags(i));
                }
            } finally {
                port.release(rx);
            }
        }
        servicePending();
        SocketSet s = sockets;
        for (int i = 0; i < s.size(); i++) {
            s.get(i).dispatch(transmitter, now);
        }
        flush();
        return received || stats.count(Counter.TX_FRAMES) != sentBefore;
    }

    /**
     * How long after {@code nowNanos} the interface next needs a poll for its own timers (ARP
     * retries and timeouts) and its sockets': 0 when it has something to send now,
     * {@link Long#MAX_VALUE} when nothing is timed. Frames arriving need a poll too; wait for them
     * with {@link PacketPort#awaitReceive} bounded by this delay.
     */
    public long pollDelay(long nowNanos) {
        long d = Long.MAX_VALUE;
        for (int i = 0; i < pending.capacity(); i++) {
            if (pending.used(i)) {
                d = Math.min(d, pending.queuedAt(i) + config.arpResolveTimeout() - nowNanos);
                d = Math.min(d, arp.nextRequestAt(pending.nextHop(i), nowNanos) - nowNanos);
            }
        }
        for (int i = 0; i < sockets.size(); i++) {
            d = Math.min(d, sockets.get(i).pollDelay(nowNanos));
        }
        return Math.max(d, 0);
    }

    // ---------------------------------------------------------------- receive

    private void receiveFrame(MemorySegment m, long off, int len, int flags) {
        stats.add(Counter.RX_FRAMES);
        WireStatus st = eth.wrap(m, off, len);
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        long dst = eth.destination();
        boolean linkBroadcast = dst == BROADCAST_MAC;
        if (dst != mac && !linkBroadcast) {
            stats.add(Counter.RX_OTHER_MAC);
            return;
        }
        switch (eth.etherType()) {
            case EtherType.ARP -> receiveArp(m);
            case EtherType.IPV4 -> receiveIpv4(m, flags, linkBroadcast);
            case EtherType.VLAN, EtherType.QINQ -> stats.add(Counter.RX_VLAN_TAGGED);
            default -> stats.add(Counter.RX_UNKNOWN_ETHERTYPE);
        }
    }

    private void receiveArp(MemorySegment m) {
        WireStatus st = arpIn.wrap(m, eth.payloadOffset(), eth.payloadLength());
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        long sha = arpIn.senderHardwareAddress();
        int spa = arpIn.senderProtocolAddress();
        int tpa = arpIn.targetProtocolAddress();
        int op = arpIn.operation();
        if (sha == 0 || MacAddress.isMulticast(sha)) {
            stats.add(Counter.ARP_BAD_SENDER);
            return;
        }
        if (spa == address) {
            stats.add(Counter.ARP_ADDRESS_CONFLICT);
            return;
        }
        // RFC 826 "Packet Reception": update an entry the sender already has (merge flag), then,
        // if we are the target, add it; only then look at the opcode. spa 0 is a probe (RFC 5227):
        // answered, not learned.
        boolean merged = spa != 0 && arp.update(spa, sha, now);
        if (tpa != address) {
            stats.add(merged ? Counter.ARP_UPDATED_BY_OTHERS : Counter.ARP_NOT_FOR_US);
            return;
        }
        if (!merged && spa != 0) {
            arp.fill(spa, sha, now);
        }
        if (op == ArpPacket.REQUEST) {
            stats.add(Counter.ARP_REQUESTS_RECEIVED);
            if (txFrame()) {
                writeArp(ArpPacket.REPLY, sha, sha, spa);
                stats.add(Counter.ARP_REPLIES_SENT);
            }
        } else if (op == ArpPacket.REPLY) {
            stats.add(Counter.ARP_REPLIES_RECEIVED);
        } else {
            stats.add(Counter.ARP_UNKNOWN_OPERATION);
        }
    }

    private void writeArp(int op, long ethDestination, long targetMac, int targetIp) {
        MemorySegment m = tx.memory();
        long off = tx.offset(txUsed);
        ethOut.wrapUnchecked(m, off, ETH).setDestination(ethDestination).setSource(mac).setEtherType(EtherType.ARP);
        arpOut.wrapUnchecked(m, off + ETH, ArpPacket.HEADER_LENGTH).setEthernetIpv4().setOperation(op)
                .setSenderHardwareAddress(mac).setSenderProtocolAddress(address)
                .setTargetHardwareAddress(targetMac).setTargetProtocolAddress(targetIp);
        commitFrame(m, off, ETH + ArpPacket.HEADER_LENGTH, 0);
    }

    private void receiveIpv4(MemorySegment m, int flags, boolean linkBroadcast) {
        WireStatus st = ip.wrap(m, eth.payloadOffset(), eth.payloadLength());
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        if ((flags & FrameBurst.RX_IP_CHECKSUM_GOOD) == 0 && !ip.checksumValid()) {
            stats.add(WireStatus.IPV4_BAD_CHECKSUM);
            return;
        }
        int dst = ip.destination();
        int src = ip.source();
        boolean broadcast = dst == -1 || dst == subnetBroadcast;
        if (dst != address && !broadcast) {
            stats.add(Counter.IPV4_NOT_FOR_US);
            return;
        }
        // RFC 1122 3.2.1.3: a source that is a broadcast, multicast (class D/E) or our own address
        // is a martian.
        if (src == -1 || src == subnetBroadcast || (src >>> 28) >= 0xe || src == address) {
            stats.add(Counter.IPV4_BAD_SOURCE);
            return;
        }
        if (ip.isFragment()) {
            stats.add(Counter.IPV4_FRAGMENT);
            return;
        }
        broadcast |= linkBroadcast;
        stats.add(Counter.IPV4_DELIVERED);
        switch (ip.protocol()) {
            case IpProtocol.ICMP -> receiveIcmp(m, broadcast);
            case IpProtocol.UDP -> receiveUdp(m, flags, broadcast);
            case IpProtocol.TCP -> receiveTcp(m, flags, broadcast);
            default -> {
                if (!deliver(ip.protocol(), broadcast)) {
                    stats.add(Counter.IPV4_UNKNOWN_PROTOCOL);
                    icmpError(Icmpv4Packet.CODE_PROTOCOL_UNREACHABLE, broadcast);
                }
            }
        }
    }

    private boolean deliver(int protocol, boolean broadcast) {
        SocketSet s = sockets;
        for (int i = 0; i < s.size(); i++) {
            Socket socket = s.get(i);
            if (socket.protocol() == protocol && socket.process(ip, broadcast, now)) {
                return true;
            }
        }
        return false;
    }

    private void receiveIcmp(MemorySegment m, boolean broadcast) {
        WireStatus st = icmp.wrap(m, ip.payloadOffset(), ip.payloadLength());
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        if (!icmp.checksumValid()) {
            stats.add(WireStatus.ICMPV4_BAD_CHECKSUM);
            return;
        }
        switch (icmp.type()) {
            case Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE, Icmpv4Packet.TYPE_TIME_EXCEEDED, TYPE_PARAMETER_PROBLEM -> {
                receiveIcmpError(m, broadcast);
                return;
            }
            case TYPE_SOURCE_QUENCH -> {
                stats.add(Counter.ICMP_SOURCE_QUENCH_IGNORED); // RFC 9293 MUST-55, RFC 6633
                return;
            }
            default -> {
            }
        }
        if (icmp.type() != Icmpv4Packet.TYPE_ECHO_REQUEST) {
            stats.add(Counter.ICMP_OTHER_RECEIVED);
            return;
        }
        if (broadcast) {
            stats.add(Counter.ICMP_BROADCAST_ECHO_IGNORED);
            return;
        }
        // RFC 792/1122 3.2.2.6: the reply carries the request's identifier, sequence and data.
        int n = icmp.length();
        if (begin(ip.source(), IpProtocol.ICMP, n, 0, 0, 0) != IpTransmitter.OK) {
            return;
        }
        MemorySegment out = tx.memory();
        long at = curOffset + ETH + IP;
        MemorySegment.copy(m, icmp.offset(), out, at, n);
        icmpOut.wrapUnchecked(out, at, n).setType(Icmpv4Packet.TYPE_ECHO_REPLY).setCode(0).fillChecksum();
        finish(IpTransmitter.CHECKSUM_NONE);
        stats.add(Counter.ICMP_ECHO_REPLIES_SENT);
    }

    /**
     * RFC 1122 3.2.2 / 4.2.3.9, RFC 9293 MUST-54: an error quoting an IPv4 header of ours and at
     * least 8 bytes of its transport header goes to the sockets of the quoted protocol.
     */
    private void receiveIcmpError(MemorySegment m, boolean broadcast) {
        long q = icmp.offset() + Icmpv4Packet.HEADER_LENGTH;
        int quoted = icmp.length() - Icmpv4Packet.HEADER_LENGTH;
        int vihl = quoted >= IP ? m.get(ValueLayout.JAVA_BYTE, q) & 0xff : 0;
        int ihl = (vihl & 0xf) * 4;
        if (broadcast || vihl >>> 4 != 4 || ihl < IP || quoted < ihl + 8 || m.get(U32, q + 12) != address) {
            stats.add(Counter.ICMP_ERRORS_MALFORMED);
            return;
        }
        int protocol = m.get(ValueLayout.JAVA_BYTE, q + 9) & 0xff;
        int remote = m.get(U32, q + 16);
        long l4 = q + ihl;
        int localPort = m.get(U16, l4) & 0xffff;
        int remotePort = m.get(U16, l4 + 2) & 0xffff;
        int sequence = m.get(U32, l4 + 4);
        SocketSet s = sockets;
        for (int i = 0; i < s.size(); i++) {
            Socket socket = s.get(i);
            if (socket.protocol() == protocol
                    && socket.icmpError(icmp.type(), icmp.code(), remote, localPort, remotePort, sequence, now)) {
                stats.add(Counter.ICMP_ERRORS_DELIVERED);
                return;
            }
        }
        stats.add(Counter.ICMP_ERRORS_UNMATCHED);
    }

    private void receiveUdp(MemorySegment m, int flags, boolean broadcast) {
        WireStatus st = udp.wrap(m, ip.payloadOffset(), ip.payloadLength());
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        if ((flags & FrameBurst.RX_L4_CHECKSUM_GOOD) == 0 && !udp.checksumValid(ip.source(), ip.destination())) {
            stats.add(WireStatus.UDP_BAD_CHECKSUM);
            return;
        }
        if (deliver(IpProtocol.UDP, broadcast)) {
            stats.add(Counter.UDP_DELIVERED);
            return;
        }
        stats.add(Counter.UDP_NO_PORT);
        icmpError(Icmpv4Packet.CODE_PORT_UNREACHABLE, broadcast);
    }

    private void receiveTcp(MemorySegment m, int flags, boolean broadcast) {
        WireStatus st = tcp.wrap(m, ip.payloadOffset(), ip.payloadLength());
        if (st != WireStatus.OK) {
            stats.add(st);
            return;
        }
        if ((flags & FrameBurst.RX_L4_CHECKSUM_GOOD) == 0 && !tcp.checksumValid(ip.source(), ip.destination())) {
            stats.add(WireStatus.TCP_BAD_CHECKSUM);
            return;
        }
        int src = ip.source();
        if (src == 0 || src >>> 24 == 127) {
            stats.add(Counter.IPV4_BAD_SOURCE); // RFC 9293 MUST-63, RFC 1122 4.2.3.10: no TCP from an invalid source
            return;
        }
        if (deliver(IpProtocol.TCP, broadcast)) {
            stats.add(Counter.TCP_DELIVERED);
            return;
        }
        stats.add(Counter.TCP_NO_SOCKET);
        tcpReset(broadcast);
    }

    /**
     * Answers the segment in {@link #tcp} that no socket took as RFC 9293 3.10.7.1 says for a
     * CLOSED connection: nothing for a RST (or a broadcast); {@code <SEQ=SEG.ACK><CTL=RST>} for an
     * ACK; otherwise {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}.
     * TODO(next slice): rate-limit like ICMP errors, as Linux does (tcp_invalid_ratelimit).
     */
    private void tcpReset(boolean broadcast) {
        int flags = tcp.flags();
        if (broadcast || (flags & TcpPacket.RST) != 0) {
            return;
        }
        int to = ip.source();
        int srcPort = tcp.destinationPort();
        int dstPort = tcp.sourcePort();
        int seq;
        int ack;
        int outFlags;
        if ((flags & TcpPacket.ACK) != 0) {
            seq = tcp.acknowledgmentNumber();
            ack = 0;
            outFlags = TcpPacket.RST;
        } else {
            seq = 0;
            ack = tcp.sequenceNumber() + tcp.payloadLength() + ((flags & TcpPacket.SYN) != 0 ? 1 : 0)
                    + ((flags & TcpPacket.FIN) != 0 ? 1 : 0);
            outFlags = TcpPacket.RST | TcpPacket.ACK;
        }
        if (begin(to, IpProtocol.TCP, TcpPacket.MIN_HEADER_LENGTH, 0, 0, 0) != IpTransmitter.OK) {
            return;
        }
        tcpOut.wrapUnchecked(tx.memory(), curOffset + ETH + IP, TcpPacket.MIN_HEADER_LENGTH).setSourcePort(srcPort)
                .setDestinationPort(dstPort).setSequenceNumber(seq).setAcknowledgmentNumber(ack)
                .setHeaderLengthAndFlags(TcpPacket.MIN_HEADER_LENGTH, outFlags).setWindow(0).setUrgentPointer(0);
        finish(IpTransmitter.CHECKSUM_TCP);
        stats.add(Counter.TCP_RESETS_SENT);
    }

    /**
     * Sends destination unreachable with {@code code} about the packet in {@link #ip}: never about
     * a broadcast or from an unspecified source (RFC 1122 3.2.2), at most the token bucket's rate.
     */
    private void icmpError(int code, boolean broadcast) {
        if (broadcast || ip.source() == 0) {
            stats.add(Counter.ICMP_ERRORS_SUPPRESSED);
            return;
        }
        if (!takeIcmpToken()) {
            stats.add(Counter.ICMP_ERRORS_RATE_LIMITED);
            return;
        }
        int quote = Math.min(ip.totalLength(), ICMP_ERROR_MAX - IP - Icmpv4Packet.HEADER_LENGTH);
        int n = Icmpv4Packet.HEADER_LENGTH + quote;
        if (begin(ip.source(), IpProtocol.ICMP, n, 0, 0, 0) != IpTransmitter.OK) {
            return;
        }
        MemorySegment out = tx.memory();
        long at = curOffset + ETH + IP;
        MemorySegment.copy(ip.segment(), ip.offset(), out, at + Icmpv4Packet.HEADER_LENGTH, quote);
        icmpOut.wrapUnchecked(out, at, n).setType(Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE).setCode(code)
                .setRestOfHeader(0).fillChecksum();
        finish(IpTransmitter.CHECKSUM_NONE);
        stats.add(Counter.ICMP_UNREACHABLE_SENT);
    }

    private boolean takeIcmpToken() {
        long interval = config.icmpErrorInterval();
        long elapsed = now - icmpRefilled;
        if (elapsed >= interval) {
            long add = elapsed / interval;
            if (icmpTokens + add >= config.icmpErrorBurst()) {
                icmpTokens = config.icmpErrorBurst();
                icmpRefilled = now;
            } else {
                icmpTokens += (int) add;
                icmpRefilled += add * interval;
            }
        }
        if (icmpTokens == 0) {
            return false;
        }
        icmpTokens--;
        return true;
    }

    // ---------------------------------------------------------------- transmit

    /** See {@link IpTransmitter#begin}. */
    int begin(int destination, int protocol, int l4Length) {
        return begin(destination, protocol, l4Length, 0, 0, 0);
    }

    /** See {@link IpTransmitter#maxSegmentationLength}. */
    int maxSegmentationLength() {
        return caps.tso() ? Math.min(caps.tsoMaxFrame() - ETH, 0xffff) - IP : 0;
    }

    /** See {@link IpTransmitter#begin(int, int, int, int, int, int)}. */
    int begin(int destination, int protocol, int l4Length, int segmentSize, int dscp, int ttl) {
        if (building) {
            throw new IllegalStateException("begin before the packet begun last was finished");
        }
        // A TSO frame whenever the caller gives a segment size: its payload may fit the MTU and still
        // exceed the segment size (a peer's MSS below ours), and the device must cut it all the same.
        boolean segmented = segmentSize > 0;
        if (l4Length < 0 || !segmented && IP + l4Length > mtu || segmented && (protocol != IpProtocol.TCP
                || l4Length > maxSegmentationLength() || IP + TcpPacket.MIN_HEADER_LENGTH + segmentSize > mtu)) {
            stats.add(Counter.TX_TOO_BIG);
            return IpTransmitter.TOO_BIG;
        }
        int nextHop = destination;
        long destinationMac = ArpCache.NONE;
        if (destination == -1 || destination == subnetBroadcast) {
            destinationMac = BROADCAST_MAC;
        } else if ((destination >>> 28) == 0xe) {
            // RFC 1112 6.4: 01:00:5e and the group's low 23 bits.
            destinationMac = 0x01005e000000L | (destination & 0x7fffff);
        } else if (!config.isOnLink(destination)) {
            if (gateway == 0) {
                stats.add(Counter.TX_NO_ROUTE);
                return IpTransmitter.NO_ROUTE;
            }
            nextHop = gateway;
        }
        if (!txFrame(ETH + IP + l4Length)) {
            return IpTransmitter.BUSY;
        }
        MemorySegment m = tx.memory();
        long off = tx.offset(txUsed);
        ethOut.wrapUnchecked(m, off, ETH).setSource(mac).setEtherType(EtherType.IPV4);
        ipOut.wrapUnchecked(m, off + ETH, IP).setHeaderLength(IP).setDscpEcn(dscp & 0x3f, 0).setTotalLength(IP + l4Length)
                .setIdentification(ipId++ & 0xffff).setFragmentation(true, false, 0).setTtl(ttl > 0 ? ttl : config.ttl())
                .setProtocol(protocol).setSource(address).setDestination(destination);
        if (caps.txIpChecksum()) {
            ipOut.setChecksum(0);
            curFlags = FrameBurst.TX_IP_CHECKSUM;
        } else {
            ipOut.fillChecksum();
            curFlags = 0;
        }
        building = true;
        curOffset = off;
        curDestination = destination;
        curProtocol = protocol;
        curL4Length = l4Length;
        curNextHop = nextHop;
        curMac = destinationMac;
        curSegmentSize = segmented ? segmentSize : 0;
        return IpTransmitter.OK;
    }

    boolean isBroadcast(int a) {
        return a == -1 || a == subnetBroadcast;
    }

    void negativeAdvice(int destination) {
        // the known MAC stays in use while the request is out (as Linux's NUD_PROBE): a reply with another one replaces it
        int hop = config.isOnLink(destination) || gateway == 0 ? destination : gateway;
        if (!building && arp.lookup(hop, now) != ArpCache.NONE) {
            requestArp(hop, false);
            stats.add(Counter.ARP_NEGATIVE_ADVICE);
        }
    }

    MemorySegment txSegment() {
        return tx.memory();
    }

    long txL4Offset() {
        if (!building) {
            throw new IllegalStateException("no packet begun: call begin first");
        }
        return curOffset + ETH + IP;
    }

    /** See {@link IpTransmitter#finish}. */
    void finish(int checksum) {
        if (!building) {
            throw new IllegalStateException("finish without a packet begun");
        }
        building = false;
        MemorySegment m = tx.memory();
        long l4 = curOffset + ETH + IP;
        int flags = curFlags;
        if (checksum != IpTransmitter.CHECKSUM_NONE) {
            long field = l4 + (checksum == IpTransmitter.CHECKSUM_UDP ? 6 : 16);
            int pseudo = Checksum.pseudoHeader(address, curDestination, curProtocol, curL4Length);
            if (caps.txL4Checksum() || curSegmentSize != 0) {
                // The device adds the segment to the pseudo-header sum left in the field.
                m.set(U16, field, (short) pseudo);
                flags |= FrameBurst.TX_L4_CHECKSUM;
            } else {
                m.set(U16, field, (short) 0);
                int c = Checksum.finish(Checksum.add(pseudo, Checksum.sum(m, l4, curL4Length)));
                m.set(U16, field, (short) (c == 0 && checksum == IpTransmitter.CHECKSUM_UDP ? 0xffff : c));
            }
        }
        int len = ETH + IP + curL4Length;
        long dmac = curMac != ArpCache.NONE ? curMac : arp.lookup(curNextHop, now);
        if (dmac != ArpCache.NONE) {
            ethOut.wrapUnchecked(m, curOffset, ETH).setDestination(dmac);
            commitFrame(m, curOffset, len, flags);
            if (curSegmentSize != 0) {
                // TSO (FrameBurst.TX_TCP_SEGMENTATION): the device fills both checksums of each segment
                tx.flags(txUsed - 1, flags | FrameBurst.TX_TCP_SEGMENTATION);
                tx.segmentSize(txUsed - 1, curSegmentSize);
                stats.add(Counter.TX_SEGMENTATION_FRAMES);
            }
            return;
        }
        if (curSegmentSize != 0) {
            stats.add(Counter.ARP_QUEUE_FULL); // the queue's slots hold one MTU: TCP sends it again
        } else if (pending.add(curNextHop, m, curOffset, len, flags, now)) {
            stats.add(Counter.ARP_QUEUED);
        } else {
            stats.add(Counter.ARP_QUEUE_FULL);
        }
        // The frame's buffer is free again (not committed): the request goes out in it.
        requestArp(curNextHop, true);
    }

    private void requestArp(int target, boolean countLimited) {
        if (!txFrame()) {
            return;
        }
        if (!arp.mayRequest(target, now)) {
            if (countLimited) {
                stats.add(Counter.ARP_REQUESTS_RATE_LIMITED);
            }
            return;
        }
        writeArp(ArpPacket.REQUEST, BROADCAST_MAC, 0, target);
        stats.add(Counter.ARP_REQUESTS_SENT);
    }

    /** Pads a written frame to the Ethernet minimum with zeros and adds it to the burst to send. */
    private void commitFrame(MemorySegment m, long off, int len, int flags) {
        for (int i = len; i < EthernetFrame.MIN_FRAME_LENGTH; i++) {
            m.set(ValueLayout.JAVA_BYTE, off + i, (byte) 0);
        }
        tx.length(txUsed, Math.max(len, EthernetFrame.MIN_FRAME_LENGTH));
        tx.flags(txUsed, flags);
        txUsed++;
    }

    /** Sends queued packets whose next hop is known, drops those out of time, asks again for the rest. */
    private void servicePending() {
        if (pending.size() == 0) {
            return;
        }
        long timeout = config.arpResolveTimeout();
        for (int i = 0; i < pending.capacity(); i++) {
            if (!pending.used(i)) {
                continue;
            }
            int hop = pending.nextHop(i);
            long dmac = arp.lookup(hop, now);
            if (dmac != ArpCache.NONE) {
                if (!txFrame()) {
                    return;
                }
                MemorySegment m = tx.memory();
                long off = tx.offset(txUsed);
                int len = pending.length(i);
                MemorySegment.copy(pending.memory(), pending.offset(i), m, off, len);
                ethOut.wrapUnchecked(m, off, ETH).setDestination(dmac);
                commitFrame(m, off, len, pending.flags(i));
                pending.remove(i);
            } else if (now - pending.queuedAt(i) >= timeout) {
                pending.remove(i);
                stats.add(Counter.ARP_TIMEOUT);
            } else {
                requestArp(hop, false);
            }
        }
    }

    /** Makes sure burst entry {@code txUsed} is an allocated buffer; false (counted) when the port has none. */
    private boolean txFrame() {
        return txFrame(0);
    }

    /** {@link #txFrame()} with room for a frame of {@code length} bytes: TSO buffers when it needs them. */
    private boolean txFrame(int length) {
        if (txUsed < tx.count() && length <= tx.capacity(txUsed)) {
            return true;
        }
        flush();
        int got = length > caps.maxFrameLength() ? port.allocate(tx, tx.capacity(), caps.tsoMaxFrame())
                : port.allocate(tx, tx.capacity());
        if (got == 0) {
            stats.add(Counter.TX_NO_BUFFER);
            return false;
        }
        return true;
    }

    private void flush() {
        int n = txUsed;
        if (n > 0) {
            int taken = port.transmit(tx, n);
            stats.add(Counter.TX_FRAMES, taken);
            stats.add(Counter.TX_PORT_FULL, n - taken);
        }
        if (tx.count() > 0) {
            port.release(tx);
        }
        txUsed = 0;
    }

    @Override
    public String toString() {
        return "Interface[" + port.name() + " " + caps.mac() + " " + config.address() + "/" + config.prefixLength() + "]";
    }
}
