package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.port.FaultInjector;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;

/**
 * A benchmark, not a test, in the manner of smoltcp's {@code netsim}: two stacks over a
 * {@link MemoryPair} through a {@link FaultInjector} each way on virtual time, one bulk transfer
 * (client to server) per cell, and a table of throughput (Mbit/s of virtual time) by socket buffer
 * size and loss rate, with a one-way delay of 500 µs (no jitter: jitter reorders) and 1% of frames reordered on
 * every link. A cell says "failed" when the transfer did not finish byte-identical.
 *
 * <p>Run: {@code raw-eth/tcp-netsim.sh} (or this class's main with the test class path);
 * {@code -Dnetsim.bytes=} (default 1 MiB per cell), {@code -Dnetsim.seed=}.
 */
public final class TcpNetsim {
    static final int[] BUFFERS = {4 << 10, 16 << 10, 64 << 10, 256 << 10};
    static final double[] LOSSES = {0, 0.01, 0.05, 0.10, 0.30};

    private TcpNetsim() {
    }

    /** One cell: virtual nanoseconds the transfer took, or -1 when it did not complete intact. */
    record Cell(long virtualNanos, long retransmitted, long wallNanos) {}

    static Cell run(int buffer, double loss, int bytes, long seed) {
        ManualClock clock = new ManualClock(5_000_000_000L);
        long wall = System.nanoTime();
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             FaultInjector pa = FaultInjector.wrap(pair.a(), faults(loss, seed, clock));
             FaultInjector pb = FaultInjector.wrap(pair.b(), faults(loss, seed + 1, clock))) {
            Interface a = TcpTransferTest.iface(pa, IP_A, clock);
            Interface b = TcpTransferTest.iface(pb, IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(seed)).withRtoMin(200_000_000L);
            TcpSocket server = b.sockets().add(new TcpSocket(config, buffer, buffer)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, buffer, buffer)).connect(40_000, IP_B, 80);
            byte[] up = TcpTransferTest.random(bytes, seed * 3);
            TcpTransferTest.End c = new TcpTransferTest.End(client, up, 0);
            TcpTransferTest.End s = new TcpTransferTest.End(server, new byte[0], bytes);
            long start = clock.nanos();
            for (long i = 0; !(c.done() && s.done()); i++) {
                if (i > 500_000_000L) return new Cell(-1, 0, System.nanoTime() - wall);
                long now = clock.nanos();
                boolean moved = a.poll(now) | b.poll(now);
                moved |= c.step() | s.step();
                if (moved) {
                    clock.advance(1_000);
                } else {
                    // the interfaces' timers do not know the frames the injectors hold back
                    long due = Math.min(pa.nextDue(), pb.nextDue());
                    long next = Math.min(due == Long.MAX_VALUE ? Long.MAX_VALUE : due - now,
                            Math.min(a.pollDelay(now), b.pollDelay(now)));
                    if (next == Long.MAX_VALUE) {
                        return new Cell(-1, 0, System.nanoTime() - wall); // idle for good
                    }
                    clock.advance(Math.max(next, 1_000));
                }
            }
            boolean intact = s.got == bytes && Arrays.equals(up, Arrays.copyOf(s.in, bytes))
                    && client.error() == TcpSocket.Error.NONE;
            return new Cell(intact ? clock.nanos() - start : -1, client.segmentsRetransmitted(),
                    System.nanoTime() - wall);
        }
    }

    private static FaultInjector.Settings faults(double loss, long seed, ManualClock clock) {
        return FaultInjector.settings().seed(seed).clock(clock).loss(loss).delay(500_000L, 0)
                .reorder(0.01, 1_000_000L);
    }

    /**
     * Prints the table.
     *
     * @param args none
     */
    public static void main(String[] args) {
        int bytes = Integer.getInteger("netsim.bytes", 1 << 20);
        long seed = Long.getLong("netsim.seed", 1);
        StringBuilder head = new StringBuilder("| buffer \\ loss |");
        StringBuilder rule = new StringBuilder("|---|");
        for (double l : LOSSES) {
            head.append(String.format(Locale.ROOT, " %.0f%% |", l * 100));
            rule.append("---:|");
        }
        System.out.printf(Locale.ROOT, "TCP netsim: %d bytes client to server per cell, one-way delay 500 us,"
                + " 1%% reordered, loss each way; Mbit/s of virtual time (retransmitted segments)%n%n", bytes);
        System.out.println(head);
        System.out.println(rule);
        long wall = 0;
        for (int buffer : BUFFERS) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d KiB |", buffer >> 10));
            for (double loss : LOSSES) {
                Cell cell = run(buffer, loss, bytes, seed);
                wall += cell.wallNanos();
                row.append(cell.virtualNanos() < 0 ? " failed |" : String.format(Locale.ROOT, " %.3g (%d) |",
                        bytes * 8e3 / cell.virtualNanos(), cell.retransmitted()));
            }
            System.out.println(row);
        }
        System.out.printf(Locale.ROOT, "%nwall time %.1f s%n", wall / 1e9);
    }
}
