package io.jverbs.perftest.cli;

import io.jverbs.perftest.AtomicType;
import io.jverbs.perftest.BufferMemory;
import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.OutputMode;
import io.jverbs.perftest.ReportStyle;
import io.jverbs.perftest.Reporting;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.Threshold;
import io.jverbs.perftest.report.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * perftest's defaults and validity rules ({@code init_perftest_params}, {@code force_dependecies}
 * and the parser's range checks in perftest_parameters.c), applied to what was typed.
 */
final class Resolver {
    static final int DEFAULT_PORT = 18515;
    static final int MIN_ITERS = 5;
    static final int UC_UD_MAX_RX = 16000;
    static final int CQ_MOD_SIZE_LIMIT = 8192;

    private Resolver() {
    }

    static TestParameters resolve(TestCommand c) throws UsageException {
        if (c.raw != null) {
            return RawResolver.resolve(c);
        }
        Options.Common o = c.common;
        Options.Rdma r = c.rdma;
        TestKind kind = c.kind;
        Measure measure = c.measure;
        boolean isBw = measure == Measure.BW;
        String server = c.server();
        if (r.loopback && server != null) {
            throw new UsageException("--loopback runs both sides here: give no server name");
        }
        int port = range("-p", r.port, DEFAULT_PORT, 1, 65535);
        int ibPort = range("-i", o.ibPort, 1, 1, 255);

        boolean all = c.size != null && c.size.all;
        int size = kind == TestKind.ATOMIC ? 8 : isBw ? 65536 : 2;
        if (c.size != null && c.size.size != null) {
            size = parseSize(c.size.size);
        }
        boolean runInfinitely = c.bw != null && c.bw.runInfinitely;
        int duration = 0;
        if (o.duration != null) {
            duration = range("-D", o.duration, 0, 1, Integer.MAX_VALUE);
        } else if (runInfinitely) {
            duration = 5;
        }
        if (all && duration > 0) {
            throw new UsageException("-a cannot be used with -D: duration mode runs one size");
        }
        if (all) {
            size = TestParameters.MAX_SIZE;
        }
        int margin = 0;
        if (duration > 0) {
            margin = o.margin == null ? duration / 4 : range("-f", o.margin, 0, 0, Integer.MAX_VALUE);
            if (!(duration > 2 * margin)) {
                throw new UsageException("-D " + duration + " must be greater than twice the margin -f " + margin);
            }
        } else if (o.margin != null) {
            range("-f", o.margin, 0, 0, Integer.MAX_VALUE);
        }
        long iters = o.iters != null ? o.iters : kind == TestKind.WRITE && isBw ? 5000 : 1000;
        if (o.iters != null && (o.iters < MIN_ITERS || o.iters > 0xFFFF_FFFFL)) {
            throw new UsageException("-n must be between " + MIN_ITERS + " and 4294967295, not " + o.iters);
        }

        Connection connection = Connection.RC;
        if (r.connection != null) {
            try {
                connection = Connection.valueOf(r.connection.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UsageException("-c " + r.connection + " is not a connection type (" + names(Connection.validFor(kind)) + ")");
            }
            if (!Connection.validFor(kind).contains(connection)) {
                throw new UsageException("-c " + connection + " is not valid for " + c.name() + " ("
                        + names(Connection.validFor(kind)) + ")");
            }
        }
        int gid = r.gidIndex == null ? -1 : range("-x", r.gidIndex, -1, 0, 255);
        boolean rdmaCm = r.rdmaCm;
        boolean commRdmaCm = r.commRdmaCm || r.rdmaCm;
        if (rdmaCm && (connection == Connection.UC || connection == Connection.XRC || connection == Connection.DC)) {
            throw new UsageException("-R (rdma_cm QPs) does not support -c " + connection);
        }
        if (r.tos != null && !rdmaCm) {
            throw new UsageException("-T (TOS) is only valid with -R (rdma_cm QPs)");
        }
        int tos = r.tos == null ? -1 : range("-T", r.tos, -1, 0, 255);
        int sl = range("-S", r.sl, 0, 0, 15);
        int qpTimeout = range("-u", r.qpTimeout, 14, 0, 31);
        int mtu = 0;
        if (r.mtu != null) {
            if (!Set.of(256, 512, 1024, 2048, 4096).contains(r.mtu)) {
                throw new UsageException("-m must be 256, 512, 1024, 2048 or 4096, not " + r.mtu);
            }
            mtu = r.mtu;
        }
        boolean events = c.events != null && c.events.events;
        if (events && runInfinitely) {
            throw new UsageException("--run_infinitely does not support -e (events): it polls");
        }
        if (events && duration > 0) {
            throw new UsageException("-e cannot be used with -D: duration mode polls");
        }

        int qps = c.bw == null ? 1 : range("-q", c.bw.qps, 1, 1, 16384);
        int postList = c.bw == null ? 1 : range("-l", c.bw.postList, 1, 1, 16384);
        int tx = c.bw == null ? 1 : range("-t", c.bw.txDepth, 128, 1, 15000);
        boolean cqModRequested = c.bw != null && c.bw.cqMod != null;
        int cqMod = c.bw == null ? 1 : range("-Q", c.bw.cqMod, 100, 1, 1024);
        int rx = kind == TestKind.SEND ? 512 : 1;
        boolean rxRequested = c.rx != null && c.rx.rxDepth != null;
        if (rxRequested) {
            rx = range("-r", c.rx.rxDepth, 512, 1, 16384);
        }
        if (duration == 0) {
            tx = (int) Math.min(tx, iters);
            if (kind.hasReceiveCompletions()) {
                rx = (int) Math.min(rx, iters);
                if ((connection == Connection.UD || connection == Connection.UC) && !rxRequested) {
                    rx = (int) Math.min(iters, UC_UD_MAX_RX);
                }
            }
        }
        if (connection == Connection.DC && rx < qps) {
            rx = qps;
        }
        if (connection == Connection.XRC && kind == TestKind.SEND && qps > rx) {
            // perftest: "Using SRQ depth should be greater than number of QPs" (the SRQ holds -r receives for all)
            throw new UsageException("-c XRC receives through one SRQ of -r " + rx + " entries: -q " + qps
                    + " must not exceed it");
        }
        if (size > CQ_MOD_SIZE_LIMIT && connection != Connection.UD && !all && !events && !cqModRequested) {
            cqMod = 1;
        }
        if (postList > 1) {
            if (duration == 0 && iters % postList != 0) {
                throw new UsageException("-n " + iters + " must be a multiple of the post list size -l " + postList);
            }
            if (!cqModRequested) {
                cqMod = postList;
            } else if (postList % cqMod != 0) {
                throw new UsageException("-l " + postList + " must be a multiple of the CQ moderation -Q " + cqMod);
            }
        }
        cqMod = Math.min(cqMod, tx);

        int inlineSize = defaultInline(kind, measure, connection);
        if (c.inline != null && c.inline.inline != null) {
            inlineSize = range("-I", c.inline.inline, 0, 0, 1024);
        }
        int outReads = c.outs == null ? 0 : range("-o", c.outs.outReads, 0, 1, 65535);
        AtomicType atomicType = AtomicType.FETCH_AND_ADD;
        if (c.atomic != null && c.atomic.atomicType != null) {
            try {
                atomicType = AtomicType.valueOf(c.atomic.atomicType.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UsageException("-A must be CMP_AND_SWAP or FETCH_AND_ADD, not " + c.atomic.atomicType);
            }
        }
        boolean bidirectional = c.bw != null && c.bw.bidirectional;
        if (runInfinitely && bidirectional && kind == TestKind.SEND) {
            throw new UsageException("--run_infinitely is not supported in bidirectional send_bw");
        }
        if (c.bw != null && c.bw.reportBoth && !bidirectional) {
            throw new UsageException("--report-both needs -b");
        }
        if (r.deviceMemory != null) {
            if (o.ibDev != null && !o.ibDev.equals(r.deviceMemory)) {
                throw new UsageException("--use_ib_dm_dmabuf " + r.deviceMemory + " must name the test device -d " + o.ibDev
                        + ": jperf registers device memory on the device it tests");
            }
            if (r.useHugepages) {
                throw new UsageException("--use_hugepages and --use_ib_dm_dmabuf choose different buffer memory: give one");
            }
            // perftest's checks (perftest_parameters.c)
            if (measure == Measure.LAT && kind == TestKind.WRITE) {
                throw new UsageException("--use_ib_dm_dmabuf does not support write_lat: it polls the buffer, which device memory is not");
            }
        }
        return new TestParameters(kind, measure, server, port, o.ibDev, ibPort, size, all, duration > 0 ? 0 : iters,
                duration, margin, qps, tx, rx, inlineSize, cqMod, postList, connection, connection.usesSrq(), gid,
                rdmaCm, commRdmaCm, bidirectional, c.bw != null && c.bw.noPeak || runInfinitely, events, outReads, atomicType, o.cpuFreq,
                qpTimeout, sl, tos, mtu, runInfinitely, r.loopback, reporting(c, duration), null,
                r.useHugepages ? BufferMemory.HUGEPAGES : r.deviceMemory != null ? BufferMemory.DEVICE : BufferMemory.HOST);
    }

    static Reporting reporting(TestCommand c, int duration) throws UsageException {
        Options.Common o = c.common;
        ReportStyle style = ReportStyle.UPSTREAM;
        if (o.style != null) {
            style = switch (o.style.toLowerCase(Locale.ROOT)) {
                case "upstream", "6.29" -> ReportStyle.UPSTREAM;
                case "debian", "6.06" -> ReportStyle.DEBIAN;
                default -> throw new UsageException("--style must be upstream or debian, not " + o.style);
            };
        }
        OutputMode output = OutputMode.FULL;
        if (o.output != null) {
            output = switch (o.output.toLowerCase(Locale.ROOT)) {
                case "bandwidth" -> OutputMode.BANDWIDTH;
                case "message_rate" -> OutputMode.MESSAGE_RATE;
                case "latency" -> OutputMode.LATENCY;
                default -> throw new UsageException("--output must be bandwidth, message_rate or latency, not " + o.output);
            };
            boolean forBw = output != OutputMode.LATENCY;
            if (forBw != (c.measure == Measure.BW)) {
                throw new UsageException("--output=" + o.output + " is not valid for " + c.name()
                        + (c.measure == Measure.BW ? " (bandwidth, message_rate)" : " (latency)"));
            }
            if (o.json) {
                throw new UsageException("--output and --json are exclusive");
            }
        }
        Path outJson = o.outJson || o.outJsonFile != null
                ? Path.of(o.outJsonFile != null ? o.outJsonFile : Reporting.DEFAULT_OUT_JSON) : null;
        if (o.plot != null && !Plots.supported(o.plot)) {
            throw new UsageException("--plot needs a file name ending in .png or .svg, not " + o.plot);
        }
        List<Threshold> thresholds = new ArrayList<>();
        try {
            if (c.bw != null && c.bw.minBw != null) {
                for (String t : c.bw.minBw.split(",")) {
                    thresholds.add(Threshold.parse(t, true));
                }
            }
            if (c.lat != null && c.lat.maxLat != null) {
                for (String t : c.lat.maxLat.split(",")) {
                    thresholds.add(Threshold.parse(t, false));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException((c.bw != null ? "--min-bw: " : "--max-lat: ") + e.getMessage());
        }
        boolean unsorted = c.lat != null && c.lat.unsorted;
        if (duration > 0 && c.lat != null && (c.lat.histogram || unsorted)) {
            throw new UsageException("-H and -U print every sample: not available with -D (use --hdr-log)");
        }
        return new Reporting(style, c.bw != null && c.bw.reportGbits, c.bw != null && c.bw.reportBoth, output, outJson,
                o.json, path(o.jsonFile), path(c.lat == null ? null : c.lat.hdrLog), path(o.plot), thresholds,
                c.lat != null && c.lat.cycles, c.lat != null && (c.lat.histogram || unsorted), unsorted, o.debug);
    }

    /** perftest's inline defaults: bw 0, write_lat 220, send_lat RC/UC/XRC 236, UD 188, DC 150; read/atomic 0. */
    static int defaultInline(TestKind kind, Measure measure, Connection connection) {
        if (measure == Measure.BW || kind == TestKind.READ || kind == TestKind.ATOMIC) {
            return 0;
        }
        if (connection == Connection.DC) {
            return 150;
        }
        if (kind == TestKind.WRITE) {
            return 220;
        }
        return connection == Connection.UD ? 188 : 236;
    }

    /** A size with an optional K (×1024) or M (×1048576) suffix, 1 .. 2^23. */
    static int parseSize(String text) throws UsageException {
        String t = text.trim();
        long factor = 1;
        if (t.endsWith("K") || t.endsWith("k")) {
            factor = 1024;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("M") || t.endsWith("m")) {
            factor = 1024 * 1024;
            t = t.substring(0, t.length() - 1);
        }
        long value;
        try {
            value = Long.parseLong(t) * factor;
        } catch (NumberFormatException e) {
            throw new UsageException("-s must be a size in bytes (K and M suffixes allowed), not '" + text + "'");
        }
        if (value < 1 || value > TestParameters.MAX_SIZE) {
            throw new UsageException("-s must be between 1 and " + TestParameters.MAX_SIZE + ", not " + text);
        }
        return (int) value;
    }

    static int range(String flag, Integer value, int dflt, int min, int max) throws UsageException {
        if (value == null) {
            return dflt;
        }
        if (value < min || value > max) {
            throw new UsageException(flag + " must be between " + min + " and " + max + ", not " + value);
        }
        return value;
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    private static String names(Set<Connection> set) {
        return String.join("/", set.stream().map(Enum::name).toList());
    }
}
