package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.EthernetFrame;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every packet rdma_rxe sent in the capture (RC SEND/WRITE/READ/atomics, UC SEND/WRITE, UD SEND,
 * pads 0..3, TOS 0 and 0x6a): parses, its ICRC verifies, its fields are what tshark decodes, it is
 * laid out again byte for byte, and its UDP source port follows rxe's rule.
 */
class RxeCaptureTest {
    private static final List<byte[]> FRAMES = RxeCapture.frames();

    /** A tshark field as a number: hex with 0x, decimal, or a boolean. */
    private static long num(String s) {
        return switch (s) {
            case "True" -> 1;
            case "False" -> 0;
            default -> s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseUnsignedLong(s);
        };
    }

    private static RocePacket parse(byte[] frame) {
        RocePacket p = new RocePacket();
        RoceStatus s = p.wrapFrame(MemorySegment.ofArray(frame), 0, frame.length);
        assertEquals(RoceStatus.OK, s, () -> "frame of " + frame.length + " bytes: " + s.description());
        return p;
    }

    @Test
    void theCaptureCoversEveryOpcodeRxeSentPadsAndTrafficClasses() {
        Set<Opcode> seen = EnumSet.noneOf(Opcode.class);
        Set<Integer> pads = new TreeSet<>();
        Set<Integer> tos = new TreeSet<>();
        for (byte[] f : FRAMES) {
            RocePacket p = parse(f);
            seen.add(p.opcode());
            pads.add(p.padCount());
            tos.add(p.ipv4().dscp() << 2 | p.ipv4().ecn());
        }
        // perftest 4.5 has no immediate-data or invalidate options: those opcodes are covered by the layout tests.
        Set<Opcode> expected = EnumSet.of(Opcode.RC_SEND_FIRST, Opcode.RC_SEND_MIDDLE, Opcode.RC_SEND_LAST, Opcode.RC_SEND_ONLY,
                Opcode.RC_RDMA_WRITE_FIRST, Opcode.RC_RDMA_WRITE_MIDDLE, Opcode.RC_RDMA_WRITE_LAST, Opcode.RC_RDMA_WRITE_ONLY,
                Opcode.RC_RDMA_READ_REQUEST, Opcode.RC_RDMA_READ_RESPONSE_FIRST, Opcode.RC_RDMA_READ_RESPONSE_MIDDLE,
                Opcode.RC_RDMA_READ_RESPONSE_LAST, Opcode.RC_RDMA_READ_RESPONSE_ONLY, Opcode.RC_ACKNOWLEDGE,
                Opcode.RC_ATOMIC_ACKNOWLEDGE, Opcode.RC_COMPARE_SWAP, Opcode.RC_FETCH_ADD,
                Opcode.UC_SEND_FIRST, Opcode.UC_SEND_MIDDLE, Opcode.UC_SEND_LAST,
                Opcode.UC_RDMA_WRITE_FIRST, Opcode.UC_RDMA_WRITE_MIDDLE, Opcode.UC_RDMA_WRITE_LAST, Opcode.UD_SEND_ONLY);
        assertEquals(expected, seen);
        assertEquals(Set.of(0, 1, 2, 3), pads);
        assertEquals(Set.of(0x00, 0x6a), tos);
    }

