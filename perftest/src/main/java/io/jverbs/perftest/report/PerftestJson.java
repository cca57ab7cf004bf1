package io.jverbs.perftest.report;

import static io.jverbs.perftest.report.CFormat.f;

import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * perftest's {@code --out_json} file: {@code {"test_info": {...}, "results": {...}}} with
 * perftest's keys and number formats ({@code write_test_info_to_file}, {@code REPORT_FMT_JSON},
 * {@code REPORT_FMT_LAT_JSON}). Like perftest, the file holds the last size of the run (perftest
 * rewrites it after each size); jperf's {@code --json} holds every size. Always valid JSON.
 */
public final class PerftestJson {
    private PerftestJson() {
    }

    /** Writes the document for the last result to {@code file}. */
    public static void write(Path file, TestParameters p, HeaderFacts facts, List<BwResult> bw,
                             List<LatencyStats> lat) throws IOException {
        Files.writeString(file, document(p, facts, bw, lat));
    }

    /** The document as perftest would write it after the last size. */
    public static String document(TestParameters p, HeaderFacts facts, List<BwResult> bw, List<LatencyStats> lat) {
        List<String> info = new ArrayList<>();
        String title = new PerftestText(p).title().replace(' ', '_');
        info.add(f("\"test\": \"%s\"", title));
        if (p.events()) {
            info.add(f("\"Test with events\": \"Using_%s_comp0\"", device(p, facts)));
        }
        info.add("\"Dual_port\": \"OFF\"");
        info.add(f("\"Device\": \"%s\"", device(p, facts)));
        info.add(f("\"Number_of_qps\": %d", p.qpsPerSide()));
        info.add(f("\"Transport_type\": \"%s\"", facts == null ? "IB" : facts.transport()));
        info.add(f("\"Connection_type\": \"%s\"", p.connection()));
        info.add(f("\"Using_SRQ\": \"%s\"", p.useSrq() ? "ON" : "OFF"));
        info.add(f("\"PCIe_relax_order\": \"%s\"", facts != null && facts.relaxedOrdering() ? "ON" : "OFF"));
        info.add(f("\"ibv_wr_API\": \"%s\"", facts != null && facts.wrApi() ? "ON" : "OFF"));
        if (!p.isServer() || p.bidirectional()) {
            info.add(f("\"TX_depth\": %d", p.txDepth()));
        }
        if (p.postList() > 1) {
            info.add(f("\"Post_List\": %d", p.postList()));
        }
        if (p.kind().hasReceiveCompletions() && (p.isServer() || p.bidirectional())) {
            info.add(f("\"RX_depth\": %d", p.rxDepth()));
        }
        if (p.measure() == Measure.BW) {
            info.add(f("\"CQ_Moderation\": %d", p.cqModeration()));
        }
        info.add(f("\"Mtu\": %d", facts == null ? p.mtu() : facts.mtuBytes()));
        info.add(f("\"Link_type\": \"%s\"", facts == null ? "Unknown" : facts.linkLayer()));
        int gidIndex = facts == null ? p.gidIndex() : facts.gidIndex();
        if (gidIndex >= 0) {
            info.add(f("\"GID_index\": %d", gidIndex));
        }
        if (p.kind() != TestKind.READ && p.kind() != TestKind.ATOMIC) {
            info.add(f("\"Max_inline_data\": %d", facts == null ? p.inlineSize() : facts.inlineSize()));
        } else {
            info.add(f("\"Outstand_reads\": %d", facts == null ? p.outReads() : facts.outReads()));
        }
        info.add(f("\"rdma_cm_QPs\": \"%s\"", p.rdmaCm() ? "ON" : "OFF"));
        info.add("\"Use_ROCm_memory\": \"OFF\"");
        info.add("\"Use_MUSA_memory\": \"OFF\"");
        info.add(f("\"Data_ex_method\": \"%s\"", p.rdmaCm() || p.commRdmaCm() ? "rdma_cm" : "Ethernet"));
        if (p.rdmaCm() && p.tos() >= 0) {
            info.add(f("\"TOS\": %d", p.tos()));
        }
        return "{\n\"test_info\": {\n" + String.join(",\n", info) + "\n},\n\"results\": {\n"
                + String.join(",\n", results(p, bw, lat)) + "\n}\n}\n";
    }

    private static List<String> results(TestParameters p, List<BwResult> bw, List<LatencyStats> lat) {
        List<String> r = new ArrayList<>();
        if (p.measure() == Measure.BW && !bw.isEmpty()) {
            BwResult b = bw.getLast();
            boolean precise = p.reporting().reportGbits() && b.average() < 0.1;
            String fmt = precise ? "%.6f" : "%.2f";
            r.add(f("\"MsgSize\": %d", b.size()));
            r.add(f("\"n_iterations\": %d", b.iterations()));
            r.add(f("\"BW_peak\": " + fmt, b.peak()));
            r.add(f("\"BW_average\": " + fmt, b.average()));
            r.add(f("\"MsgRate\": %.6f", b.msgRate()));
        } else if (p.measure() == Measure.LAT && !lat.isEmpty()) {
            LatencyStats s = lat.getLast();
            r.add(f("\"MsgSize\": %d", s.size()));
            r.add(f("\"n_iterations\": %d", s.iterations()));
            if (p.isDuration()) {
                // perftest's -D latency results: the average and transactions per second only.
                r.add(f("\"t_avg\": %.2f", s.average()));
                r.add(f("\"tps_average\": %.2f", s.average() > 0 ? 1e6 / (s.average() * p.kind().rttFactor()) : 0));
            } else {
                r.add(f("\"t_min\": %.2f", s.min()));
                r.add(f("\"t_max\": %.2f", s.max()));
                r.add(f("\"t_typical\": %.2f", s.typical()));
                r.add(f("\"t_avg\": %.2f", s.average()));
                r.add(f("\"t_stdev\": %.2f", s.stdev()));
                r.add(f("\"percentile_99\": %.2f", s.p99()));
                r.add(f("\"percentile_99.9\": %.2f", s.p999()));
            }
        }
        return r;
    }

    private static String device(TestParameters p, HeaderFacts facts) {
        return facts != null ? facts.device() : p.device() == null ? "" : p.device();
    }
}
