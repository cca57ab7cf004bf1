package io.jverbs.perftest.report;

import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestParameters;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.HistogramIterationValue;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGUtils;

/**
 * {@code --plot FILE.png|FILE.svg}, drawn with JFreeChart (PNG) and JFreeSVG (SVG). Latency runs:
 * the percentile distribution per size (x: percentile on a log scale of 1/(1−p), so 90%, 99%,
 * 99.9% are equally spaced; y: usec). Duration BW runs: bandwidth per progress window over time.
 * Iteration BW runs: average and peak bandwidth per message size.
 */
public final class Plots {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;

    private Plots() {
    }

    /**
     * Draws the chart of a run into {@code file}; the format follows the extension.
     *
     * @throws IllegalArgumentException when the extension is neither .png nor .svg
     */
    public static void write(Path file, TestParameters p, List<BwResult> bw, List<LatencyStats> lat,
                             List<RunReport.Window> windows) throws IOException {
        JFreeChart chart = chart(p, bw, lat, windows);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        } else if (name.endsWith(".svg")) {
            SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
            chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
            SVGUtils.writeToSVG(file.toFile(), g.getSVGElement());
        } else {
            throw new IllegalArgumentException("--plot needs a .png or .svg file name: " + file);
        }
    }

    /** Whether {@code --plot} accepts this file name. */
    public static boolean supported(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".svg");
    }

    static JFreeChart chart(TestParameters p, List<BwResult> bw, List<LatencyStats> lat,
                            List<RunReport.Window> windows) {
        System.setProperty("java.awt.headless", "true");
        String unit = p.reporting().bwUnit();
        XYSeriesCollection data = new XYSeriesCollection();
        if (p.measure() == Measure.LAT) {
            for (LatencyStats s : lat) {
                XYSeries series = new XYSeries(s.size() + " B");
                for (HistogramIterationValue v : s.histogram().percentiles(5)) {
                    double pct = v.getPercentileLevelIteratedTo();
                    if (pct < 100) {
                        series.add(100 / (100 - pct), v.getValueIteratedTo() / 1000.0);
                    }
                }
                data.addSeries(series);
            }
            JFreeChart chart = ChartFactory.createXYLineChart("jperf " + p.testName() + ": latency by percentile",
                    "percentile (1/(1-p): 10 = 90%, 100 = 99%, 1000 = 99.9%)", "latency [usec]", data,
                    PlotOrientation.VERTICAL, true, false, false);
            LogAxis x = new LogAxis("percentile (10 = 90%, 100 = 99%, 1000 = 99.9%, 10000 = 99.99%)");
            x.setBase(10);
            x.setTickUnit(new NumberTickUnit(1));
            x.setSmallestValue(1);
            chart.getXYPlot().setDomainAxis(x);
            return chart;
        }
        if (!windows.isEmpty()) {
            XYSeries series = new XYSeries("BW per window");
            for (RunReport.Window w : windows) {
                series.add(w.endNs() / 1e9, w.bandwidth());
            }
            data.addSeries(series);
            return ChartFactory.createXYLineChart("jperf " + p.testName() + ": bandwidth over time", "time [s]",
                    "bandwidth [" + unit + "]", data, PlotOrientation.VERTICAL, true, false, false);
        }
        XYSeries average = new XYSeries("average");
        XYSeries peak = new XYSeries("peak");
        for (BwResult b : bw) {
            average.add(b.size(), b.average());
            peak.add(b.size(), b.peak());
        }
        data.addSeries(average);
        data.addSeries(peak);
        JFreeChart chart = ChartFactory.createXYLineChart("jperf " + p.testName() + ": bandwidth by message size",
                "message size [bytes]", "bandwidth [" + unit + "]", data, PlotOrientation.VERTICAL, true, false,
                false);
        if (bw.size() > 1) {
            LogAxis x = new LogAxis("message size [bytes]");
            x.setBase(2);
            chart.getXYPlot().setDomainAxis(x);
        }
        return chart;
    }
}
