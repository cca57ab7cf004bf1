package io.jverbs.raweth.iface;

import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.Checksum;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.WireStatus;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;

/** Frames from A to B, each broken in exactly one way, by the {@link WireStatus} it must earn. */
final class Malformed {
    private static final int IP = 14;

    private Malformed() {
    }

    static byte[] frame(WireStatus st) {
        byte[] udp = TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 5555, 4444, 40);
        byte[] syn = TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 5555, 80, 1, 0, TcpPacket.SYN, 0);
        byte[] f;
        switch (st) {
            case ETHERNET_TRUNCATED -> f = Arrays.copyOf(udp, 13);
            case ARP_TRUNCATED -> f = Arrays.copyOf(TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B), 14 + 27);
            case ARP_UNSUPPORTED -> {
                f = TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B);
                f[14 + 1] = 6; // hardware type 6 (IEEE 802)
            }
            case IPV4_TRUNCATED -> f = Arrays.copyOf(udp, 14 + 19);
            case IPV4_BAD_VERSION -> {
                f = udp;
                f[IP] = 0x65;
                fixIpChecksum(f);
            }
            case IPV4_BAD_HEADER_LENGTH -> {
                f = udp;
                f[IP] = 0x44;
            }
            case IPV4_BAD_TOTAL_LENGTH -> {
                f = udp;
                f[IP + 2] = 0;
                f[IP + 3] = 12;
                fixIpChecksum(f);
            }
            case IPV4_BAD_OPTION -> {
                // IHL 6: one 4-byte option area whose option claims 16 bytes
                f = new byte[udp.length + 4];
                System.arraycopy(udp, 0, f, 0, IP + 20);
                System.arraycopy(udp, IP + 20, f, IP + 24, udp.length - IP - 20);
                f[IP] = 0x46;
                int total = ((udp[IP + 2] & 0xff) << 8 | udp[IP + 3] & 0xff) + 4;
                f[IP + 2] = (byte) (total >> 8);
                f[IP + 3] = (byte) total;
                f[IP + 20] = (byte) 0x83;
                f[IP + 21] = 16;
                fixIpChecksum(f);
            }
            case IPV4_BAD_CHECKSUM -> {
                f = udp;
                f[IP + 10] ^= 0x40;
            }
            case ICMPV4_TRUNCATED -> f = TestFrames.ipv4(MAC_A, MAC_B, IP_A, IP_B, IpProtocol.ICMP, new byte[] {8, 0, 0, 0});
            case ICMPV4_BAD_CHECKSUM -> {
                f = TestFrames.echo(true, MAC_A, MAC_B, IP_A, IP_B, 1, 1, 32);
                f[IP + 20 + 8 + 3] ^= 1;
            }
            case UDP_TRUNCATED -> f = TestFrames.ipv4(MAC_A, MAC_B, IP_A, IP_B, IpProtocol.UDP, new byte[] {1, 2, 3, 4, 5, 6});
            case UDP_BAD_LENGTH -> {
                f = udp;
                f[IP + 20 + 4] = 0;
                f[IP + 20 + 5] = 4;
            }
            case UDP_BAD_CHECKSUM -> {
                f = udp;
                f[IP + 20 + 8 + 5] ^= 1;
            }
            case TCP_TRUNCATED -> f = TestFrames.ipv4(MAC_A, MAC_B, IP_A, IP_B, IpProtocol.TCP, new byte[12]);
            case TCP_BAD_HEADER_LENGTH -> {
                f = syn;
                f[IP + 20 + 12] = 0x40;
            }
            case TCP_BAD_OPTION -> {
                f = syn;
                f[IP + 20 + 21] = 1; // the MSS option's length byte below 2
            }
            case TCP_BAD_CHECKSUM -> {
                f = syn;
                f[IP + 20 + 4] ^= 1;
            }
            default -> throw new IllegalArgumentException("no frame for " + st);
        }
        return f;
    }

    static void fixIpChecksum(byte[] f) {
        MemorySegment s = MemorySegment.ofArray(f);
        int hl = (f[IP] & 0xf) * 4;
        f[IP + 10] = 0;
        f[IP + 11] = 0;
        int c = Checksum.finish(Checksum.sum(s, IP, Math.max(hl, 20)));
        f[IP + 10] = (byte) (c >> 8);
        f[IP + 11] = (byte) c;
    }
}
