package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.EthernetRepr;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.Ipv4Repr;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.WireStatus;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Our interface (IP_A) on one end of a {@link MemoryPair}, the test on the other end as a hand-made
 * peer (IP_B): segments in as {@link TcpRepr}s with payload bytes, segments out parsed back, ARP
 * answered by the peer. Time is a {@link ManualClock}.
 */
final class TcpPeer implements AutoCloseable {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    final ManualClock clock = new ManualClock(1_000 * SECOND);
    final MemoryPair pair = MemoryPair.builder().clock(clock).build();
    final Interface iface = new Interface(pair.a(), InterfaceConfig.builder(new Ipv4Address(IP_A), 24).build(), clock);
    final PacketPort raw = pair.b();

    /** A segment we sent. */
    record Seg(TcpRepr tcp, byte[] payload) {
        int seq() {
            return tcp.sequenceNumber();
        }

        int ack() {
            return tcp.acknowledgmentNumber();
        }

        int flags() {
            return tcp.flags();
        }

        @Override
        public String toString() {
            return "Seg[flags 0x" + Integer.toHexString(tcp.flags()) + " seq " + Integer.toUnsignedString(seq())
                    + " ack " + Integer.toUnsignedString(ack()) + " wnd " + tcp.window() + " len " + payload.length
                    + " mss " + tcp.maxSegmentSize() + "]";
        }
    }

    TcpPeer() {
        // the peer announces itself, so our interface knows its MAC from the start (RFC 826: we are the target)
        TestFrames.send(raw, TestFrames.arp(ArpPacket.REQUEST, MAC_B, IP_B, 0, IP_A));
        iface.poll(clock.nanos());
        TestFrames.receiveAll(raw);
    }

    TcpSocket socket(TcpConfig config, int rx, int tx) {
        return iface.sockets().add(new TcpSocket(config, rx, tx));
    }

    /**
     * The state-machine tests' configuration: no options offered (window scaling, timestamps and
     * SACK are tested with {@link #optionsConfig()}) and every segment ACKed at once (delayed ACK
     * off), so each segment in has its exact answer out.
     */
    static TcpConfig config() {
        return new TcpConfig(SECOND, SECOND, 60 * SECOND, 30 * SECOND, 6, 0x1234_5678_9abc_def0L, 0x0fed_cba9_8765_4321L)
                .withOptions(0).withDelayedAck(0);
    }

    /** {@link #config()} offering window scaling, timestamps and SACK-permitted, delayed ACK still off. */
    static TcpConfig optionsConfig() {
        return config().withOptions(TcpConfig.WINDOW_SCALE | TcpConfig.TIMESTAMPS | TcpConfig.SACK);
    }

    /** Sends a segment from the peer with {@code payload} and polls our interface. */
    void in(TcpRepr r, byte[] payload) {
        Ipv4Repr ip = new Ipv4Repr(IP_B, IP_A, IpProtocol.TCP, r.bufferLength(), 64);
        MemorySegment s = MemorySegment.ofArray(new byte[Math.max(60, 14 + ip.bufferLength())]);
        new EthernetRepr(MAC_A, MAC_B, EtherType.IPV4).emit(new EthernetFrame().wrapUnchecked(s, 0, 14));
        ip.emit(new Ipv4Packet().wrapUnchecked(s, 14, ip.bufferLength()));
        long at = 14 + Ipv4Packet.MIN_HEADER_LENGTH;
        MemorySegment.copy(payload, 0, s, ValueLayout.JAVA_BYTE, at + r.headerLength(), payload.length);
        r.emit(new TcpPacket().wrapUnchecked(s, at, r.bufferLength()), IP_B, IP_A);
        TestFrames.send(raw, s.toArray(ValueLayout.JAVA_BYTE));
        iface.poll(clock.nanos());
    }

    void in(int srcPort, int dstPort, int seq, int ack, int flags, int window, byte[] payload) {
        in(new TcpRepr(srcPort, dstPort, seq, ack, flags, window, payload.length), payload);
    }

    /** A SYN with MSS {@code mss}, SACK-permitted, timestamps (TSval 7) and window scale 7 (used if we offer them too). */
    void syn(int srcPort, int dstPort, int seq, int ack, int flags, int mss) {
        in(new TcpRepr(srcPort, dstPort, seq, ack, flags, 29_200, 0, mss, 7, true, new TcpRepr.Timestamps(7, 0),
                List.of(), 0), new byte[0]);
    }

    /** Polls our interface and returns the TCP segments it sent to the peer. */
    List<Seg> out() {
        List<Seg> got = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            iface.poll(clock.nanos());
            if (!collect(got)) break;
        }
        return got;
    }

    /** Parses what our interface sent into {@code got}; answers ARP requests and returns whether it did. */
    private boolean collect(List<Seg> got) {
        boolean answered = false;
        for (byte[] f : TestFrames.receiveAll(raw)) {
            MemorySegment s = MemorySegment.ofArray(f);
            EthernetFrame eth = new EthernetFrame();
            if (eth.wrap(s, 0, f.length) == WireStatus.OK && eth.etherType() == EtherType.ARP) {
                // the entry expired (long virtual waits): answer, so the queued segment leaves
                TestFrames.send(raw, TestFrames.arp(ArpPacket.REPLY, MAC_B, IP_B, MAC_A, IP_A));
                answered = true;
                continue;
            }
            if (eth.wrap(s, 0, f.length) != WireStatus.OK || eth.etherType() != EtherType.IPV4) continue;
            Ipv4Packet ip = new Ipv4Packet();
            assertEquals(WireStatus.OK, ip.wrap(s, 14, f.length - 14));
            if (ip.protocol() != IpProtocol.TCP) continue;
            TcpPacket tcp = new TcpPacket();
            assertEquals(WireStatus.OK, tcp.wrap(s, ip.payloadOffset(), ip.payloadLength()));
            assertEquals(true, tcp.checksumValid(ip.source(), ip.destination()), "checksum of a segment we sent");
            byte[] payload = s.asSlice(tcp.payloadOffset(), tcp.payloadLength()).toArray(ValueLayout.JAVA_BYTE);
            got.add(new Seg(TcpRepr.parse(tcp), payload));
        }
        return answered;
    }

    /** Exactly one segment out. */
    Seg one() {
        List<Seg> s = out();
        assertEquals(1, s.size(), () -> "segments out: " + s);
        return s.get(0);
    }

    void advance(long nanos) {
        clock.advance(nanos);
    }

    @Override
    public void close() {
        pair.close();
    }
}
