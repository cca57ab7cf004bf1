package io.jverbs.perftest.cli;

import io.jverbs.perftest.AtomicType;
import io.jverbs.perftest.BufferMemory;
import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.TestParameters;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import java.util.Set;

/**
 * perftest's rules for the raw Ethernet tests ({@code force_dependecies} and the raw flag parsing
 * in perftest_parameters.c), plus jperf's {@code --port}: a side is chosen, {@code -B} is given,
 * {@code -E} too unless a bandwidth server, ports come in pairs and need both IPs, {@code --tcp}
 * needs ports, no {@code -a}. Sizes are clamped to the port's MTU by the engine, as perftest does
 * once it knows the device.
 */
final class RawResolver {
    /** The back ends {@code --port} names (others may be registered, but the CLI offers these). */
    static final Set<String> SCHEMES = Set.of("verbs", "dpdk", "afpacket", "tap");
    static final int DEFAULT_IDLE_SECONDS = 2;

    private RawResolver() {
    }

    static TestParameters resolve(TestCommand c) throws UsageException {
        Options.Common o = c.common;
        Options.Raw x = c.raw;
        boolean isBw = c.measure == Measure.BW;
        if (x.server == x.client) {
            throw new UsageException(x.server ? "--server and --client are exclusive"
                    : "choose this side's role: --server or --client (raw tests have no out-of-band exchange)");
        }
        PortSpec port = port(x.port, o.ibDev, o.ibPort);
        if (c.size.all) {
            throw new UsageException("raw Ethernet tests do not support -a (one frame size per run)");
        }
        int size = isBw ? 65536 : 2;
        if (c.size.size != null) {
            size = Resolver.parseSize(c.size.size);
        }
        MacAddress own = mac("-B", x.sourceMac);
        if (own == null) {
            throw new UsageException("-B (this side's MAC, XX:XX:XX:XX:XX:XX) is required");
        }
        MacAddress peer = mac("-E", x.destMac);
        if (peer == null && (!isBw || !x.server)) {
            throw new UsageException("-E (the peer's MAC, XX:XX:XX:XX:XX:XX) is required"
                    + (isBw ? " on the client" : ""));
        }
        Ipv4Address serverIp = ip("-J", x.serverIp);
        Ipv4Address clientIp = ip("-j", x.clientIp);
        int serverPort = udpPort("-K", x.serverPort);
        int clientPort = udpPort("-k", x.clientPort);
        if ((serverPort < 0) != (clientPort < 0)) {
            throw new UsageException("UDP/TCP headers need both ports: -K (server) and -k (client)");
        }
        if (serverPort >= 0 && (serverIp == null || clientIp == null)) {
            throw new UsageException("-K/-k need both IP addresses: -J (server) and -j (client)");
        }
        if (x.tcp && serverPort < 0) {
            throw new UsageException("--tcp needs the IP addresses and ports: -J -j -K -k");
        }
        int etherType = -1;
        if (x.ethertype != null) {
            etherType = etherType(x.ethertype);
        }
        int ttl = Resolver.range("-L", x.ttl, 64, 0, 255);
        int idle = Resolver.range("--idle-timeout", x.idleTimeout, DEFAULT_IDLE_SECONDS, 1, 3600);

        int duration = o.duration == null ? 0 : Resolver.range("-D", o.duration, 0, 1, Integer.MAX_VALUE);
        int margin = 0;
        if (duration > 0) {
            margin = o.margin == null ? duration / 4 : Resolver.range("-f", o.margin, 0, 0, Integer.MAX_VALUE);
            if (!(duration > 2 * margin)) {
                throw new UsageException("-D " + duration + " must be greater than twice the margin -f " + margin);
            }
        } else if (o.margin != null) {
            Resolver.range("-f", o.margin, 0, 0, Integer.MAX_VALUE);
        }
        long iters = o.iters != null ? o.iters : 1000;
        if (o.iters != null && (o.iters < Resolver.MIN_ITERS || o.iters > 0xFFFF_FFFFL)) {
            throw new UsageException("-n must be between " + Resolver.MIN_ITERS + " and 4294967295, not " + o.iters);
        }
        if (duration == 0 && iters > Integer.MAX_VALUE - 8) {
            throw new UsageException("-n " + iters + " is more than jperf's raw tests time (2^31 frames): use -D");
        }

        int tx = 1;
        int cqMod = 1;
        int postList = 1;
        boolean noPeak = false;
        if (c.bw != null) {
            if (c.bw.qps != null && c.bw.qps != 1) {
                throw new UsageException("-q " + c.bw.qps + ": jperf's raw tests use one packet port queue (-q 1)");
            }
            if (c.bw.bidirectional) {
                throw new UsageException("-b (duplex) is not supported by jperf's raw_ethernet_bw yet: run a second"
                        + " pair of server and client in the other direction");
            }
            if (c.bw.runInfinitely) {
                throw new UsageException("--run_infinitely is not supported by jperf's raw_ethernet_bw yet: use -D");
            }
            if (c.bw.reportBoth) {
                throw new UsageException("--report-both needs -b");
            }
            tx = Resolver.range("-t", c.bw.txDepth, 128, 1, 15000);
            cqMod = Resolver.range("-Q", c.bw.cqMod, 100, 1, 1024);
            postList = Resolver.range("-l", c.bw.postList, 1, 1, 16384);
            if (duration == 0) {
                tx = (int) Math.min(tx, iters);
            }
            cqMod = Math.min(cqMod, tx);
            // perftest: a send_bw server does not time single messages, so it has no peak.
            noPeak = c.bw.noPeak || x.server;
        }
        int rx = (int) (duration == 0 ? Math.min(512, iters) : 512);
        RawEthernet raw = new RawEthernet(port, x.server, own, peer, serverIp, clientIp, serverPort, clientPort,
                etherType, x.tcp, ttl, idle);
        return new TestParameters(c.kind, c.measure, null, 0, port.scheme().equals("verbs") ? port.argument().split(",")[0] : null,
                o.ibPort == null ? 1 : o.ibPort, size, false, duration > 0 ? 0 : iters, duration, margin, 1, tx, rx,
                0, cqMod, postList, Connection.RAW_ETH, false, -1, false, false, false, noPeak, false, 0,
                AtomicType.FETCH_AND_ADD, o.cpuFreq, 14, 0, -1, 0, false, false, Resolver.reporting(c, duration), raw, BufferMemory.HOST);
    }

