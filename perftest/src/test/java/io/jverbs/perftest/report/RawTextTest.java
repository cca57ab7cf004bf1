package io.jverbs.perftest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.cli.Jperf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * perftest's raw Ethernet text, golden: the header of a raw test, the flow rule ({@code print_spec})
 * and the packet tables ({@code print_pkt}), each written out from the C formats in
 * raw_ethernet_resources.c and perftest_parameters.c.
 */
class RawTextTest {
    private static final String LINE = PerftestText.RESULT_LINE;

    private static TestParameters p(String line) throws Exception {
        return Jperf.parse(line.split(" +"));
    }

    /** A frame given as hex (what perftest would send for -s 64 -J/-j/-K/-k). */
    private static MemorySegment frame(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        MemorySegment s = Arena.ofAuto().allocate(b.length);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    @Test
    void latencyHeaderShowsBothDepthsAndRawEth() throws Exception {
        PerftestText t = new PerftestText(p("raw_ethernet_lat --port verbs:mlx5_0 --client -B 02:00:00:00:00:01 -E 02:00:00:00:00:02"));
        HeaderFacts facts = new HeaderFacts("mlx5_0", "IB", "Ethernet", 1500, 0, 0, false, false, 0, 0);
        assertEquals(LINE
                + "                    Send Latency Test\n"
                + " Dual-port       : OFF\t\tDevice         : mlx5_0\n"
                + " Number of qps   : 1\t\tTransport type : IB\n"
                + " Connection type : RawEth\t\tUsing SRQ      : OFF\n"
                + " PCIe relax order: OFF\t\tLock-free      : OFF\n"
                + " ibv_wr* API     : OFF\t\tUsing Enhanced Reorder      : OFF\n"
                + " TX depth        : 1\n"
                + " RX depth        : 512\n"
                + " Mtu             : 1500[B]\n"
                + " Link type       : Ethernet\n"
                + " GID index       : 0\n"
                + " Max inline data : 0[B]\n"
                + " rdma_cm QPs\t : OFF\n"
                + " Data ex. method : Ethernet\n"
                + LINE, t.header(facts));
    }

    @Test
    void flowSpecOfServerAndClient() throws Exception {
        String addr = " -B 02:00:00:00:00:0a -E 02:00:00:00:00:0b -J 10.0.0.1 -j 10.0.0.2 -K 5000 -k 5001";
        TestParameters server = p("raw_ethernet_lat --port afpacket:x --server" + addr);
        assertEquals("MAC attached  : 02:00:00:00:00:0A\n"
                + "spec_info - dst_ip   : 10.0.0.1\n"
                + "spec_info - src_ip   : 10.0.0.2\n"
                + "spec_info - dst_port : 5000\n"
                + "spec_info - src_port : 5001\n", new PerftestText(server).rawFlowSpec(server.raw()));
        TestParameters client = p("raw_ethernet_lat --port afpacket:x --client" + addr);
        assertEquals("MAC attached  : 02:00:00:00:00:0A\n"
                + "spec_info - dst_ip   : 0.0.0.0\n"
                + "spec_info - src_ip   : 0.0.0.0\n"
                + "spec_info - dst_port : 5001\n"
                + "spec_info - src_port : 5000\n", new PerftestText(client).rawFlowSpec(client.raw()),
                "perftest fills IPs in the server's rule only, and the client's ports mirrored");
        TestParameters macOnly = p("raw_ethernet_bw --port afpacket:x --server -B 02:00:00:00:00:0a");
        assertEquals("MAC attached  : 02:00:00:00:00:0A\n", new PerftestText(macOnly).rawFlowSpec(macOnly.raw()));
    }

    @Test
    void packetTablesOfAUdpFrame() throws Exception {
        TestParameters c = p("raw_ethernet_bw --port afpacket:x --client -B 02:00:00:00:00:0b -E 02:00:00:00:00:0a"
                + " -J 10.0.0.1 -j 10.0.0.2 -K 5000 -k 5001");
        // 60 bytes: Ethernet, IPv4 (total 46, TTL 64, UDP, checksum 0x66bd), UDP 5001 -> 5000 length 26, checksum 0.
        MemorySegment f = frame("02000000000a02000000000b0800" + "4500002e00000000401166bd0a0000020a000001"
                + "13891388001a0000" + "00".repeat(18));
        assertEquals("**raw ethernet header****************************************\n\n"
                + "--------------------------------------------------------------\n"
                + "| Dest MAC         | Src MAC          | Packet Type          |\n"
                + "|------------------------------------------------------------|\n"
                + "| 02:00:00:00:00:0A| 02:00:00:00:00:0B|IPv4                  |\n"
                + "|------------------------------------------------------------|\n\n"
                + "**IP header**************\n"
                + "|-----------------------|\n"
                + "|Version   |4           |\n"
                + "|Ihl       |5           |\n"
                + "|TOS       |0           |\n"
                + "|TOT LEN   |46          |\n"
                + "|ID        |0           |\n"
                + "|Frag      |0           |\n"
                + "|TTL       |64          |\n"
                + "|protocol  |UDP         |\n"
                + "|Check sum |66BD        |\n"
                + "|Source IP |10.0.0.2    |\n"
                + "|Dest IP   |10.0.0.1    |\n"
                + "|-----------------------|\n\n"
                + "**UDP header***********\n"
                + "|---------------------|\n"
                + "|Src  Port |5001      |\n"
                + "|Dest Port |5000      |\n"
                + "|Len       |26        |\n"
                + "|check sum |0         |\n"
                + "|---------------------|\n", new PerftestText(c).rawPacket(c.raw(), f));
    }
}