    @Test
    void everyPacketMatchesTsharksDecoding() throws Exception {
        List<String[]> rows = RxeCapture.tshark();
        assertEquals(FRAMES.size(), rows.size(), "tshark's packet count");
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < RxeCapture.FIELDS.length; i++) {
            col.put(RxeCapture.FIELDS[i], i);
        }
        int checkedReth = 0, checkedAeth = 0, checkedDeth = 0, checkedAtomic = 0, checkedAtomicAck = 0;
        for (int i = 0; i < FRAMES.size(); i++) {
            String[] r = rows.get(i);
            RocePacket p = parse(FRAMES.get(i));
            String at = "frame " + (i + 1) + " " + p;
            java.util.function.Function<String, Long> f = name -> num(r[col.get(name)]);
            assertEquals(f.apply("ip.dsfield"), p.ipv4().dscp() << 2 | p.ipv4().ecn(), at);
            assertEquals(f.apply("ip.id"), p.ipv4().identification(), at);
            assertEquals(f.apply("ip.ttl"), p.ipv4().ttl(), at);
            assertEquals(f.apply("udp.srcport"), p.udp().sourcePort(), at);
            assertEquals(f.apply("udp.length"), p.udp().datagramLength(), at);
            Bth b = p.bth();
            assertEquals(f.apply("infiniband.bth.opcode"), p.opcode().code(), at);
            assertEquals(f.apply("infiniband.bth.se"), b.solicitedEvent() ? 1 : 0, at);
            assertEquals(f.apply("infiniband.bth.m"), b.migReq() ? 1 : 0, at);
            assertEquals(f.apply("infiniband.bth.padcnt"), b.padCount(), at);
            assertEquals(f.apply("infiniband.bth.tver"), b.transportVersion(), at);
            assertEquals(f.apply("infiniband.bth.p_key"), b.partitionKey(), at);
            assertEquals(f.apply("infiniband.bth.destqp"), b.destinationQp(), at);
            assertEquals(f.apply("infiniband.bth.a"), b.ackRequest() ? 1 : 0, at);
            assertEquals(f.apply("infiniband.bth.psn"), b.psn(), at);
            assertEquals(f.apply("infiniband.invariant.crc"), Integer.toUnsignedLong(Integer.reverseBytes(p.icrc())), at);
            Opcode op = p.opcode();
            // tshark decodes the AtomicETH's VA and R_Key under the RETH's field names.
            assertEquals(op.hasReth() || op.hasAtomicEth(), !r[col.get("infiniband.reth.va")].isEmpty(), at);
            if (op.hasReth()) {
                assertEquals(f.apply("infiniband.reth.va"), p.reth().virtualAddress(), at);
                assertEquals(f.apply("infiniband.reth.r_key"), Integer.toUnsignedLong(p.reth().rkey()), at);
                assertEquals(f.apply("infiniband.reth.dmalen"), p.reth().dmaLength(), at);
                checkedReth++;
            }
            assertEquals(op.hasAeth(), !r[col.get("infiniband.aeth.syndrome")].isEmpty(), at);
            if (op.hasAeth()) {
                assertEquals(f.apply("infiniband.aeth.syndrome"), p.aeth().syndrome(), at);
                assertEquals(f.apply("infiniband.aeth.msn"), p.aeth().msn(), at);
                // as measured on rxe's ACKs and read responses carry syndrome 0x1F, an ACK with credit count 31.
                assertTrue(p.aeth().isAck(), at);
                assertEquals(Aeth.CREDITS_INVALID, p.aeth().credits(), at);
                checkedAeth++;
            }
            assertEquals(op.hasDeth(), !r[col.get("infiniband.deth.q_key")].isEmpty(), at);
            if (op.hasDeth()) {
                assertEquals(f.apply("infiniband.deth.q_key"), Integer.toUnsignedLong(p.deth().qkey()), at);
                assertEquals(f.apply("infiniband.deth.srcqp"), p.deth().sourceQp(), at);
                checkedDeth++;
            }
            assertEquals(op.hasAtomicEth(), !r[col.get("infiniband.atomiceth.swapdt")].isEmpty(), at);
            if (op.hasAtomicEth()) {
                assertEquals(f.apply("infiniband.atomiceth.swapdt"), p.atomicEth().swapOrAdd(), at);
                assertEquals(f.apply("infiniband.atomiceth.cmpdt"), p.atomicEth().compare(), at);
                assertEquals(f.apply("infiniband.reth.va"), p.atomicEth().virtualAddress(), at);
                assertEquals(f.apply("infiniband.reth.r_key"), Integer.toUnsignedLong(p.atomicEth().rkey()), at);
                checkedAtomic++;
            }
            assertEquals(op.hasAtomicAckEth(), !r[col.get("infiniband.atomicacketh.origremdt")].isEmpty(), at);
            if (op.hasAtomicAckEth()) {
                assertEquals(f.apply("infiniband.atomicacketh.origremdt"), p.atomicAckEth().originalData(), at);
                checkedAtomicAck++;
            }
            // What rxe sends (measured for issue 13): DF, TTL 64, UDP checksum 0, P_Key 0xFFFF, reserved bytes 0.
            assertTrue(p.ipv4().dontFragment(), at);
            assertEquals(0, p.udp().checksum(), at);
            assertEquals(0, b.resv8a(), at);
            assertEquals(0, b.resv7(), at);
            // AckReq on the last packet of every RC request, never on responses or UD/UC data here.
            boolean rcRequestEnd = op.transport() == Opcode.Transport.RC && op.isRequest() && op.endsMessage();
            assertEquals(rcRequestEnd, b.ackRequest(), at);
        }
        assertTrue(checkedReth > 0 && checkedAeth > 0 && checkedDeth > 0 && checkedAtomic > 0 && checkedAtomicAck > 0,
                "each extension header was compared at least once");
    }

    @Test
    void layingOutEveryPacketAgainReproducesItByteForByte() {
        for (int i = 0; i < FRAMES.size(); i++) {
            byte[] frame = FRAMES.get(i);
            RocePacket in = parse(frame);
            byte[] out = new byte[frame.length];
            MemorySegment o = MemorySegment.ofArray(out);
            RocePacket p = new RocePacket();
            int total = p.layoutIpv4(o, EthernetFrame.HEADER_LENGTH, in.opcode(), in.payloadLength());
            assertEquals(in.ipv4().totalLength(), total);
            Layouts.copyFields(in, p);
            MemorySegment.copy(in.segment(), in.payloadOffset(), o, p.payloadOffset(), in.payloadLength());
            p.finishIpv4();
            System.arraycopy(frame, 0, out, 0, EthernetFrame.HEADER_LENGTH); // the MAC header is raw-eth's business
            assertArrayEquals(frame, out, "frame " + (i + 1) + " " + in);
        }
    }

    @Test
    void theSocketPathSeesTheSamePacketInTheUdpPayload() {
        RocePacket udp = new RocePacket();
        for (byte[] f : FRAMES) {
            RocePacket p = parse(f);
            MemorySegment s = MemorySegment.ofArray(f);
            assertEquals(RoceStatus.OK, udp.wrapTransport(s, p.transportOffset(), p.transportLength()), p.toString());
            assertEquals(p.opcode(), udp.opcode());
            assertEquals(p.payloadOffset(), udp.payloadOffset());
            assertEquals(p.payloadLength(), udp.payloadLength());
            assertEquals(p.padCount(), udp.padCount());
            assertEquals(p.icrc(), udp.icrc());
            assertEquals(false, udp.hasIpv4());
        }
    }

    @Test
    void udpSourcePortsFollowRxesRules() {
        // RC and UC: the QPs of a connection, from the destination QPs the two directions carry.
        Map<Integer, Set<Integer>> qpnsBySport = new HashMap<>();
        int ud = 0;
        for (byte[] f : FRAMES) {
            RocePacket p = parse(f);
            if (p.opcode().transport() == Opcode.Transport.UD) {
                assertEquals(SourcePort.ud(p.deth().sourceQp()), p.udp().sourcePort(), p.toString());
                ud++;
            } else {
                qpnsBySport.computeIfAbsent(p.udp().sourcePort(), k -> new HashSet<>()).add(p.bth().destinationQp());
            }
        }
        assertTrue(ud > 0, "the capture has UD packets");
        assertTrue(qpnsBySport.size() >= 10, "a connection per perftest run: " + qpnsBySport);
        for (var e : qpnsBySport.entrySet()) {
            List<Integer> qpns = List.copyOf(e.getValue());
            // Both ends number their QPs alike here (rxe0 and rxe1 count from 0x11), so a connection
            // may show one QPN; two at most.
            assertTrue(qpns.size() <= 2, e.toString());
            int local = qpns.get(0);
            int remote = qpns.get(qpns.size() - 1);
            assertEquals(SourcePort.rc(local, remote), (int) e.getKey(), "QPs " + qpns);
        }
    }
}
