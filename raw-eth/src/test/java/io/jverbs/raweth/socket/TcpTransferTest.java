package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.port.FaultInjector;
import io.jverbs.raweth.port.ForwardingPort;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two stacks over a {@link MemoryPair} on virtual time: 1 MB each way, byte-identical, with and without loss. */
class TcpTransferTest {
    static final int MB = 1 << 20;

    /**
     * What a transfer took; {@code dropped} counts every fault injected; {@code timeouts} and
     * {@code fastRetransmits} are both ends' retransmission timeouts and entries into fast recovery,
     * {@code outOfOrder} the segments both receivers held for reassembly (SACKed) instead of dropping.
     */
    record Result(long virtualNanos, long retransmitted, long dropped, long timeouts, long fastRetransmits,
                  long outOfOrder) {}

    /** One endpoint: its socket, what it sends and what it got. */
    static final class End {
        final TcpSocket socket;
        final byte[] out;
        final byte[] in;
        final MemorySegment outSeg;
        final MemorySegment inSeg;
        int sent;
        int got;
        boolean eof;

        End(TcpSocket socket, byte[] out, int expect) {
            this.socket = socket;
            this.out = out;
            in = new byte[expect + 1];
            outSeg = MemorySegment.ofArray(out);
            inSeg = MemorySegment.ofArray(in);
        }

        /** Moves data between the socket and the arrays; closes once everything is queued; returns whether it moved. */
        boolean step() {
            boolean moved = false;
            if (sent < out.length && socket.canSend()) {
                int n = socket.send(outSeg.asSlice(sent, Math.min(out.length - sent, 16_384)));
                sent += n;
                moved = n > 0;
            }
            if (sent == out.length && (socket.state() == TcpSocket.State.ESTABLISHED
                    || socket.state() == TcpSocket.State.CLOSE_WAIT)) {
                socket.close();
                moved = true;
            }
            if (!eof) {
                int n = socket.receive(inSeg.asSlice(got, in.length - got));
                if (n < 0) {
                    eof = true;
                    moved = true;
                } else if (n > 0) {
                    got += n;
                    moved = true;
                }
            }
            return moved;
        }

