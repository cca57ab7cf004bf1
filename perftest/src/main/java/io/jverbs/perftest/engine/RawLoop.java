package io.jverbs.perftest.engine;

import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import java.util.function.Supplier;

/**
 * perftest's raw Ethernet loops over a {@link PacketPort}: the bandwidth sender
 * ({@code run_iter_bw}), the bandwidth receiver ({@code run_iter_bw_server}) and the ping-pong
 * ({@code run_iter_lat_send} in duplex mode). Bursts are made once; every frame is the template
 * copied into a transmit buffer; received frames are checked by {@link RawFrames#matches} and
 * released at once. Nothing is allocated per frame. One thread.
 */
final class RawLoop {
    private final PacketPort port;
    private final RawFrames frames;
    private final FrameBurst tx;
    private final FrameBurst rx;
    private final int frameLength;
    /** Iteration runs: post time of each frame (bw: the transmit call that took it; lat: each send). */
    final long[] posted;
    /** Bandwidth iteration runs: when the transmit call that took frame i returned. */
    final long[] completed;
    /** Frames received that matched (the peer's). */
    long received;
    /** Frames received that did not match: not the peer's (another flow, the kernel's, our own echo). */
    long ignored;
    /** Receive runs: the clock at the first and at the last matching frame. */
    long firstRxNs;
    long lastRxNs;
    /** Duration runs: frames (bw) or round trips (lat) counted in the sample window, and its first/last time. */
    long sampled;
    long sampleFirstNs;
    long sampleLastNs;

    /**
     * @param burst     frames per transmit call (bandwidth; 1 for latency)
     * @param messages  iterations to time (0 for duration runs)
     */
    RawLoop(PacketPort port, RawFrames frames, int burst, int messages) {
        this.port = port;
        this.frames = frames;
        this.frameLength = frames.frameLength();
        this.tx = new FrameBurst(burst);
        this.rx = new FrameBurst(Math.max(1, port.capabilities().maxBurst()));
        this.posted = new long[Math.max(1, messages)];
        this.completed = new long[Math.max(1, messages)];
    }

    private void reset() {
        received = 0;
        ignored = 0;
        firstRxNs = 0;
        lastRxNs = 0;
        sampled = 0;
        sampleFirstNs = 0;
        sampleLastNs = 0;
    }

    /** Fills {@code tx} with up to {@code n} copies of the template; returns how many the port gave. */
    private int fill(int n) {
        int got = port.allocate(tx, n);
        for (int i = 0; i < got; i++) {
            frames.copyTo(tx.memory(), tx.offset(i));
            tx.length(i, frameLength);
        }
        return got;
    }

    /**
     * The bandwidth client: sends {@code n} frames (iteration runs, each timed in {@link #posted}
     * and {@link #completed}) or until the window ends (duration runs, counted in {@link #sampled}).
     *
     * @return frames the port took
     */
    long send(long n, Window w, Progress progress) {
        reset();
        long sent = 0;
        int burst = tx.capacity();
        while (w.duration || sent < n) {
            if (tx.count() == 0) {
                int want = w.duration ? burst : (int) Math.min(burst, n - sent);
                if (fill(want) == 0) {
                    w.idle("transmit buffers of the port");
                    continue;
                }
            }
            long t0 = System.nanoTime();
            int took = port.transmit(tx, tx.count());
            long t1 = System.nanoTime();
            if (took == 0) {
                w.idle("the port to take frames");
                continue;
            }
            w.event();
            if (!w.duration) {
                for (int k = 0; k < took; k++) {
                    posted[(int) sent + k] = t0;
                    completed[(int) sent + k] = t1;
                }
            } else {
                if (w.sampling(t1)) {
                    if (sampled == 0) {
                        sampleFirstNs = t0;
                    }
                    sampled += took;
                    sampleLastNs = t1;
                }
                if (w.progressDue(t1)) {
                    progress.at(t1);
                }
                if (w.ended(t1)) {
                    sent += took;
                    break;
                }
            }
            sent += took;
        }
        port.release(tx); // frames allocated but not sent when a duration run ended
        return sent;
    }

