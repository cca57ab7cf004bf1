package io.jverbs.perftest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.cli.Jperf;
import org.junit.jupiter.api.Test;

/**
 * Golden output: the expected strings were printed by C printf with perftest's format macros
 * (perftest_parameters.h REPORT_FMT*, perftest_communication.h BASIC_ADDR_FMT ...).
 */
class PerftestTextTest {
    static final String LINE = "---------------------------------------------------------------------------------------\n";

    static PerftestText text(String... args) throws Exception {
        return new PerftestText(Jperf.parse(args));
    }

    static HeaderFacts rxe() {
        return rxe(-1);
    }

    /** Facts with the GID index the engine uses (-x's, or its own choice). */
    static HeaderFacts rxe(int gidIndex) {
        return new HeaderFacts("rxe0", "IB", "Ethernet", 1024, 16, 0, false, false, 0, gidIndex);
    }

    @Test
    void resultLineIs87Dashes() {
        assertEquals(88, PerftestText.RESULT_LINE.length());
        assertEquals(LINE, PerftestText.RESULT_LINE);
    }

    @Test
    void serverBanner() {
        assertEquals("\n************************************\n* Waiting for client to connect... *\n"
                + "************************************\n", PerftestText.serverBanner());
    }

    @Test
    void writeBwClientHeaderUpstream() throws Exception {
        assertEquals(LINE
                + "                    RDMA_Write BW Test\n"
                + " Dual-port       : OFF\t\tDevice         : rxe0\n"
                + " Number of qps   : 1\t\tTransport type : IB\n"
                + " Connection type : RC\t\tUsing SRQ      : OFF\n"
                + " PCIe relax order: OFF\t\tLock-free      : OFF\n"
                + " ibv_wr* API     : OFF\t\tUsing Enhanced Reorder      : OFF\n"
                + " TX depth        : 128\n"
                + " CQ Moderation   : 1\n"
                + " CQE Poll Batch  : Dynamic\n"
                + " Mtu             : 1024[B]\n"
                + " Link type       : Ethernet\n"
                + " GID index       : 1\n"
                + " Max inline data : 0[B]\n"
                + " rdma_cm QPs\t : OFF\n"
                + " Data ex. method : Ethernet\n"
                + LINE, text("write_bw", "-x", "1", "host").header(rxe(1)));
    }

    /** Without -x the engine picks the GID (perftest's get_best_gid_index): the header shows its choice. */
    @Test
    void gidIndexTheEngineChoseIsPrinted() throws Exception {
        String h = text("write_bw", "host").header(rxe(3));
        assertTrue(h.contains(" Link type       : Ethernet\n GID index       : 3\n Max inline data"), h);
        assertFalse(text("write_bw", "host").header(rxe(-1)).contains("GID index"), "no GID in use: no line");
    }

    @Test
    void sendBwServerHeaderDebianStyle() throws Exception {
        assertEquals(LINE
                + "                    Send BW Test\n"
                + " Dual-port       : OFF\t\tDevice         : rxe0\n"
                + " Number of qps   : 2\t\tTransport type : IB\n"
                + " Connection type : UD\t\tUsing SRQ      : OFF\n"
                + " PCIe relax order: OFF\n"
                + " ibv_wr* API     : OFF\n"
                + " RX depth        : 1000\n"
                + " CQ Moderation   : 100\n"
                + " Mtu             : 1024[B]\n"
                + " Link type       : Ethernet\n"
                + " Max inline data : 0[B]\n"
                + " rdma_cm QPs\t : OFF\n"
                + " Data ex. method : Ethernet\n"
                + LINE, text("send_bw", "-c", "UD", "-q", "2", "-s", "1024", "--style=debian").header(rxe()));
    }

    @Test
    void atomicLatencyTitleAndRdmaCmServerLines() throws Exception {
        String h = text("atomic_lat", "-R", "-T", "3", "-A", "CMP_AND_SWAP").header(rxe());
        assertEquals("                    Atomic CMP_AND_SWAP Latency Test", h.lines().toList().get(1));
        String tail = " Outstand reads  : 16\n rdma_cm QPs\t : ON\n Data ex. method : rdma_cm \tTOS    : 3\n" + LINE
                + " Waiting for client rdma_cm QP to connect\n Please run the same command with the IB/RoCE interface IP\n"
                + LINE;
        assertEquals(tail, h.substring(h.length() - tail.length()));
        assertEquals("RDMA_Read Bidirectional Post List BW Test", text("read_bw", "-b", "-l", "2", "h").title());
    }

    /** perftest prints the doubled num_of_qps of an XRC latency test and "Using SRQ : ON". */
    @Test
    void xrcHeaderCountsInitiatorsAndTargets() throws Exception {
        String h = text("send_lat", "-c", "XRC", "h").header(rxe(1));
        assertTrue(h.contains(" Number of qps   : 2\t\tTransport type : IB\n"), h);
        assertTrue(h.contains(" Connection type : XRC\t\tUsing SRQ      : ON\n"), h);
        String bw = text("write_bw", "-c", "XRC", "-q", "4", "h").header(rxe(1));
        assertTrue(bw.contains(" Number of qps   : 4\t\tTransport type : IB\n"), bw);
        assertTrue(text("write_bw", "-c", "XRC", "-q", "4", "-b", "h").header(rxe(1))
                .contains(" Number of qps   : 8\t\t"));
    }