        boolean done() {
            return eof && (socket.state() == TcpSocket.State.CLOSED || socket.state() == TcpSocket.State.TIME_WAIT);
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Result transfer(double loss, long seed, int bytes) {
        return transfer(f -> f.loss(loss), seed, bytes);
    }

    static Result transfer(UnaryOperator<FaultInjector.Settings> faults, long seed, int bytes) {
        return transfer(faults, seed, bytes, bytes, Cubic::new, null);
    }

    /**
     * {@code up} bytes client to server and {@code down} back, each end with {@code cc}'s controller
     * and {@code recovery}'s loss recovery (null: the socket's own, RFC 6675's as SACK is negotiated).
     */
    static Result transfer(UnaryOperator<FaultInjector.Settings> faults, long seed, int up, int down,
                           Supplier<? extends CongestionControl> cc, Supplier<? extends LossRecovery> recovery) {
        return transfer(faults, seed, up, down, cc, recovery, Long.MAX_VALUE);
    }

    /**
     * As above; when idle, virtual time moves to the next timer but at most {@code idleStep} (the
     * interfaces' timers do not see the frames a delaying injector holds).
     */
    static Result transfer(UnaryOperator<FaultInjector.Settings> faults, long seed, int up, int down,
                           Supplier<? extends CongestionControl> cc, Supplier<? extends LossRecovery> recovery,
                           long idleStep) {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             FaultInjector pa = FaultInjector.wrap(pair.a(), faults.apply(FaultInjector.settings().seed(seed).clock(clock)));
             FaultInjector pb = FaultInjector.wrap(pair.b(),
                     faults.apply(FaultInjector.settings().seed(seed + 1).clock(clock)))) {
            Interface a = iface(pa, IP_A, clock);
            Interface b = iface(pb, IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(seed)).withRtoMin(200_000_000L).withCongestionControl(cc);
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            if (recovery != null) {
                server.lossRecovery(recovery.get());
                client.lossRecovery(recovery.get());
            }
            byte[] upData = random(up, seed * 3);
            byte[] downData = random(down, seed * 5);
            End c = new End(client, upData, down);
            End s = new End(server, downData, up);
            long start = clock.nanos();
            for (long i = 0; !(c.done() && s.done()); i++) {
                assertTrue(i < 20_000_000, () -> "stuck: " + client + " " + server);
                long now = clock.nanos();
                boolean moved = a.poll(now) | b.poll(now);
                moved |= c.step() | s.step();
                if (moved) {
                    clock.advance(1_000); // 1 µs a round
                } else {
                    long d = Math.min(a.pollDelay(now), b.pollDelay(now));
                    assertTrue(d != Long.MAX_VALUE, () -> "idle without a timer: " + client + " " + client.error() + " " + server + " " + server.error());
                    clock.advance(Math.max(Math.min(d, idleStep), 1_000));
                }
            }
            assertEquals(down, c.got);
            assertEquals(up, s.got);
            assertArrayEquals(upData, java.util.Arrays.copyOf(s.in, up), "client to server");
            assertArrayEquals(downData, java.util.Arrays.copyOf(c.in, down), "server to client");
            assertEquals(TcpSocket.Error.NONE, client.error());
            assertEquals(TcpSocket.Error.NONE, server.error());
            assertTrue(client.sackPermitted() && client.timestamps() && client.windowScaling(), client::toString);
            if (recovery == null) {
                assertTrue(client.recovery() instanceof SackRecovery && server.recovery() instanceof SackRecovery,
                        "SACK negotiated: RFC 6675 recovery at both ends");
            }
            FaultInjector.Faults fa = pa.faults();
            FaultInjector.Faults fb = pb.faults();
            return new Result(clock.nanos() - start, client.segmentsRetransmitted() + server.segmentsRetransmitted(),
                    fa.dropped() + fb.dropped() + fa.corrupted() + fb.corrupted() + fa.duplicated() + fb.duplicated()
                            + fa.reordered() + fb.reordered(),
                    client.retransmissionTimeouts() + server.retransmissionTimeouts(),
                    client.fastRetransmits() + server.fastRetransmits(),
                    client.outOfOrderSegments() + server.outOfOrderSegments());
        }
    }

    static Interface iface(PacketPort port, int ip, ManualClock clock) {
        return new Interface(port, InterfaceConfig.builder(new Ipv4Address(ip), 24).build(), clock);
    }

    @Test
    void oneMegabyteEachWayIntact() {
        Result r = transfer(0, 1, MB);
        System.out.println("TCP 1 MiB each way, no loss: " + r);
        assertEquals(0, r.retransmitted());
    }

    @Test
    void oneMegabyteEachWayIntactWithFivePercentLoss() {
        Result r = transfer(0.05, 7, MB);
        System.out.println("TCP 1 MiB each way, 5% loss: " + r);
        assertTrue(r.dropped() > 50, r::toString);
        assertTrue(r.retransmitted() > 0, r::toString);
        assertTrue(r.outOfOrder() > 0, "reassembly kept what followed a loss: " + r);
    }

    @Test
    void bulkTransferAllocatesNothingPerSegmentWhenWarm() {
        assertBulkAllocatesNothing(f -> f, TcpConfig.defaults(new Random(3)), 100_000);
    }

    @Test
    void bulkTransferThroughLossAndReorderingAllocatesNothingPerSegment() {
        // reassembly, SACK blocks, timestamps and retransmissions on the path; a 2 ms RTO keeps the stalls short
        long ooo = assertBulkAllocatesNothing(f -> f.loss(0.002).reorder(0.01, 20_000L),
                TcpConfig.defaults(new Random(4)).withRtoMin(2_000_000L), 5_000);
        assertTrue(ooo > 100, "segments held for reassembly: " + ooo);
    }

