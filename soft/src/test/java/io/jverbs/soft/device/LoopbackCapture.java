package io.jverbs.soft.device;

import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.RxeCapture;
import io.jverbs.soft.wire.Tcpdump;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tcpdump on {@code lo} for the RoCEv2 packets between two addresses, into
 * {@code target/soft-wire/NAME.pcap}, read back with the soft module's own parser
 * ({@link RocePacket}): every packet must parse with a valid ICRC and carry IPv4 ID 0 and DF.
 */
final class LoopbackCapture implements AutoCloseable {
    private static final Path DIR = Path.of("target", "soft-wire");
    final Path file;
    private final Tcpdump tcpdump;
    private final String a, b;
    /** The end marker's payload: a datagram that is no RoCEv2 packet, left out of {@link #parse}. */
    private final byte[] marker = ("jverbs capture end " + System.nanoTime()).getBytes(StandardCharsets.US_ASCII);

    /** One RoCEv2 packet as captured: its place in the capture, when, between whom, and the header fields the checks read. */
    record Wire(int index, long micros, int source, int destination, Opcode opcode, int destQp, int psn, boolean ackRequest,
                int syndrome, long va, int rkey, long dmaLength, long atomicValue, byte[] payload) {
        boolean isAck() {
            return opcode == Opcode.RC_ACKNOWLEDGE && syndrome >>> 5 == 0;
        }

        boolean isRnrNak() {
            return opcode == Opcode.RC_ACKNOWLEDGE && syndrome >>> 5 == 1;
        }

        boolean isNak() {
            return opcode == Opcode.RC_ACKNOWLEDGE && syndrome >>> 5 == 3;
        }

        @Override
        public String toString() {
            return String.format("%d.%06d %08x->%08x QP %d %s PSN %#x%s%s", micros / 1_000_000, micros % 1_000_000, source,
                    destination, destQp, opcode, psn, opcode.hasAeth() ? String.format(" syndrome %#x", syndrome) : "",
                    opcode.hasReth() ? String.format(" va %#x rkey %#x len %d", va, rkey, dmaLength) : "");
        }
    }

    private LoopbackCapture(Tcpdump tcpdump, String a, String b) {
        this.tcpdump = tcpdump;
        this.file = tcpdump.file;
        this.a = a;
        this.b = b;
    }

    /** Starts tcpdump for UDP 4791 between {@code a} and {@code b} and waits until it listens. */
    static LoopbackCapture start(String name, String a, String b) {
        Nft.requireRoot("a test capturing on lo");
        try {
            Files.createDirectories(DIR);
            return new LoopbackCapture(Tcpdump.start("lo", "udp dst port 4791 and host " + a + " and host " + b,
                    DIR.resolve(name + ".pcap")), a, b);
        } catch (IOException e) {
            throw new AssertionError("tcpdump: " + e.getMessage() + " (is it installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Stops tcpdump once it has written everything sent before this call, and returns the
     * packets, checked, in capture order. On a loaded host tcpdump may lag the traffic by more
     * than any quiet period, so a marker datagram (a to b's port 4791: the filter takes it, the
     * device drops it as no RoCEv2 packet) is sent and awaited in the file first.
     */
    List<Wire> stop() {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(a, 0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int i = 0; indexOf(Files.readAllBytes(file), marker) < 0; i++) {
                assertTrue(System.nanoTime() < deadline, "tcpdump did not write the end marker within 20 s");
                if (i % 25 == 0) {
                    ch.send(ByteBuffer.wrap(marker), new InetSocketAddress(b, 4791));
                }
                Thread.sleep(20);
            }
            tcpdump.stop();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return parse(file, marker);
    }

    private static int indexOf(byte[] data, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= data.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The RoCEv2 packets of a capture, checked; frames holding {@code marker} are left out. */
    static List<Wire> parse(Path pcap, byte[] marker) {
        List<Wire> out = new ArrayList<>();
        RocePacket p = new RocePacket();
        int n = 0;
        for (RxeCapture.Frame f : RxeCapture.records(pcap)) {
            n++;
            byte[] b = f.bytes();
            if (indexOf(b, marker) >= 0) {
                continue;
            }
            String where = "frame " + n + " of " + pcap;
            assertEquals(RoceStatus.OK, p.wrapFrame(MemorySegment.ofArray(b), 0, b.length), where + " is not a valid RoCEv2 packet (ICRC included)");
            // The ICRC covers the IPv4 ID: the soft device's socket must send ID 0 with DF.
            assertEquals(0, p.ipv4().identification(), where + ": IPv4 ID");
            assertTrue(p.ipv4().dontFragment(), where + ": DF");
            Opcode op = p.opcode();
            long va = op.hasReth() ? p.reth().virtualAddress() : op.hasAtomicEth() ? p.atomicEth().virtualAddress() : 0;
            int rkey = op.hasReth() ? p.reth().rkey() : op.hasAtomicEth() ? p.atomicEth().rkey() : 0;
            long value = op.hasAtomicEth() ? p.atomicEth().swapOrAdd() : op.hasAtomicAckEth() ? p.atomicAckEth().originalData() : 0;
            out.add(new Wire(out.size(), f.micros(), p.ipv4().source(), p.ipv4().destination(), op, p.bth().destinationQp(), p.bth().psn(),
                    p.bth().ackRequest(), op.hasAeth() ? p.aeth().syndrome() : -1, va, rkey, op.hasReth() ? p.reth().dmaLength() : 0,
                    value, Arrays.copyOfRange(b, (int) p.payloadOffset(), (int) p.payloadOffset() + p.payloadLength())));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        tcpdump.close();
    }
}
