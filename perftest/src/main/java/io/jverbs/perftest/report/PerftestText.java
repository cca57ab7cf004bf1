package io.jverbs.perftest.report;

import static io.jverbs.perftest.report.CFormat.f;
import static io.jverbs.perftest.report.CFormat.hex;

import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.ReportStyle;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.TestParameters;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.UdpPacket;
import java.lang.foreign.MemorySegment;

/**
 * perftest's text output, character for character: each method returns what the C program prints
 * at that point (with its trailing newline). Formats are quoted from perftest's
 * {@code perftest_parameters.h} and {@code perftest_communication.h}; {@link ReportStyle} selects
 * upstream 6.29 or Debian's 6.06 where they differ.
 */
public final class PerftestText {
    /** {@code RESULT_LINE}: 87 dashes. */
    public static final String RESULT_LINE = "-".repeat(87) + "\n";

    private final TestParameters p;
    private final ReportStyle style;

    /** Text for one run's parameters. */
    public PerftestText(TestParameters parameters) {
        this.p = parameters;
        this.style = parameters.reporting().style();
    }

    /** The server's banner before it accepts the client. */
    public static String serverBanner() {
        String stars = "*".repeat(36);
        return "\n" + stars + "\n* Waiting for client to connect... *\n" + stars + "\n";
    }

    /** The centred test title, e.g. {@code RDMA_Write BW Test} ({@code ctx_print_test_info}). */
    public String title() {
        StringBuilder s = new StringBuilder(p.kind().perftestName()).append(' ');
        if (p.kind() == TestKind.ATOMIC) {
            s.append(p.atomicType().name()).append(' ');
        }
        if (p.measure() == Measure.BW) {
            if (p.bidirectional()) {
                s.append("Bidirectional ");
            }
            if (p.postList() > 1) {
                s.append("Post List ");
            }
            s.append("BW ");
        } else {
            s.append("Latency ");
        }
        return s.append("Test").toString();
    }

    /** The header block between two {@link #RESULT_LINE}s ({@code ctx_print_test_info}). */
    public String header(HeaderFacts facts) {
        boolean server = p.isServer();
        // perftest runs raw_ethernet_lat as duplex: both sides send and receive.
        boolean duplex = p.bidirectional() || p.raw() != null && p.measure() == Measure.LAT;
        StringBuilder s = new StringBuilder(RESULT_LINE);
        s.append(" ".repeat(20)).append(title()).append('\n');
        if (p.events()) {
            s.append(f(" Test with events. Using %s_comp%d\n", facts.device(), 0));
        }
        s.append(f(" Dual-port       : %s\t\tDevice         : %s\n", "OFF", facts.device()));
        s.append(f(" Number of qps   : %d\t\tTransport type : %s\n", p.qpsPerSide(), facts.transport()));
        s.append(f(" Connection type : %s\t\tUsing SRQ      : %s\n", p.connection().perftestName(), onOff(p.useSrq())));
        if (style == ReportStyle.UPSTREAM) {
            s.append(f(" PCIe relax order: %s\t\tLock-free      : %s\n", onOff(facts.relaxedOrdering()), "OFF"));
            s.append(f(" ibv_wr* API     : %s\t\tUsing Enhanced Reorder      : %s\n", onOff(facts.wrApi()), "OFF"));
        } else {
            s.append(f(" PCIe relax order: %s\n", onOff(facts.relaxedOrdering())));
            s.append(f(" ibv_wr* API     : %s\n", onOff(facts.wrApi())));
        }
        if (!server || duplex) {
            s.append(f(" TX depth        : %d\n", p.txDepth()));
        }
        if (p.postList() > 1) {
            s.append(f(" Post List       : %d\n", p.postList()));
        }
        if (p.kind().hasReceiveCompletions() && (server || duplex)) {
            s.append(f(" RX depth        : %d\n", p.rxDepth()));
        }
        if (p.measure() == Measure.BW) {
            s.append(f(" CQ Moderation   : %d\n", p.cqModeration()));
            if (style == ReportStyle.UPSTREAM) {
                s.append(facts.cqePollBatch() == 0 ? " CQE Poll Batch  : Dynamic\n"
                        : f(" CQE Poll Batch  : %d\n", facts.cqePollBatch()));
            }
        }
        s.append(f(" Mtu             : %d[B]\n", facts.mtuBytes()));
        s.append(f(" Link type       : %s\n", facts.linkLayer()));
        if (facts.gidIndex() >= 0) {
            s.append(f(" GID index       : %d\n", facts.gidIndex()));
        }
        if (p.kind() != TestKind.READ && p.kind() != TestKind.ATOMIC) {
            s.append(f(" Max inline data : %d[B]\n", facts.inlineSize()));
        } else {
            s.append(f(" Outstand reads  : %d\n", facts.outReads()));
        }
        s.append(f(" rdma_cm QPs\t : %s\n", onOff(p.rdmaCm())));
        s.append(f(" Data ex. method : %s", p.rdmaCm() || p.commRdmaCm() ? "rdma_cm" : "Ethernet"));
        if (p.rdmaCm()) {
            if (p.tos() >= 0) {
                s.append(f(" \tTOS    : %d", p.tos()));
            }
            if (server) {
                s.append('\n').append(RESULT_LINE).append(" Waiting for client rdma_cm QP to connect\n")
                        .append(" Please run the same command with the IB/RoCE interface IP");
            }
        }
        return s.append('\n').append(RESULT_LINE).toString();
    }