    /** Bulk data one way through {@code faults}; asserts a window of rounds allocates 0 B; returns the segments reassembled. */
    static long assertBulkAllocatesNothing(UnaryOperator<FaultInjector.Settings> faults, TcpConfig config,
                                           int minSegments) {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             FaultInjector pa = FaultInjector.wrap(pair.a(), faults.apply(FaultInjector.settings().seed(5).clock(clock)));
             FaultInjector pb = FaultInjector.wrap(pair.b(), faults.apply(FaultInjector.settings().seed(6).clock(clock)))) {
            Interface a = iface(pa, IP_A, clock);
            Interface b = iface(pb, IP_B, clock);
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            MemorySegment chunk = MemorySegment.ofArray(random(16_384, 9));
            MemorySegment sink = MemorySegment.ofArray(new byte[16_384]);
            long[] moved = new long[1];
            Runnable round = () -> {
                long now = clock.nanos();
                a.poll(now);
                b.poll(now);
                if (client.canSend()) client.send(chunk);
                int n = server.receive(sink);
                if (n > 0) moved[0] += n;
                clock.advance(1_000);
            };
            for (int i = 0; i < 100_000; i++) round.run();
            assertTrue(moved[0] > 10 * MB, "warm-up moved " + moved[0]);
            long[] segments = new long[1];
            AllocatedBytes.assertWarmWindowAllocatesNothing("TCP bulk, 20,000 rounds", () -> {
                long sentBefore = client.segmentsSent();
                for (int i = 0; i < 20_000; i++) round.run();
                segments[0] = client.segmentsSent() - sentBefore;
            });
            System.out.println("TCP bulk (" + server.outOfOrderSegments() + " segments reassembled): " + segments[0]
                    + " data segments in the last window");
            assertTrue(segments[0] > minSegments, "segments in the window: " + segments[0]);
            return server.outOfOrderSegments();
        }
    }

