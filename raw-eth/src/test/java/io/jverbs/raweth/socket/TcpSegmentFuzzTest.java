package io.jverbs.raweth.socket;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;

/**
 * Coverage-guided fuzzing of segment processing in live connections (Jazzer). Two stacks on virtual
 * time open a connection and move 6 KiB each way through 2 KiB buffers, then close; between their
 * polls the fuzz input injects segments built from its bytes: flags, sequence and acknowledgment
 * numbers (near the live ones or anywhere), window, urgent pointer, a data offset and options
 * bytes of its choosing, payload, a good or bad checksum, the connection's ports or others, into
 * either end, in whatever state the connection has reached (SYN-SENT through TIME-WAIT).
 *
 * <p>A finding is an exception out of the interfaces, a broken invariant of either socket after a
 * poll (SND.UNA &le; SND.NXT &le; SND.MAX, the rings within their capacity, the data in flight
 * within what is buffered), or, when no injected segment could have been accepted (a bad checksum,
 * or sequence and acknowledgment numbers far from every live one while both ends are
 * synchronized), a transfer that does not complete byte-identical. The raw-eth pom fuzzes it for
 * 30 s in every build like WireFuzzTest ({@code -Djverbs.fuzz=} runs the seeds only).
 */
class TcpSegmentFuzzTest {
    private static final int BYTES = 6 * 1024;
    private static final int BUFFER = 2048;
    /** Farther than any window (64 KiB) and any data in flight from every live sequence number. */
    private static final int FAR = 1 << 18;
    private static final VarHandle SND_UNA = field("sndUna", int.class);
    private static final VarHandle SND_NXT = field("sndNxt", int.class);
    private static final VarHandle SND_MAX = field("sndMax", int.class);
    private static final VarHandle RCV_NXT = field("rcvNxt", int.class);
    private static final VarHandle RX = field("rx", ByteRing.class);
    private static final VarHandle TX = field("tx", ByteRing.class);

