package io.jverbs.soft.transport;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** A packet sink that keeps a copy of every packet (headers and payload bytes): the wire as a test sees it. */
final class Capture implements PacketSink {
    /** A sent packet: its fields and its payload copied out. */
    record Sent(TransportPacket packet, byte[] payload) {
        @Override
        public String toString() {
            return packet.toString();
        }
    }

    private final List<Sent> sent = new ArrayList<>();

    @Override
    public boolean send(TransportPacket p) {
        byte[] bytes = new byte[p.payloadLength];
        MemorySegment.copy(p.payload, ValueLayout.JAVA_BYTE, p.payloadOffset, bytes, 0, p.payloadLength);
        TransportPacket copy = new TransportPacket().copyFrom(p);
        copy.payload = MemorySegment.ofArray(bytes);
        copy.payloadOffset = 0;
        sent.add(new Sent(copy, bytes));
        return true;
    }

    /**
     * One line per packet: opcode, PSN, {@code A} for AckReq, the AETH when it has one, and the
     * payload length when there is a payload.
     */
    static String shape(List<Sent> l) {
        StringBuilder b = new StringBuilder();
        for (Sent s : l) {
            TransportPacket p = s.packet();
            b.append(p.opcode).append(' ').append(p.psn).append(p.ackRequest ? " A" : "");
            if (p.opcode.hasAeth()) {
                b.append(String.format(" aeth=0x%02x msn=%d", p.syndrome, p.msn));
            }
            if (p.payloadLength > 0) {
                b.append(' ').append(p.payloadLength);
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The packets sent since the last call, oldest first. */
    List<Sent> take() {
        List<Sent> l = new ArrayList<>(sent);
        sent.clear();
        return l;
    }
}