    /** Steady state with 2% loss each way: fast retransmits and recoveries allocate nothing either. */
    @Test
    void lossyTransferAllocatesNothingPerSegmentWhenWarm() {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             FaultInjector pa = FaultInjector.wrap(pair.a(), FaultInjector.settings().seed(61).clock(clock).loss(0.02));
             FaultInjector pb = FaultInjector.wrap(pair.b(), FaultInjector.settings().seed(62).clock(clock).loss(0.02))) {
            Interface a = iface(pa, IP_A, clock);
            Interface b = iface(pb, IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(4)).withRtoMin(200_000_000L);
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            MemorySegment chunk = MemorySegment.ofArray(random(16_384, 9));
            MemorySegment sink = MemorySegment.ofArray(new byte[16_384]);
            Runnable round = () -> {
                long now = clock.nanos();
                boolean moved = a.poll(now) | b.poll(now);
                if (client.canSend()) moved |= client.send(chunk) > 0;
                moved |= server.receive(sink) > 0;
                clock.advance(moved ? 1_000 : Math.max(1_000, Math.min(a.pollDelay(now), b.pollDelay(now))));
            };
            for (int i = 0; i < 200_000; i++) round.run();
            assertTrue(client.fastRetransmits() > 10, "warm-up fast retransmits: " + client.fastRetransmits());
            SackRecovery sack = (SackRecovery) client.recovery(); // SACK negotiated: RFC 6675 recovery
            long holes = sack.holeRetransmissions();
            long[] last = new long[2]; // data segments and fast retransmits of the last window
            AllocatedBytes.assertWarmWindowAllocatesNothing("TCP bulk, 2% loss each way, 50,000 rounds", () -> {
                long sentBefore = client.segmentsSent();
                long fastBefore = client.fastRetransmits();
                for (int i = 0; i < 50_000; i++) round.run();
                last[0] = client.segmentsSent() - sentBefore;
                last[1] = client.fastRetransmits() - fastBefore;
            });
            System.out.println("TCP bulk, 2% loss each way: last window " + last[0] + " data segments, " + last[1]
                    + " RFC 6675 recoveries; " + (sack.holeRetransmissions() - holes) + " SACK retransmissions since warm-up");
            assertTrue(last[0] > 10_000, "segments in the window: " + last[0]);
            assertTrue(last[1] > 0, "fast retransmits in the window: " + last[1]);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"0.01,21", "0.15,22", "0.30,23"})
    void quarterMegabyteEachWayIntactAcrossLossRates(double loss, long seed) {
        Result r = transfer(loss, seed, MB / 4);
        System.out.println("TCP 256 KiB each way, loss " + loss + ": " + r);
        assertTrue(r.dropped() > 0, r::toString);
        assertTrue(r.outOfOrder() > 0, r::toString);
    }

    @Test
    void quarterMegabyteEachWayIntactThroughCorruptionDuplicationAndReordering() {
        Result r = transfer(f -> f.corruption(0.05).duplication(0.05).reorder(0.05, 2_000_000L), 31, MB / 4);
        System.out.println("TCP 256 KiB each way, 5% corruption + 5% duplication + 5% reordering: " + r);
        assertTrue(r.dropped() > 30, r::toString);
        assertTrue(r.outOfOrder() > 0, r::toString);
    }

    /**
     * One way: losses start fast retransmits and loss recovery (RFC 6675, SACK being negotiated)
     * with both controllers, and the data stays byte-identical. Printed beside the same run with
     * the timeout alone.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"0.01,41", "0.05,42", "0.10,43"})
    void oneMegabyteOneWayRecoversByFastRetransmit(double loss, long seed) {
        for (String name : new String[] {"cubic", "reno"}) {
            Supplier<? extends CongestionControl> cc = name.equals("cubic") ? Cubic::new : Reno::new;
            Result base = transfer(f -> f.loss(loss), seed, MB, 0, cc, TimeoutOnlyRecovery::new);
            Result r = transfer(f -> f.loss(loss), seed, MB, 0, cc, null);
            System.out.println("TCP 1 MiB one way, " + name + ", loss " + loss + ": timeout only " + base
                    + ", fast retransmit " + r);
            assertTrue(r.dropped() > 0, r::toString);
            assertTrue(r.fastRetransmits() > 0, r::toString);
            assertEquals(0, base.fastRetransmits(), base::toString);
        }
    }

    /**
     * RFC 6675 SACK recovery against NewReno on the same SACK-negotiated connections (the receivers
     * reassemble and SACK either way): 256 KiB each way over a 50 ms round trip (25 ms each way)
     * through 1 to 30% loss and through reordering, byte-identical, printed as a table of RTOs,
     * retransmissions and virtual time. NewReno repairs one hole per round trip, and with the RTO
     * at 200 ms (only the first partial ACK restarts it) a window that lost several segments
     * times out; SACK recovery repairs them all in a round trip, so over the table it must need
     * fewer timeouts. Not far fewer: most timeouts left at both are a lost retransmission, or a
     * loss in a flight too short for three duplicate ACKs (cwnd is a few segments at these loss
     * rates), which RFC 6675 leaves to the RTO (RFC 8985's RACK-TLP would catch them).
     */
    @Test
    void sackRecoveryNeedsFewerTimeoutsThanNewReno() {
        String[] names = {"1% loss", "5% loss", "10% loss", "20% loss", "30% loss", "2% loss + 5% reorder"};
        long oneWay = 25_000_000L;
        java.util.List<UnaryOperator<FaultInjector.Settings>> cases = java.util.List.of(
                f -> f.delay(oneWay, 0).loss(0.01), f -> f.delay(oneWay, 0).loss(0.05),
                f -> f.delay(oneWay, 0).loss(0.10), f -> f.delay(oneWay, 0).loss(0.20),
                f -> f.delay(oneWay, 0).loss(0.30), f -> f.delay(oneWay, 0).loss(0.02).reorder(0.05, 2_000_000L));
        long renoTimeouts = 0;
        long sackTimeouts = 0;
        StringBuilder table = new StringBuilder(String.format(
                "TCP 256 KiB each way, RTT 50 ms, CUBIC, NewReno vs RFC 6675 (both SACK-negotiated):%n"
                        + "%-22s %14s %14s %18s %18s%n", "faults", "RTOs NR/6675", "rexmit NR/6675",
                "virtual s NR", "virtual s 6675"));
        for (int i = 0; i < cases.size(); i++) {
            long seed = 71 + i;
            Result reno = transfer(cases.get(i), seed, MB / 4, MB / 4, Cubic::new, NewRenoRecovery::new, 1_000_000L);
            Result sack = transfer(cases.get(i), seed, MB / 4, MB / 4, Cubic::new, null, 1_000_000L);
            assertTrue(reno.dropped() > 0 && sack.dropped() > 0, sack::toString);
            renoTimeouts += reno.timeouts();
            sackTimeouts += sack.timeouts();
            table.append(String.format("%-22s %14s %14s %18.3f %18.3f%n", names[i], reno.timeouts() + "/" + sack.timeouts(),
                    reno.retransmitted() + "/" + sack.retransmitted(), reno.virtualNanos() / 1e9, sack.virtualNanos() / 1e9));
        }
        table.append(String.format("%-22s %14s%n", "all", renoTimeouts + "/" + sackTimeouts));
        System.out.print(table);
        assertTrue(sackTimeouts < renoTimeouts, table::toString);
    }

    /**
     * The TCP path uses the port's checksum offload: over a pair that offers IPv4 and TCP checksum
     * offload and checks received checksums as a NIC would (bad frames dropped into rxErrors), every
     * segment after the SYN (whose option-bearing header TcpRepr sums itself) leaves flagged
     * {@link FrameBurst#TX_L4_CHECKSUM} with only the pseudo-header sum in the field, and 1 MiB
     * each way arrives intact.
     */
    @Test
    void checksumOffloadIsUsedWhenThePortOffersIt() {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).txIpChecksum(true).txL4Checksum(true)
                .rxChecksumFlags(true).build()) {
            FlagCounter pa = new FlagCounter(pair.a());
            Interface a = iface(pa, IP_A, clock);
            Interface b = iface(pair.b(), IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(5));
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            byte[] up = random(MB, 51);
            byte[] down = random(MB, 52);
            End c = new End(client, up, MB);
            End s = new End(server, down, MB);
            for (long i = 0; !(c.done() && s.done()); i++) {
                assertTrue(i < 1_000_000, () -> "stuck: " + client + " " + server);
                long now = clock.nanos();
                a.poll(now);
                b.poll(now);
                c.step();
                s.step();
                clock.advance(1_000);
            }
            assertArrayEquals(up, java.util.Arrays.copyOf(s.in, MB));
            assertArrayEquals(down, java.util.Arrays.copyOf(c.in, MB));
            assertEquals(0, pair.a().stats().rxErrors() + pair.b().stats().rxErrors(), "checksums the device found bad");
            System.out.println("TCP 1 MiB each way with checksum offload: " + pa.l4Flagged + " of " + client.segmentsSent()
                    + " segments sent with TX_L4_CHECKSUM");
            assertEquals(client.segmentsSent() - 1, pa.l4Flagged, "every segment but the SYN");
        }
    }

    /** Passes everything to {@code inner}, counting the transmitted frames flagged {@link FrameBurst#TX_L4_CHECKSUM}. */
    static final class FlagCounter extends ForwardingPort {
        long l4Flagged;

        FlagCounter(PacketPort inner) {
            super(inner);
        }

        @Override
        public int transmit(FrameBurst burst, int n) {
            for (int i = 0; i < n; i++) {
                if ((burst.flags(i) & FrameBurst.TX_L4_CHECKSUM) != 0) l4Flagged++;
            }
            return inner.transmit(burst, n);
        }
    }
}
