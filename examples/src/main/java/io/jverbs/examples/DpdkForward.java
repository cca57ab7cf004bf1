package io.jverbs.examples;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EalOptions;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.Mbuf;
import io.jverbs.dpdk.MbufArray;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.dpdk.PortConfig;
import io.jverbs.dpdk.PortStats;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An l2fwd/echo program in the manner of {@code dpdk-testpmd}'s forwarding modes: ports pair up
 * in the order EAL probed them (0 with 1, 2 with 3, …) and each port's frames leave through its
 * partner; a port without a partner sends its frames back out of itself, which makes one port an
 * echo. {@code --forward-mode} says what happens to a frame on the way:
 * <ul>
 * <li>{@code io}: nothing;</li>
 * <li>{@code macswap} (the default): source and destination MAC swapped, as testpmd's macswap;</li>
 * <li>{@code 5tswap}: MACs, IPv4/IPv6 addresses and TCP/UDP ports swapped, as testpmd's 5tswap, so
 *     a kernel peer behind a tap gets its own UDP datagrams (and ping replies) back. Checksums stay
 *     valid: swapping fields changes no one's-complement sum.</li>
 * </ul>
 *
 * <pre>
 * examples/run.sh DpdkForward [EAL options] -- [--forward-mode io|macswap|5tswap] [--burst N] [--stats SECONDS]
 * examples/run.sh DpdkForward -l 0 --no-huge -m 256 --no-pci --vdev net_tap0,iface=dtap0 -- --forward-mode 5tswap
 * </pre>
 *
 * <p>One Java thread forwards for every port (registered with EAL, so its mbuf frees use the
 * pool's per-lcore cache); it busy-polls as DPDK programs do. Port statistics print every
 * {@code --stats} seconds. Ctrl-C (SIGINT or SIGTERM) runs the shutdown hook: the loop stops and
 * frees what it holds, the final statistics print, then the ports close and EAL cleans up.
 */
public final class DpdkForward {
    static final String USAGE = """
            Usage: DpdkForward [EAL options] -- [options]

            EAL options go to rte_eal_init as they are, e.g.
              -l 0 --no-huge -m 256 --no-pci --vdev net_tap0,iface=dtap0
            Ports pair up in probe order (0<->1, 2<->3, ...); an unpaired port echoes to itself.

            Options:
              --forward-mode MODE   io, macswap (default) or 5tswap (MACs, IPs and L4 ports swapped)
              --burst N             frames per rx/tx burst, 1..512 (default 32)
              --stats SECONDS       port statistics period, 0 for none (default 1)
              --help                this text
            """;

    /** What happens to a frame between rx and tx. */
    enum Mode {
        IO("io"), MACSWAP("macswap"), FIVE_TUPLE_SWAP("5tswap");

        final String flag;

        Mode(String flag) {
            this.flag = flag;
        }

        static Mode of(String flag) {
            for (Mode m : values()) {
                if (m.flag.equals(flag)) return m;
            }
            throw new IllegalArgumentException("unknown --forward-mode '" + flag + "': io, macswap or 5tswap");
        }
    }

    /** The command line: EAL's arguments before {@code --}, ours after it. */
    record Options(List<String> ealArgs, Mode mode, int burst, int statsSeconds) {}

    /** Frames are rewritten in place by address, without a segment per mbuf (run.sh grants native access). */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int ETHER_HDR = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;

    private volatile boolean running = true;
    /** Down when the forwarding thread let go of its mbufs (or never started): the hook may close EAL. */
    private final CountDownLatch loopDone = new CountDownLatch(1);
    /** Set before forwarding starts; read by the statistics and shutdown threads. */
    private volatile EthPort[] ports;
    private volatile long[] txDropped;

    private DpdkForward() {}

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("DpdkForward: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(PingPong.EXIT_USAGE);
            return;
        }
        if (o == null) {
            System.out.print(USAGE);
            return;
        }
        try {
            new DpdkForward().run(o, System.out);
        } catch (RuntimeException e) {
            System.err.println("DpdkForward: " + e.getMessage());
            System.exit(PingPong.EXIT_FAILURE); // the shutdown hook, once installed, closes ports and EAL
        }
    }

    /** Parses the command line; null for {@code --help}. */
    static Options parse(String[] args) {
        int dashes = Arrays.asList(args).indexOf("--");
        List<String> eal = List.of(Arrays.copyOfRange(args, 0, dashes < 0 ? args.length : dashes));
        if (eal.contains("--help") || eal.contains("-h")) return null;
        Mode mode = Mode.MACSWAP;
        int burst = 32;
        int stats = 1;
        for (int i = dashes < 0 ? args.length : dashes + 1; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--forward-mode" -> mode = Mode.of(value != null ? value : next(args, ++i, a));
                case "--burst" -> burst = number(a, value != null ? value : next(args, ++i, a), 1, 512);
                case "--stats" -> stats = number(a, value != null ? value : next(args, ++i, a), 0, 3600);
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        return new Options(eal, mode, burst, stats);
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int number(String option, String text, int min, int max) {
        try {
            int v = Integer.parseInt(text);
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be a number in " + min + ".." + max + ", got '" + text + "'");
    }

    private void run(Options o, PrintStream out) {
        Eal eal = Eal.init(EalOptions.builder().arg(o.ealArgs().toArray(String[]::new)).build());
        Thread hook = new Thread(() -> shutdown(eal, out), "dpdk-forward-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        Thread stats = null;
        try {
            int[] ids = eal.portIds();
            if (ids.length == 0) {
                throw new IllegalArgumentException("EAL probed no ports: give a --vdev (e.g. --vdev net_tap0,iface=dtap0)"
                        + " or bind a NIC; EAL arguments were: " + String.join(" ", o.ealArgs()));
            }
            EthPort[] ports = new EthPort[ids.length];
            for (int i = 0; i < ids.length; i++) ports[i] = EthPort.of(eal, ids[i]);
            // Enough for every rx and tx ring, one burst in flight and the per-lcore caches (2^n - 1, as mempools like).
            int need = ports.length * (2 * 1024 + o.burst()) + 2 * MbufPool.MAX_CACHE_SIZE;
            int count = Math.max(8191, Integer.highestOneBit(need) * 2 - 1);
            MbufPool pool = MbufPool.create(eal, "fwd_pool", count);
            for (EthPort p : ports) {
                p.configure(PortConfig.simple(pool));
                p.start();
                try {
                    p.promiscuous(true);
                } catch (RuntimeException e) {
                    out.println("note: " + p.name() + " stays in its MAC filter mode: " + e.getMessage());
                }
            }
            int[] peer = new int[ports.length];
            for (int i = 0; i < ports.length; i++) {
                peer[i] = (i ^ 1) < ports.length ? i ^ 1 : i;
                out.printf("port %d (%s, %s) -> port %d (%s)%n", ports[i].id(), ports[i].name(), ports[i].macAddress(),
                        ports[peer[i]].id(), ports[peer[i]].name());
            }
            long[] txDropped = new long[ports.length];
            this.ports = ports;
            this.txDropped = txDropped;
            if (o.statsSeconds() > 0) {
                stats = Thread.ofPlatform().daemon(true).name("dpdk-forward-stats").start(() -> {
                    try {
                        while (!loopDone.await(o.statsSeconds(), TimeUnit.SECONDS)) {
                            report(out, "stats");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            out.printf("forwarding: mode %s, burst %d, %d port(s); Ctrl-C to stop%n", o.mode().flag, o.burst(), ports.length);
            out.flush();
            forward(eal, ports, peer, txDropped, o.mode(), o.burst());
        } finally {
            loopDone.countDown();
            if (stats != null) stats.interrupt();
        }
    }

    /** The fast path: rx burst, rewrite, tx burst to the partner, free what the driver refused. Allocates nothing. */
    private void forward(Eal eal, EthPort[] ports, int[] peer, long[] txDropped, Mode mode, int burstSize) {
        eal.registerThread();
        MbufArray burst = new MbufArray(eal, burstSize);
        try {
            while (running) {
                boolean idle = true;
                for (int i = 0; i < ports.length; i++) {
                    int n = ports[i].rxBurst(0, burst);
                    if (n == 0) continue;
                    idle = false;
                    if (mode != Mode.IO) {
                        for (int k = 0; k < n; k++) {
                            Mbuf m = burst.get(k);
                            rewrite(m.dataAddress(), m.dataLength(), mode);
                        }
                    }
                    int sent = ports[peer[i]].txBurst(0, burst, 0, n);
                    if (sent < n) {
                        burst.free(sent, n - sent);
                        txDropped[i] += n - sent;
                    }
                }
                if (idle) Thread.onSpinWait();
            }
        } finally {
            burst.close();
            eal.unregisterThread();
        }
    }

    /** Swaps the MACs and, for {@link Mode#FIVE_TUPLE_SWAP}, the IP addresses and TCP/UDP ports of the frame at {@code a}. */
    static void rewrite(long a, int length, Mode mode) {
        if (length < ETHER_HDR) return;
        swap6(a, a + 6);
        if (mode != Mode.FIVE_TUPLE_SWAP) return;
        int l3 = ETHER_HDR;
        int type = Short.toUnsignedInt(Short.reverseBytes(ALL.get(SHORT, a + 12)));
        if (type == ETHERTYPE_VLAN && length >= l3 + 4) {
            type = Short.toUnsignedInt(Short.reverseBytes(ALL.get(SHORT, a + 16)));
            l3 += 4;
        }
        int proto;
        int l4;
        if (type == ETHERTYPE_IPV4 && length >= l3 + 20) {
            int ihl = (ALL.get(ValueLayout.JAVA_BYTE, a + l3) & 0x0F) * 4;
            swap(a + l3 + 12, a + l3 + 16, INT);
            proto = ALL.get(ValueLayout.JAVA_BYTE, a + l3 + 9);
            l4 = l3 + ihl;
        } else if (type == ETHERTYPE_IPV6 && length >= l3 + 40) {
            swap(a + l3 + 8, a + l3 + 24, LONG);
            swap(a + l3 + 16, a + l3 + 32, LONG);
            proto = ALL.get(ValueLayout.JAVA_BYTE, a + l3 + 6); // without extension headers, as testpmd
            l4 = l3 + 40;
        } else {
            return;
        }
        if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && length >= l4 + 4) {
            swap(a + l4, a + l4 + 2, SHORT);
        }
    }

    private static void swap6(long x, long y) {
        int x0 = ALL.get(INT, x);
        short x1 = ALL.get(SHORT, x + 4);
        ALL.set(INT, x, ALL.get(INT, y));
        ALL.set(SHORT, x + 4, ALL.get(SHORT, y + 4));
        ALL.set(INT, y, x0);
        ALL.set(SHORT, y + 4, x1);
    }

    private static void swap(long x, long y, ValueLayout.OfInt l) {
        int t = ALL.get(l, x);
        ALL.set(l, x, ALL.get(l, y));
        ALL.set(l, y, t);
    }

    private static void swap(long x, long y, ValueLayout.OfShort l) {
        short t = ALL.get(l, x);
        ALL.set(l, x, ALL.get(l, y));
        ALL.set(l, y, t);
    }

    private static void swap(long x, long y, ValueLayout.OfLong l) {
        long t = ALL.get(l, x);
        ALL.set(l, x, ALL.get(l, y));
        ALL.set(l, y, t);
    }

    /** One line per port: its counters since start ({@code rte_eth_stats_get}) and the frames the tx ring refused. */
    private void report(PrintStream out, String label) {
        EthPort[] ps = ports;
        long[] dropped = txDropped;
        if (ps == null) return;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ps.length; i++) {
            PortStats s = ps[i].stats();
            long drops = s.rxMissed() + s.rxNoMbuf() + s.rxErrors() + s.txErrors() + dropped[i];
            b.append(String.format("%s port %d (%s): rx %d pkts %d B, tx %d pkts %d B, drops %d"
                            + " (rx missed %d, rx no mbuf %d, rx errors %d, tx errors %d, tx ring full %d)%n",
                    label, ps[i].id(), ps[i].name(), s.rxPackets(), s.rxBytes(), s.txPackets(), s.txBytes(), drops,
                    s.rxMissed(), s.rxNoMbuf(), s.rxErrors(), s.txErrors(), dropped[i]));
        }
        out.print(b);
        out.flush();
    }

    /** The shutdown hook: stop the loop, print the final counters, close the ports and EAL. */
    private void shutdown(Eal eal, PrintStream out) {
        running = false;
        try {
            if (!loopDone.await(10, TimeUnit.SECONDS)) {
                out.println("the forwarding loop did not stop in 10 s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            report(out, "final");
        } catch (RuntimeException e) {
            out.println("final statistics unavailable: " + e.getMessage());
        }
        eal.close(); // stops and closes every port, frees the pool, rte_eal_cleanup
        out.println("ports closed, EAL cleaned up");
        out.flush();
    }
}
