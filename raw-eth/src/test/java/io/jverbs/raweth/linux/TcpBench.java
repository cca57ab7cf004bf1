package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.socket.TcpConfig;
import io.jverbs.raweth.socket.TcpSocket;
import io.jverbs.raweth.wire.Ipv4Address;

import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;

/**
 * Our side of {@code raw-eth/bench-tcp-vs-kernel.sh} (a benchmark, not a test): one TCP connection
 * of our stack, busy-polled on this thread, over the port that PORT names: an interface name is
 * an {@link AfPacketPort} with V2 rings and TSO (the kernel's TCP hands the interface 64 KB GSO
 * packets too, docs/tcp.md §8), anything with a colon a port spec ({@code verbs:mlx5_0},
 * {@code dpdk:<EAL args>}, docs/raw-eth.md), opened with hints of the connection's addresses and
 * ports (a verbs RAW_PACKET QP steers by them).
 * <pre>
 *   TcpBench source PORT ADDR/PREFIX PEER PEERPORT BYTES    send BYTES, close, wait for the peer's close
 *   TcpBench sink PORT ADDR/PREFIX LPORT                   accept one, read to EOF; prints "bytes seconds MB/s"
 *   TcpBench pingpong PORT ADDR/PREFIX PEER PEERPORT SIZE ITERS round trips after ITERS/10 of warm-up;
 *                                                         prints "median p99" in microseconds
 * </pre>
 * Buffers: 4 MiB each way, the top of Linux's default tcp_wmem ({@code -Dbench.buffer=}).
 */
public final class TcpBench {
    private TcpBench() {
    }

    /**
     * Runs one mode.
     *
     * @param args the mode and its arguments, as above
     */
    public static void main(String[] args) {
        if (args.length < 4) usage();
        String[] cidr = args[2].split("/");
        int buffer = Integer.getInteger("bench.buffer", 4 << 20);
        Ipv4Address local = Ipv4Address.parse(cidr[0]);
        boolean listens = args[0].equals("sink");
        Ipv4Address peer = listens ? null : Ipv4Address.parse(args[3]);
        // a bare interface name is AF_PACKET with V2 rings and TSO; a spec names any back end (docs/raw-eth.md)
        PortSpec spec = PortSpec.parse(args[1].contains(":") ? args[1] : "afpacket:" + args[1] + ",ring=v2,tso");
        PortHints hints = new PortHints(null, local, peer, listens ? Integer.parseInt(args[3]) : -1,
                listens ? -1 : Integer.parseInt(args[4]), true, true);
        try (PacketPort port = PortOpeners.open(spec, hints)) {
            Interface iface = new Interface(port, InterfaceConfig.builder(local, Integer.parseInt(cidr[1])).build(),
                    NanoClock.system());
            TcpConfig config = TcpConfig.defaults(new SecureRandom()).withRtoMin(200_000_000L);
            TcpSocket s = iface.sockets().add(new TcpSocket(config, buffer, buffer));
            MemorySegment buf = MemorySegment.ofArray(new byte[1 << 16]);
            switch (args[0]) {
                case "source" -> {
                    if (args.length != 6) usage();
                    s.connect(40_000 + (int) (System.nanoTime() & 0x3fff), Ipv4Address.parse(args[3]).value(),
                            Integer.parseInt(args[4]));
                    long left = Long.parseLong(args[5]);
                    boolean closed = false;
                    while (!(s.peerClosed() && (s.state() == TcpSocket.State.TIME_WAIT
                            || s.state() == TcpSocket.State.CLOSED))) {
                        iface.poll();
                        if (left > 0 && s.canSend()) {
                            left -= s.send(buf.asSlice(0, Math.min(left, buf.byteSize())));
                        }
                        if (left == 0 && !closed && s.state() == TcpSocket.State.ESTABLISHED) {
                            s.close();
                            closed = true;
                        }
                        while (s.receive(buf) > 0) {
                            // the peer sends nothing; read to see its FIN
                        }
                        failIfReset(s);
                    }
                }
                case "sink" -> {
                    if (args.length != 4) usage();
                    s.listen(Integer.parseInt(args[3]));
                    long n = 0;
                    long first = 0;
                    while (true) {
                        iface.poll();
                        int k = s.receive(buf);
                        if (k > 0) {
                            if (n == 0) first = System.nanoTime();
                            n += k;
                        } else if (k < 0) {
                            break;
                        }
                        failIfReset(s);
                    }
                    double secs = (System.nanoTime() - first) / 1e9;
                    s.close();
                    long end = System.nanoTime() + 2_000_000_000L;
                    while (s.state() != TcpSocket.State.CLOSED && System.nanoTime() < end) iface.poll();
                    System.out.printf(Locale.ROOT, "%d %.6f %.1f%n", n, secs, n / secs / 1e6);
                }
                case "pingpong" -> {
                    if (args.length != 7) usage();
                    s.connect(40_000 + (int) (System.nanoTime() & 0x3fff), Ipv4Address.parse(args[3]).value(),
                            Integer.parseInt(args[4]));
                    int size = Integer.parseInt(args[5]);
                    int iters = Integer.parseInt(args[6]);
                    double[] rtt = new double[iters];
                    while (s.state() != TcpSocket.State.ESTABLISHED) {
                        iface.poll();
                        failIfReset(s);
                    }
                    MemorySegment msg = buf.asSlice(0, size);
                    for (int i = -iters / 10; i < iters; i++) { // the first tenth warms up (JIT)
                        long t0 = System.nanoTime();
                        if (s.send(msg) != size) throw new IllegalStateException("send buffer full");
                        int got = 0;
                        while (got < size) {
                            iface.poll();
                            int k = s.receive(buf.asSlice(got, size - got));
                            if (k < 0) throw new IllegalStateException("the peer closed after " + i + " round trips");
                            got += k;
                            failIfReset(s);
                        }
                        if (i >= 0) rtt[i] = (System.nanoTime() - t0) / 1e3;
                    }
                    Arrays.sort(rtt);
                    System.out.printf(Locale.ROOT, "%.2f %.2f%n", rtt[iters / 2], rtt[(int) (iters * 0.99)]);
                    s.close();
                    long end = System.nanoTime() + 2_000_000_000L;
                    while (s.state() != TcpSocket.State.TIME_WAIT && s.state() != TcpSocket.State.CLOSED
                            && System.nanoTime() < end) {
                        iface.poll();
                        s.receive(buf);
                    }
                }
                default -> usage();
            }
        }
    }

    private static void failIfReset(TcpSocket s) {
        if (s.state() == TcpSocket.State.CLOSED && s.error() != TcpSocket.Error.NONE) {
            throw new IllegalStateException("connection ended: " + s.error());
        }
    }

    private static void usage() {
        System.err.println("usage: TcpBench source PORT ADDR/PREFIX PEER PEERPORT BYTES | sink PORT ADDR/PREFIX LPORT"
                + " | pingpong PORT ADDR/PREFIX PEER PEERPORT SIZE ITERS   (PORT: an interface for AF_PACKET, or a spec)");
        System.exit(2);
    }
}
