package io.jverbs.perftest.engine;

import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Engine;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.report.BwTimestamps;
import io.jverbs.perftest.report.HeaderFacts;
import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.perftest.report.PerftestText;
import io.jverbs.perftest.report.Reporter;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpeners;
import java.util.function.Supplier;

/**
 * {@code raw_ethernet_bw} and {@code raw_ethernet_lat} over a packet port of any back end
 * ({@link PortOpeners}): perftest's raw tests without the device-specific parts. There is no
 * out-of-band exchange, as in perftest: each side knows the other's addresses from its flags, the
 * server must be started first, and each side prints its own figures. The bandwidth client times
 * the transmit calls (perftest: posts and send completions), the server counts the frames it
 * receives from the first to the last (perftest: first receive to the end); the latency test is a
 * ping-pong the client starts, timed on both sides.
 */
public final class RawEngine implements Engine {
    /** How long a server waits for the client's first frame (perftest gives up after 120 s). */
    static long firstFrameNs() {
        return Long.getLong("jperf.rawFirstFrameSeconds", 60) * 1_000_000_000L;
    }

    @Override
    public boolean supports(TestParameters p) {
        return p.connection() == Connection.RAW_ETH;
    }

    @Override
    public void run(TestParameters p, Reporter reporter) {
        RawEthernet raw = p.raw();
        try (PacketPort port = PortOpeners.open(raw.port(), hints(p))) {
            run(p, reporter, port);
        }
    }

    /** What a steering back end (verbs) needs: the frames this side receives, as its flags describe them. */
    static PortHints hints(TestParameters p) {
        RawEthernet raw = p.raw();
        return new PortHints(raw.ownMac(), raw.server() ? raw.serverIp() : raw.clientIp(),
                raw.server() ? raw.clientIp() : raw.serverIp(), raw.hasL4() ? raw.ownPort() : -1,
                raw.hasL4() ? raw.peerPort() : -1, raw.tcp(), p.measure() == Measure.LAT);
    }

    /** Runs the test on an open port (which stays open): for tests with a port of their own. */
    public static void run(TestParameters p, Reporter reporter, PacketPort port) {
        RawEthernet raw = p.raw();
        PortCapabilities caps = port.capabilities();
        int size = p.size();
        // perftest's verify_params_with_device_context: the size is clamped to the MTU and to 64.
        int max = Math.min(caps.mtu(), caps.maxFrameLength() + RawEthernet.FCS);
        if (size > max) {
            reporter.message(" Max msg size in RawEth is MTU " + max + "\n Changing msg size to this MTU\n");
            size = max;
        } else if (size < RawEthernet.MIN_SIZE) {
            reporter.message(" Min msg size for RawEth is 64B - changing msg size to 64 \n");
            size = RawEthernet.MIN_SIZE;
        }
        boolean bw = p.measure() == Measure.BW;
        boolean server = raw.server();
        if (bw && server) {
            reporter.message(" WARNING: BW peak won't be measured in this run.\n");
        }
        boolean verbs = raw.port().scheme().equals("verbs");
        reporter.header(new HeaderFacts(port.name(), verbs ? "IB" : raw.port().scheme(), "Ethernet", caps.mtu(), 0, 0,
                false, false, 0, verbs ? 0 : -1));
        PerftestText text = new PerftestText(p);
        if (server || !bw) {
            reporter.message(text.rawFlowSpec(raw));
        }
        boolean sends = !server || !bw;
        RawFrames frames = new RawFrames(raw, size, sends);
        if (sends) {
            reporter.message(text.rawPacket(raw, frames.template()));
        }
        reporter.tableHeader();
        long stall = RdmaEngine.stallNs();
        Supplier<Window> window = () -> p.isDuration()
                ? Window.duration(p.durationSeconds(), p.marginSeconds(), stall) : Window.iterations(stall);
        int iterations = (int) p.iterations();
        if (bw) {
            int burst = Math.max(1, Math.min(p.txDepth(), caps.maxBurst()));
            RawLoop loop = new RawLoop(port, frames, server ? 1 : burst, iterations);
            int messageSize = size;
            Progress progress = now -> reporter.progress(now - loop.sampleFirstNs, loop.sampled, messageSize);
            if (server) {
                serverBandwidth(p, reporter, loop, size, window, progress);
            } else {
                loop.send(p.iterations(), window.get(), progress);
                if (p.isDuration()) {
                    durationBandwidth(reporter, loop, size);
                } else {
                    reporter.bandwidth(new BwTimestamps(size, iterations, loop.posted, loop.completed, 1,
                            p.cqModeration()));
                }
            }
        } else {
            RawLoop loop = new RawLoop(port, frames, 1, iterations);
            LatencyRecorder recorder = new LatencyRecorder(TestKind.SEND);
            loop.pingPong(p.iterations(), server, window, firstFrameNs(), recorder,
                    now -> reporter.progress(now - loop.sampleFirstNs, recorder));
            if (p.isDuration()) {
                if (loop.sampled == 0) {
                    throw new EngineException("no round trip in the sample window of " + p.durationSeconds() + " s");
                }
                reporter.latencyDuration(size, loop.sampled, loop.sampleLastNs - loop.sampleFirstNs, recorder);
            } else {
                reporter.latency(size, loop.posted, iterations);
            }
            ignored(reporter, loop);
        }
        reporter.tableFooter();
    }

    private static void serverBandwidth(TestParameters p, Reporter reporter, RawLoop loop, int size,
                                        Supplier<Window> window, Progress progress) {
        long idle = p.raw().idleSeconds() * 1_000_000_000L;
        long got = loop.receive(p.iterations(), firstFrameNs(), idle, window, progress);
        if (p.isDuration()) {
            durationBandwidth(reporter, loop, size);
        } else {
            if (got < 2) {
                throw new EngineException("received " + got + " frame(s) of " + p.iterations()
                        + ": too few to time (frames were lost, or the client's -E/-J/-j/-K/-k differ)");
            }
            reporter.bandwidth(io.jverbs.perftest.report.Bandwidth.fromTotals(size, got,
                    loop.lastRxNs - loop.firstRxNs, p.reporting().bytesPerBwUnit(), 0));
            if (got < p.iterations()) {
                reporter.message(" jperf: received " + got + " of " + p.iterations() + " frames; "
                        + (p.iterations() - got) + " lost (none for " + p.raw().idleSeconds() + " s)\n");
            }
        }
        ignored(reporter, loop);
    }

    private static void durationBandwidth(Reporter reporter, RawLoop loop, int size) {
        if (loop.sampled < 2 || loop.sampleLastNs <= loop.sampleFirstNs) {
            throw new EngineException("too few frames in the sample window to time: " + loop.sampled);
        }
        reporter.bandwidthDuration(size, loop.sampled, loop.sampleLastNs - loop.sampleFirstNs);
    }

    private static void ignored(Reporter reporter, RawLoop loop) {
        if (loop.ignored > 0) {
            reporter.message(" jperf: ignored " + loop.ignored + " received frame(s) that were not the peer's\n");
        }
    }
}