    /** {@code --port}, or {@code -d DEV} (perftest's way to name the device) as {@code verbs:DEV}. */
    private static PortSpec port(String text, String ibDev, Integer ibPort) throws UsageException {
        if (text != null && ibDev != null) {
            throw new UsageException("give --port or -d, not both (-d " + ibDev + " means --port verbs:" + ibDev + ")");
        }
        if (text == null && ibDev == null) {
            throw new UsageException("raw tests need a packet port: --port afpacket:<iface>, tap:<name>,"
                    + " dpdk:<EAL args> or verbs:<dev> (or -d <dev>)");
        }
        PortSpec spec;
        try {
            spec = text != null ? PortSpec.parse(text) : new PortSpec("verbs", ibDev);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--port: " + e.getMessage());
        }
        if (!SCHEMES.contains(spec.scheme())) {
            throw new UsageException("--port " + text + ": unknown back end '" + spec.scheme()
                    + "' (verbs, dpdk, afpacket or tap)");
        }
        if (ibPort != null) {
            if (!spec.scheme().equals("verbs")) {
                throw new UsageException("-i (device port) applies to verbs ports only, not " + spec.scheme());
            }
            if (spec.argument().contains(",port=")) {
                throw new UsageException("give -i or --port " + spec + ", not both");
            }
            spec = new PortSpec("verbs", spec.argument() + ",port=" + ibPort);
        }
        try {
            // The back end's own syntax (dpdk's words and options, verbs' device and options).
            PortOpeners.check(spec);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--port: " + e.getMessage());
        }
        return spec;
    }

    private static MacAddress mac(String flag, String text) throws UsageException {
        if (text == null) {
            return null;
        }
        try {
            return MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + " must be a MAC address XX:XX:XX:XX:XX:XX, not '" + text + "'");
        }
    }

    private static Ipv4Address ip(String flag, String text) throws UsageException {
        if (text == null) {
            return null;
        }
        try {
            return Ipv4Address.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + " must be an IPv4 address X.X.X.X, not '" + text + "'");
        }
    }

    /** perftest's {@code check_if_valid_udp_port}: 1 to 65535. */
    private static int udpPort(String flag, Integer value) throws UsageException {
        return value == null ? -1 : Resolver.range(flag, value, -1, 1, 65535);
    }

    /** {@code -Y 0xXXXX} (hex, the {@code 0x} optional), 1 to 0xffff. */
    static int etherType(String text) throws UsageException {
        String t = text.trim();
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        try {
            int v = Integer.parseInt(t, 16);
            if (v >= 1 && v <= 0xffff && !t.isEmpty() && t.length() <= 4) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("-Y must be an EtherType 0x0001 to 0xFFFF, not '" + text + "'");
    }
}