    /**
     * One address line, plus the GID line when the endpoint has a GID ({@code ctx_print_pingpong_data}):
     * LID, QPN and PSN always, OUT for read, RKey and VAddr for read and write, SRQn for XRC and DC.
     * C's {@code %#04x} prints a zero LID as {@code 0000}.
     */
    public String address(Endpoint e, boolean local) {
        StringBuilder s = new StringBuilder(f(" %s address: LID %s QPN %s PSN %s", local ? "local" : "remote",
                hex(e.lid(), 4), hex(e.qpn(), 6), hex(e.psn(), 6)));
        if (p.kind() == TestKind.READ) {
            s.append(" OUT ").append(hex(e.outReads(), 4));
        }
        if (p.kind() == TestKind.READ || p.kind() == TestKind.WRITE) {
            s.append(" RKey ").append(hex(Integer.toUnsignedLong(e.rkey()), 8))
                    .append(" VAddr ").append(hex(e.vaddr(), 16));
        }
        if (p.connection() == Connection.XRC || p.connection() == Connection.DC) {
            s.append(" SRQn ").append(hex(Integer.toUnsignedLong(e.srqn()), 8));
        }
        s.append('\n');
        byte[] gid = e.gid();
        if (gid != null) {
            s.append(" GID: ");
            for (int i = 0; i < 16; i++) {
                s.append(f("%02d", gid[i] & 0xff)).append(i < 15 ? ":" : "\n");
            }
        }
        return s.toString();
    }

    /** The BW table's header: a result line and the column names in the report's unit. */
    public String bwTableHeader() {
        String u = p.reporting().bwUnit();
        return RESULT_LINE + " #bytes     #iterations    BW peak[" + u + "]    BW average[" + u
                + "]   MsgRate[Mpps]\n";
    }

    /**
     * One BW row ({@code REPORT_FMT}); with {@code --report_gbits} and an average below 0.1 Gb/sec
     * perftest switches to six decimals ({@code REPORT_FMT_EXT}).
     */
    public String bwRow(BwResult r) {
        return switch (p.reporting().output()) {
            case BANDWIDTH -> f("%f\n", r.average());
            case MESSAGE_RATE -> f("%f\n", r.msgRate());
            default -> {
                if (p.reporting().reportGbits() && r.average() < 0.1) {
                    yield f(" %-7d    %d           %-7.6f            %-7.6f            %-7.6f\n", r.size(), r.iterations(),
                            r.peak(), r.average(), r.msgRate());
                }
                String gap = style == ReportStyle.UPSTREAM ? "\t\t     " : "\t\t   ";
                yield f(" %-7d    %-10d       %-7.2f            %-7.2f" + gap + "%-7.6f\n", r.size(), r.iterations(),
                        r.peak(), r.average(), r.msgRate());
            }
        };
    }