    @Test
    void addressLinesWithCQuirks() throws Exception {
        byte[] gid = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 255, (byte) 255, 10, 77, 0, 1};
        Endpoint local = new Endpoint(0, 16, 0x11, 0xabcdef, 0x1234, 0x7f0000001000L, 0, gid);
        assertEquals(" local address: LID 0000 QPN 0x0011 PSN 0xabcdef OUT 0x10 RKey 0x001234 VAddr 0x007f0000001000\n"
                + " GID: 00:00:00:00:00:00:00:00:00:00:255:255:10:77:00:01\n",
                text("read_bw", "h").address(local, true));
        Endpoint remote = new Endpoint(0x1a, 0, 0x123456, 0, 0, 0, 0, null);
        assertEquals(" remote address: LID 0x1a QPN 0x123456 PSN 000000\n", text("send_lat", "h").address(remote, false));
        assertEquals(" remote address: LID 0x1a QPN 0x123456 PSN 000000 RKey 00000000 VAddr 0000000000000000 SRQn 0x0000ff\n",
                text("write_bw", "-c", "XRC", "h").address(new Endpoint(0x1a, 0, 0x123456, 0, 0, 0, 0xff, null), false));
    }

    @Test
    void bwTableHeaderUnits() throws Exception {
        assertEquals(LINE + " #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]\n",
                text("write_bw").bwTableHeader());
        assertEquals(LINE + " #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]\n",
                text("write_bw", "--style", "debian").bwTableHeader());
        assertEquals(LINE + " #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n",
                text("write_bw", "--report_gbits").bwTableHeader());
    }

    @Test
    void bwRowsAsCPrintsThem() throws Exception {
        assertEquals(" 65536      5000             2310.00            2302.12\t\t     0.036834\n",
                text("write_bw").bwRow(new BwResult(65536, 5000, 2310.0, 2302.1234, 0.036834)));
        assertEquals(" 2          5000             1.50               12345678.90\t\t   10.000000\n",
                text("write_bw", "--style=debian").bwRow(new BwResult(2, 5000, 1.5, 12345678.9, 10.0)));
        assertEquals(" 2          1000           0.050000            0.040000            0.002500\n",
                text("write_bw", "--report_gbits").bwRow(new BwResult(2, 1000, 0.05, 0.04, 0.0025)));
        assertEquals("2302.123400\n", text("write_bw", "--output=bandwidth").bwRow(new BwResult(2, 1, 0, 2302.1234, 1)));
        assertEquals("0.036834\n", text("write_bw", "--output=message_rate").bwRow(new BwResult(2, 1, 0, 1, 0.036834)));
    }

    @Test
    void latRowsAsCPrintsThem() throws Exception {
        LatencyStats s = new LatencyStats(2, 1000, 997, 1.0, 2.5, 1.25, 1.3, 0.1, 2.0, 2.5, java.util.Map.of(),
                LatencyStats.newHistogram(), null);
        assertEquals(" 2       1000          1.00           2.50         1.25     \t       1.30        \t0.10   \t\t2.00    \t\t2.50   \n",
                text("write_lat").latRow(s, null));
        assertEquals(" 2             123456            10.50          47619.05\n",
                text("write_lat", "-D", "4").latDurationRow(2, 123456, 10.5, 47619.05));
        assertEquals(LINE + " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]"
                + "   99% percentile[usec]   99.9% percentile[usec] \n", text("write_lat").latTableHeader());
        assertEquals(LINE + " #bytes        #iterations       t_avg[usec]    tps average\n",
                text("send_lat", "-D", "4").latTableHeader());
    }

    @Test
    void histogramOptionPrintsSamplesThenHeaderAgain() throws Exception {
        long[] posted = {0, 2000, 6000, 12000, 20000, 30000};
        TestParameters p = Jperf.parse("write_lat", "-U");
        LatencyStats s = LatencyStats.fromPostTimes(2, posted, posted.length, p.kind());
        String out = new PerftestText(p).latRow(s, new double[] {1, 2, 3, 4, 5});
        String expected = "#, usec\n1, 1\n2, 2\n3, 3\n4, 4\n5, 5\n#, usec\n1, 1\n2, 2\n3, 3\n" + LINE;
        assertEquals(expected, out.substring(0, expected.length()));
        assertEquals(" 2       6 ", out.substring(out.lastIndexOf('\n', out.length() - 2) + 1).substring(0, 11));
    }

    @Test
    void cFormatHexAndG() {
        assertEquals("0000", CFormat.hex(0, 4));
        assertEquals("0x1a", CFormat.hex(0x1a, 4));
        assertEquals("0x12345", CFormat.hex(0x12345, 4), "wider than the width: not truncated");
        assertEquals("0x007f0000001000", CFormat.hex(0x7f0000001000L, 16));
        assertEquals("1.5 0.000123457 1.23457e+06 20 123457 1e-05", String.join(" ", CFormat.g(1.5),
                CFormat.g(0.000123456789), CFormat.g(1234567.0), CFormat.g(20.0), CFormat.g(123456.7), CFormat.g(1e-5)));
    }
}
