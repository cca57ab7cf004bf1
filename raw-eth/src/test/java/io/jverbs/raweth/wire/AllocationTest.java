package io.jverbs.raweth.wire;

import io.jverbs.raweth.port.AllocatedBytes;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The packet path allocates nothing: re-wrapping warm views over native memory and reading every layer. */
class AllocationTest {
    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpPacket tcp = new TcpPacket();
    private final UdpPacket udp = new UdpPacket();
    private final Icmpv4Packet icmp = new Icmpv4Packet();
    private final ArpPacket arp = new ArpPacket();
    private final long[] drops = new long[WireStatus.values().length];

    /** What a receive loop does per frame; returns a value so the JIT cannot drop the reads. */
    private long receive(MemorySegment frames, long off, int len) {
        long acc = 0;
        WireStatus s = eth.wrap(frames, off, len);
        if (s == WireStatus.OK) {
            acc += eth.source() ^ eth.destination();
            switch (eth.etherType()) {
                case EtherType.ARP -> {
                    s = arp.wrap(frames, eth.payloadOffset(), eth.payloadLength());
                    acc += arp.senderProtocolAddress() + arp.targetHardwareAddress();
                }
                case EtherType.IPV4 -> {
                    s = ip.wrap(frames, eth.payloadOffset(), eth.payloadLength());
                    if (s == WireStatus.OK && !ip.checksumValid()) {
                        s = WireStatus.IPV4_BAD_CHECKSUM;
                    }
                    if (s == WireStatus.OK) {
                        acc += ip.source() + ip.destination() + ip.ttl() + ip.identification();
                        long at = ip.payloadOffset();
                        int n = ip.payloadLength();
                        // Fragments go to reassembly, not to the transport views.
                        switch (ip.isFragment() ? -1 : ip.protocol()) {
                            case IpProtocol.TCP -> {
                                s = tcp.wrap(frames, at, n);
                                if (s == WireStatus.OK && !tcp.checksumValid(ip.source(), ip.destination())) {
                                    s = WireStatus.TCP_BAD_CHECKSUM;
                                }
                                if (s == WireStatus.OK) {
                                    acc += tcp.sequenceNumber() + tcp.acknowledgmentNumber() + tcp.flags() + tcp.window()
                                            + tcp.maxSegmentSize() + tcp.windowScale() + tcp.timestampValue()
                                            + tcp.timestampEchoReply() + tcp.sackBlockCount() + tcp.payloadLength()
                                            + (tcp.sackPermitted() ? 1 : 0);
                                    for (int i = 0; i < tcp.sackBlockCount(); i++) {
                                        acc += tcp.sackLeft(i) - tcp.sackRight(i);
                                    }
                                }
                            }
                            case IpProtocol.UDP -> {
                                s = udp.wrap(frames, at, n);
                                if (s == WireStatus.OK) {
                                    acc += udp.destinationPort() + (udp.checksumValid(ip.source(), ip.destination()) ? 1 : 0);
                                }
                            }
                            case IpProtocol.ICMP -> {
                                s = icmp.wrap(frames, at, n);
                                if (s == WireStatus.OK) {
                                    acc += icmp.type() + icmp.identifier() + (icmp.checksumValid() ? 1 : 0);
                                }
                            }
                            default -> { }
                        }
                    }
                }
                default -> { }
            }
        }
        drops[s.ordinal()]++;
        return acc;
    }

    @Test
    void rewrapAndFieldReadsAllocateNothing() {
        var frames = LinuxFrames.all();
        try (Arena arena = Arena.ofConfined()) {
            // All frames back to back in native memory, as a receive ring would hold them.
            long total = frames.stream().mapToLong(f -> f.bytes().length).sum();
            MemorySegment ring = arena.allocate(total);
            long[] offs = new long[frames.size()];
            int[] lens = new int[frames.size()];
            long p = 0;
            for (int i = 0; i < frames.size(); i++) {
                byte[] b = frames.get(i).bytes();
                MemorySegment.copy(b, 0, ring, ValueLayout.JAVA_BYTE, p, b.length);
                offs[i] = p;
                lens[i] = b.length;
                p += b.length;
            }
            long[] acc = {0};
            for (int round = 0; round < 20_000; round++) { // warm: C2 compiles receive()
                for (int i = 0; i < offs.length; i++) {
                    acc[0] += receive(ring, offs[i], lens[i]);
                }
            }
            java.util.Arrays.fill(drops, 0);
            int windows = AllocatedBytes.assertWarmWindowAllocatesNothing(10_000 * offs.length + " receives", () -> {
                for (int round = 0; round < 10_000; round++) {
                    for (int i = 0; i < offs.length; i++) {
                        acc[0] += receive(ring, offs[i], lens[i]);
                    }
                }
            }).length;
            System.out.println("receive sink " + acc[0]); // used, so the JIT keeps the reads
            // Every captured frame is well formed with good checksums (the forged one's, Python's, too).
            assertEquals(windows * 10_000L * offs.length, drops[WireStatus.OK.ordinal()], java.util.Arrays.toString(drops));
        }
    }
}