    private static VarHandle field(String name, Class<?> type) {
        try {
            return MethodHandles.privateLookupIn(TcpSocket.class, MethodHandles.lookup())
                    .findVarHandle(TcpSocket.class, name, type);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("TcpSocket." + name + " (" + type + ") is gone: update the fuzz invariants", e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void segmentsInALiveConnection(FuzzedDataProvider data) {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build()) {
            Interface a = TcpTransferTest.iface(pair.a(), IP_A, clock);
            Interface b = TcpTransferTest.iface(pair.b(), IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(1)).withRtoMin(200_000_000L);
            TcpSocket server = b.sockets().add(new TcpSocket(config, BUFFER, BUFFER)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, BUFFER, BUFFER)).connect(40_000, IP_B, 80);
            byte[] up = TcpTransferTest.random(BYTES, 3);
            byte[] down = TcpTransferTest.random(BYTES, 5);
            TcpTransferTest.End c = new TcpTransferTest.End(client, up, BYTES);
            TcpTransferTest.End s = new TcpTransferTest.End(server, down, BYTES);
            boolean tampered = false;
            int injected = 0;
            for (long i = 0; i < 200_000 && !(c.done() && s.done()); i++) {
                long now = clock.nanos();
                boolean moved = a.poll(now) | b.poll(now);
                check(client);
                check(server);
                moved |= c.step() | s.step();
                if (injected < 64 && data.remainingBytes() > 0 && data.consumeBoolean()) {
                    boolean toServer = data.consumeBoolean();
                    tampered |= inject(data, toServer ? pair.a() : pair.b(), toServer ? a : b, toServer ? b : a,
                            toServer ? client : server, toServer ? server : client);
                    injected++;
                    moved = true;
                }
                if (moved) {
                    clock.advance(1_000);
                } else {
                    long d = Math.min(a.pollDelay(now), b.pollDelay(now));
                    if (d == Long.MAX_VALUE) break; // both idle for good: judged below
                    clock.advance(Math.max(d, 1_000));
                }
            }
            if (!tampered) {
                if (!(c.done() && s.done())) {
                    throw new AssertionError("the transfer did not complete past rejected segments: " + client + " "
                            + client.state() + " " + client.error() + ", " + server + " " + server.state() + " "
                            + server.error());
                }
                if (!Arrays.equals(up, Arrays.copyOf(s.in, s.got)) || !Arrays.equals(down, Arrays.copyOf(c.in, c.got))) {
                    throw new AssertionError("the stream changed past rejected segments: got " + s.got + " and " + c.got);
                }
            }
        }
    }

    /**
     * Sends one segment built from {@code data} from {@code via} (the sender's port) to {@code target}'s
     * interface, as if from {@code sender}'s address; returns whether it could have been accepted.
     */
    private static boolean inject(FuzzedDataProvider data, PacketPort via, Interface from, Interface to,
                                  TcpSocket sender, TcpSocket target) {
        boolean rightPorts = data.consumeBoolean();
        int srcPort = rightPorts ? sender.localPort() : data.consumeInt(0, 0xffff);
        int dstPort = rightPorts ? target.localPort() : data.consumeInt(0, 0xffff);
        int rcvNxt = (int) RCV_NXT.get(target);
        int sndUna = (int) SND_UNA.get(target);
        int seq = data.consumeBoolean() ? rcvNxt + data.consumeInt(-70_000, 70_000) : data.consumeInt();
        int ack = data.consumeBoolean() ? sndUna + data.consumeInt(-70_000, 70_000) : data.consumeInt();
        int flags = data.consumeInt(0, 0x1ff);
        int window = data.consumeInt(0, 0xffff);
        int urgent = data.consumeInt(0, 0xffff);
        byte[] options = data.consumeBytes(40);
        int optionWords = (options.length + 3) / 4;
        int dataOffset = data.consumeBoolean() ? data.consumeInt(0, 15) : 5 + optionWords; // in words, possibly a lie
        boolean goodChecksum = data.consumeInt(0, 7) != 0;
        byte[] payload = data.consumeBytes(data.consumeInt(0, 1400));
        int headerBytes = 20 + 4 * optionWords;
        byte[] seg = new byte[headerBytes + payload.length];
        MemorySegment m = MemorySegment.ofArray(seg);
        TcpPacket tcp = new TcpPacket().wrapUnchecked(m, 0, seg.length).setSourcePort(srcPort).setDestinationPort(dstPort)
                .setSequenceNumber(seq).setAcknowledgmentNumber(ack).setWindow(window).setUrgentPointer(urgent);
        m.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 12, (short) (dataOffset << 12 | flags));
        System.arraycopy(options, 0, seg, 20, options.length);
        System.arraycopy(payload, 0, seg, headerBytes, payload.length);
        int src = from.config().address().value();
        int dst = to.config().address().value();
        tcp.fillChecksum(src, dst);
        if (!goodChecksum) {
            tcp.setChecksum(tcp.checksum() ^ (1 + data.consumeInt(0, 0xfffe)));
        }
        byte[] frame = TestFrames.ipv4(from.mac().value(), to.mac().value(), src, dst, IpProtocol.TCP, seg);
        TestFrames.send(via, frame);
        if (!goodChecksum) {
            return false;
        }
        // what else could be taken: a segment (or the RST our interface answers it with, whose
        // sequence number is its ACK field) near a live sequence number, or anything before both
        // ends are synchronized
        boolean synchronizedBoth = target.state().compareTo(TcpSocket.State.ESTABLISHED) >= 0
                && sender.state().compareTo(TcpSocket.State.ESTABLISHED) >= 0;
        return !synchronizedBoth || near(seq, sender, target) || near(ack, sender, target);
    }

    private static boolean near(int x, TcpSocket... sockets) {
        for (TcpSocket s : sockets) {
            for (VarHandle h : new VarHandle[] {SND_UNA, SND_NXT, SND_MAX, RCV_NXT}) {
                if (Math.abs(x - (int) h.get(s)) < FAR) return true;
            }
        }
        return false;
    }

    /** The socket's invariants after a poll. */
    private static void check(TcpSocket s) {
        ByteRing rx = (ByteRing) RX.get(s);
        ByteRing tx = (ByteRing) TX.get(s);
        if (rx.length() < 0 || rx.length() > rx.capacity() || tx.length() < 0 || tx.length() > tx.capacity()) {
            throw new AssertionError("rings out of bounds: rx " + rx.length() + "/" + rx.capacity() + ", tx "
                    + tx.length() + "/" + tx.capacity() + " in " + s);
        }
        TcpSocket.State st = s.state();
        if (st == TcpSocket.State.CLOSED || st == TcpSocket.State.LISTEN || st == TcpSocket.State.SYN_SENT) {
            return; // the send sequence space is not chosen (or no longer matters)
        }
        int una = (int) SND_UNA.get(s);
        int nxt = (int) SND_NXT.get(s);
        int max = (int) SND_MAX.get(s);
        if (!TcpSocket.le(una, nxt) || !TcpSocket.le(nxt, max)) {
            throw new AssertionError("SND.UNA " + Integer.toUnsignedString(una) + " <= SND.NXT "
                    + Integer.toUnsignedString(nxt) + " <= SND.MAX " + Integer.toUnsignedString(max) + " broken in " + s
                    + " " + st);
        }
        // in flight: at most the buffered data, and a SYN and a FIN
        if (max - una > tx.length() + 2) {
            throw new AssertionError("in flight " + (max - una) + " beyond the " + tx.length() + " bytes buffered in "
                    + s + " " + st);
        }
    }
}