    /**
     * Takes what the port has and counts the peer's frames; stamps the first and last.
     *
     * @return frames matched in this call
     */
    private int drain() {
        int got = port.receive(rx);
        if (got == 0) {
            return 0;
        }
        long now = System.nanoTime();
        int matched = 0;
        for (int i = 0; i < got; i++) {
            if (frames.matches(rx.memory(), rx.offset(i), rx.length(i))) {
                matched++;
            } else {
                ignored++;
            }
        }
        port.release(rx);
        if (matched > 0) {
            if (received == 0) {
                firstRxNs = now;
            }
            received += matched;
            lastRxNs = now;
        }
        return matched;
    }

    /**
     * The bandwidth server: waits up to {@code firstNs} for the first frame of the peer, then
     * counts frames until {@code n} arrived (iteration runs) or the window that {@code windowAtFirst}
     * opens at the first frame ends (duration runs, perftest starts the clock there too). A pause of
     * {@code idleNs} after the first frame ends an iteration run early: frames were lost.
     *
     * @return frames received (the peer's)
     */
    long receive(long n, long firstNs, long idleNs, Supplier<Window> windowAtFirst, Progress progress) {
        reset();
        Window first = Window.iterations(firstNs);
        while (drain() == 0) {
            first.idle("the client's first frame (start the server first; check -B/-E/-J/-j/-K/-k)");
        }
        Window w = windowAtFirst.get();
        int spins = 0;
        while (w.duration || received < n) {
            int matched = drain();
            if (matched > 0) {
                if (w.duration) {
                    long now = lastRxNs;
                    if (w.sampling(now)) {
                        if (sampled == 0) {
                            sampleFirstNs = now;
                        }
                        sampled += matched;
                        sampleLastNs = now;
                    }
                    if (w.progressDue(now)) {
                        progress.at(now);
                    }
                    if (w.ended(now)) {
                        break;
                    }
                }
                continue;
            }
            if (++spins >= Window.SPINS_PER_CLOCK_READ) {
                spins = 0;
                long now = System.nanoTime();
                if (w.duration ? w.ended(now) : now - lastRxNs > idleNs) {
                    break;
                }
            }
        }
        return received;
    }

    /**
     * The ping-pong: the client sends first, each side sends its next frame once it received
     * the peer's previous one; {@code n} each way (iteration runs, post times in {@link #posted})
     * or until the window ends (duration runs, round trips in {@code recorder}). The window is
     * made when the client starts and when the server gets its first frame (within
     * {@code firstNs}), as perftest starts its clocks.
     */
    void pingPong(long n, boolean server, Supplier<Window> window, long firstNs, LatencyRecorder recorder,
                  Progress progress) {
        reset();
        long scnt = 0;
        Window w = server ? null : window.get();
        Window wait = w != null ? w : Window.iterations(firstNs);
        long prevPostNs = 0;
        boolean duration = n == 0;
        while (true) {
            long need = server ? scnt + 1 : scnt;
            if (!duration && need > n) {
                need = n;
            }
            while (received < need) {
                if (drain() > 0) {
                    wait.event();
                    break;
                }
                long now = wait.idle("the peer's frame (the peer stopped, lost a frame,"
                        + " or its -B/-E/-J/-j/-K/-k do not mirror this side's)");
                if (duration && w != null && now != 0 && w.ended(now)) {
                    return;
                }
            }
            if (w == null) {
                w = window.get();
                wait = w;
            }
            if (!duration && scnt >= n) {
                if (received >= n) {
                    return;
                }
                continue;
            }
            long now = System.nanoTime();
            if (duration) {
                if (w.ended(now)) {
                    return;
                }
                if (prevPostNs != 0 && w.sampling(now)) {
                    recorder.record(now - prevPostNs);
                    if (sampled == 0) {
                        sampleFirstNs = prevPostNs;
                    }
                    sampled++;
                    sampleLastNs = now;
                }
                if (w.progressDue(now)) {
                    progress.at(now);
                }
                prevPostNs = now;
            } else {
                posted[(int) scnt] = now;
            }
            sendOne(wait);
            scnt++;
        }
    }

    private void sendOne(Window w) {
        while (fill(1) == 0) {
            w.idle("a transmit buffer of the port");
        }
        while (port.transmit(tx, 1) == 0) {
            w.idle("the port to take a frame");
        }
    }
}