    /** The LAT table's header ({@code RESULT_FMT_LAT}, or {@code RESULT_FMT_LAT_DUR} for -D). */
    public String latTableHeader() {
        return p.isDuration() ? RESULT_LINE + " #bytes        #iterations       t_avg[usec]    tps average\n"
                : latTableHeaderIterations();
    }

    /** The LAT table's header of iteration runs ({@code RESULT_FMT_LAT}). */
    public String latTableHeaderIterations() {
        return RESULT_LINE + " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]"
                + "    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec] \n";
    }

    /**
     * One LAT row ({@code REPORT_FMT_LAT}), preceded for {@code -U}/{@code -H} by the samples
     * ({@code "%d, %g"}) and a repeated table header, as perftest prints them.
     *
     * @param unsortedUsec the samples in posting order for {@code -U}, or null
     */
    public String latRow(LatencyStats s, double[] unsortedUsec) {
        if (p.reporting().output() == io.jverbs.perftest.OutputMode.LATENCY) {
            return f("%f\n", s.average());
        }
        StringBuilder out = new StringBuilder();
        String units = p.reporting().reportCycles() ? "cycles" : "usec";
        if (p.reporting().unsorted() && unsortedUsec != null) {
            out.append("#, ").append(units).append('\n');
            for (int i = 0; i < unsortedUsec.length; i++) {
                out.append(i + 1).append(", ").append(CFormat.g(unsortedUsec[i])).append('\n');
            }
        }
        if (p.reporting().histogram() && s.sortedUsec() != null) {
            out.append("#, ").append(units).append('\n');
            double[] sorted = s.sortedUsec();
            for (int i = 0; i < sorted.length; i++) {
                out.append(i + 1).append(", ").append(CFormat.g(sorted[i])).append('\n');
            }
        }
        if (p.reporting().unsorted() || p.reporting().histogram()) {
            out.append(latTableHeaderIterations());
        }
        out.append(f(" %-7d %d          %-7.2f        %-7.2f      %-7.2f  \t       %-7.2f     \t%-7.2f\t\t%-7.2f \t\t%-7.2f\n",
                s.size(), s.iterations(), s.min(), s.max(), s.typical(), s.average(), s.stdev(), s.p99(), s.p999()));
        return out.toString();
    }

    /** The -D LAT row ({@code REPORT_FMT_LAT_DUR}): t_avg and transactions per second. */
    public String latDurationRow(long size, long iterations, double averageUsec, double tps) {
        if (p.reporting().output() == io.jverbs.perftest.OutputMode.LATENCY) {
            return f("%f\n", averageUsec);
        }
        return f(" %-7d       %d            %-7.2f        %-7.2f\n", size, iterations, averageUsec, tps);
    }

    /**
     * The receive-side flow rule as perftest prints it ({@code print_spec}) on a server and on both
     * sides of a latency test: the MAC it matches, then the IPs and ports when both are given. A
     * client's rule has no IPs (perftest fills them on the server only) and the ports seen from the
     * client: source the server's, destination the client's.
     */
    public String rawFlowSpec(RawEthernet raw) {
        StringBuilder s = new StringBuilder("MAC attached  :");
        appendMac(s, raw.ownMac().value());
        s.append('\n');
        if (raw.serverIp() != null && raw.clientIp() != null) {
            s.append("spec_info - dst_ip   : ").append(Ipv4Address.toString(raw.server() ? raw.ownIp() : 0)).append('\n');
            s.append("spec_info - src_ip   : ").append(Ipv4Address.toString(raw.server() ? raw.peerIp() : 0)).append('\n');
        }
        if (raw.hasL4()) {
            s.append(f("spec_info - dst_port : %d\n", raw.server() ? raw.serverPort() : raw.clientPort()));
            s.append(f("spec_info - src_port : %d\n", raw.server() ? raw.clientPort() : raw.serverPort()));
        }
        return s.toString();
    }

