package io.jverbs.perftest.report;

import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.Threshold;
import io.jverbs.perftest.Version;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * jperf's strict JSON document ({@code --json}, {@code --json-file}): every size, every
 * percentile, the run's parameters. Schema (version 1) in docs/jperf.md.
 */
public final class JperfJson {
    /** Version of the document's layout; bumped on incompatible changes. */
    public static final int SCHEMA = 1;

    private JperfJson() {
    }

    /** The document of a finished run; {@code missed} are the threshold failures. */
    public static String document(TestParameters p, HeaderFacts facts, List<BwResult> bw, List<LatencyStats> lat,
                                  List<RunReport.Window> windows, List<String> missed) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", SCHEMA);
        doc.put("jperf", Version.JPERF);
        doc.put("perftest_compatible", Version.PERFTEST_COMPATIBLE);
        doc.put("test", p.testName());
        doc.put("role", p.loopback() ? "loopback" : p.isServer() ? "server" : "client");
        doc.put("parameters", parameters(p));
        doc.put("device", facts == null ? null : device(facts));
        doc.put("units", Map.of("bandwidth", p.reporting().bwUnit(), "message_rate", "Mpps", "latency", "usec"));
        List<Object> results = new ArrayList<>();
        if (p.measure() == Measure.BW) {
            for (BwResult b : bw) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("size", b.size());
                r.put("iterations", b.iterations());
                r.put("bw_peak", b.peak());
                r.put("bw_average", b.average());
                r.put("msg_rate", b.msgRate());
                results.add(r);
            }
        } else {
            for (LatencyStats s : lat) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("size", s.size());
                r.put("iterations", s.iterations());
                r.put("samples", s.samples());
                r.put("t_min", s.min());
                r.put("t_max", s.max());
                r.put("t_typical", s.typical());
                r.put("t_avg", s.average());
                r.put("t_stdev", s.stdev());
                r.put("percentile_99", s.p99());
                r.put("percentile_99.9", s.p999());
                r.put("percentiles", new LinkedHashMap<>(s.percentiles()));
                results.add(r);
            }
        }
        doc.put("results", results);
        List<Object> progress = new ArrayList<>();
        for (RunReport.Window w : windows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("start_s", w.startNs() / 1e9);
            m.put("end_s", w.endNs() / 1e9);
            m.put("bandwidth", w.bandwidth());
            m.put("msg_rate", w.msgRate());
            progress.add(m);
        }
        doc.put("progress", progress);
        doc.put("thresholds_missed", List.copyOf(missed));
        doc.put("passed", missed.isEmpty());
        return Json.write(doc);
    }

    private static Map<String, Object> parameters(TestParameters p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", p.kind().name());
        m.put("measure", p.measure().name());
        m.put("server_name", p.serverName());
        m.put("port", p.port());
        m.put("ib_dev", p.device());
        m.put("ib_port", p.ibPort());
        m.put("size", p.size());
        m.put("all_sizes", p.allSizes());
        m.put("iterations", p.iterations());
        m.put("duration_s", p.durationSeconds());
        m.put("margin_s", p.marginSeconds());
        m.put("qps", p.qps());
        m.put("tx_depth", p.txDepth());
        m.put("rx_depth", p.rxDepth());
        m.put("inline_size", p.inlineSize());
        m.put("cq_moderation", p.cqModeration());
        m.put("post_list", p.postList());
        m.put("connection", p.connection().name());
        m.put("use_srq", p.useSrq());
        m.put("gid_index", p.gidIndex());
        m.put("rdma_cm", p.rdmaCm());
        m.put("comm_rdma_cm", p.commRdmaCm());
        m.put("bidirectional", p.bidirectional());
        m.put("no_peak", p.noPeak());
        m.put("events", p.events());
        m.put("out_reads", p.outReads());
        m.put("atomic_type", p.atomicType().name());
        m.put("qp_timeout", p.qpTimeout());
        m.put("sl", p.serviceLevel());
        m.put("tos", p.tos());
        m.put("mtu", p.mtu());
        m.put("run_infinitely", p.runInfinitely());
        m.put("loopback", p.loopback());
        m.put("report_gbits", p.reporting().reportGbits());
        m.put("style", p.reporting().style().name().toLowerCase(java.util.Locale.ROOT));
        List<Object> thresholds = new ArrayList<>();
        for (Threshold t : p.reporting().thresholds()) {
            thresholds.add(Map.of("option", t.minimum() ? "--min-bw" : "--max-lat", "statistic", t.statistic(),
                    "limit", t.limit()));
        }
        m.put("thresholds", thresholds);
        return m;
    }

    private static Map<String, Object> device(HeaderFacts f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", f.device());
        m.put("transport", f.transport());
        m.put("link_layer", f.linkLayer());
        m.put("mtu", f.mtuBytes());
        m.put("inline_size", f.inlineSize());
        m.put("out_reads", f.outReads());
        m.put("gid_index", f.gidIndex());
        return m;
    }
}