    /**
     * The frame a sender builds, as perftest prints it ({@code print_pkt}): the Ethernet table,
     * then the IPv4 and the UDP or TCP tables when the frame has them.
     *
     * @param frame the frame (Ethernet header first), as sent
     */
    public String rawPacket(RawEthernet raw, MemorySegment frame) {
        EthernetFrame eth = new EthernetFrame().wrapOrThrow(frame, 0, (int) frame.byteSize());
        StringBuilder s = new StringBuilder("**raw ethernet header****************************************\n\n");
        s.append("--------------------------------------------------------------\n");
        s.append("| Dest MAC         | Src MAC          | Packet Type          |\n");
        s.append("|------------------------------------------------------------|\n");
        s.append('|');
        appendMac(s, eth.destination());
        s.append('|');
        appendMac(s, eth.source());
        s.append('|');
        String type = eth.etherType() == 0x0800 ? "IPv4" : eth.etherType() == 0x86dd ? "IPv6" : "DEFAULT";
        s.append(f("%-22s|\n", type));
        s.append("|------------------------------------------------------------|\n\n");
        if (!raw.hasIp()) {
            return s.toString();
        }
        Ipv4Packet ip = new Ipv4Packet().wrapOrThrow(frame, EthernetFrame.HEADER_LENGTH,
                (int) frame.byteSize() - EthernetFrame.HEADER_LENGTH);
        s.append("**IP header**************\n");
        s.append("|-----------------------|\n");
        s.append(f("|Version   |%-12d|\n", ip.version()));
        s.append(f("|Ihl       |%-12d|\n", ip.headerLength() / 4));
        s.append(f("|TOS       |%-12d|\n", ip.dscp() << 2 | ip.ecn()));
        s.append(f("|TOT LEN   |%-12d|\n", ip.totalLength()));
        s.append(f("|ID        |%-12d|\n", ip.identification()));
        s.append(f("|Frag      |%-12d|\n", ip.fragmentOffset() / 8));
        s.append(f("|TTL       |%-12d|\n", ip.ttl()));
        s.append(f("|protocol  |%-12s|\n", ip.protocol() == 0 ? "EMPTY" : ip.protocol() == 17 ? "UDP" : "TCP"));
        s.append(f("|Check sum |%-12X|\n", ip.checksum()));
        s.append(f("|Source IP |%-12s|\n", Ipv4Address.toString(ip.source())));
        s.append(f("|Dest IP   |%-12s|\n", Ipv4Address.toString(ip.destination())));
        s.append("|-----------------------|\n\n");
        if (!raw.hasL4()) {
            return s.toString();
        }
        long l4 = EthernetFrame.HEADER_LENGTH + ip.headerLength();
        if (raw.tcp()) {
            TcpPacket tcp = new TcpPacket().wrapOrThrow(frame, l4, ip.payloadLength());
            s.append("**TCP header***********\n");
            s.append("|---------------------|\n");
            s.append(f("|Src  Port |%-10d|\n", tcp.sourcePort()));
            s.append(f("|Dest Port |%-10d|\n", tcp.destinationPort()));
            s.append(f("|offset    |%-10d|\n", tcp.headerLength() / 4));
            s.append(f("|window    |%-10d|\n", tcp.window()));
        } else {
            UdpPacket udp = new UdpPacket().wrapOrThrow(frame, l4, ip.payloadLength());
            s.append("**UDP header***********\n");
            s.append("|---------------------|\n");
            s.append(f("|Src  Port |%-10d|\n", udp.sourcePort()));
            s.append(f("|Dest Port |%-10d|\n", udp.destinationPort()));
            s.append(f("|Len       |%-10d|\n", udp.datagramLength()));
            s.append(f("|check sum |%-10d|\n", udp.checksum()));
        }
        return s.append("|---------------------|\n").toString();
    }

    /** perftest's {@code PERF_MAC_FMT}: a space, then six upper-case hex octets. */
    private static void appendMac(StringBuilder s, long mac) {
        s.append(' ');
        for (int i = 5; i >= 0; i--) {
            s.append(f("%02X", (mac >>> (8 * i)) & 0xff)).append(i > 0 ? ":" : "");
        }
    }

    private static String onOff(boolean on) {
        return on ? "ON" : "OFF";
    }
}
