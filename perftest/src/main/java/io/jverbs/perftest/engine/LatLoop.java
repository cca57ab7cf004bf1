package io.jverbs.perftest.engine;

import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * perftest's latency loops ({@code run_iter_lat_write}, {@code run_iter_lat_send},
 * {@code run_iter_lat}) over one QP and prebuilt requests; nothing is allocated per round trip.
 * Iteration runs store each post time in {@link #posted} (the report takes the deltas); duration
 * runs record each delta in a {@link LatencyRecorder} while the sample window is open.
 */
final class LatLoop {
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();

    private final QueuePair qp;
    private final CompletionQueue sendCq;
    private final CompletionQueue recvCq;
    private final SendRequests send;
    private final ReceiveRequests recv;
    private final WorkCompletions wc = new WorkCompletions(1);
    /** -e: where an empty poll sleeps; null: it spins. */
    private final CqEvents events;
    final long[] posted;
    /** Round trips counted in the sample window of a duration run. */
    long sampled;
    /** First and last post of the sample window (ns), for a duration run's average. */
    long sampleFirstNs;
    long sampleLastNs;

    LatLoop(QueuePair qp, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests send, ReceiveRequests recv,
            int iterations) {
        this(qp, sendCq, recvCq, send, recv, iterations, null);
    }

    /** @param events -e's completion channel, or null to busy-poll */
    LatLoop(QueuePair qp, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests send, ReceiveRequests recv,
            int iterations, CqEvents events) {
        this.events = events;
        this.qp = qp;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.send = send;
        this.recv = recv;
        this.posted = new long[Math.max(1, iterations)];
    }

    /**
     * write_lat: ping-pong of RDMA writes. Each side writes {@code (byte) ++scnt} into the last
     * byte of its message before posting it; the peer spins on the last byte of its receive area
     * until it reads the count it expects. The server sends first, as in perftest.
     *
     * @param sendBuf  memory holding the byte this side bumps before each post ({@code postOffset})
     * @param recvBuf  memory the peer writes, polled at {@code pollOffset}
     */
    void write(long iterations, boolean server, MemorySegment sendBuf, long postOffset, MemorySegment recvBuf,
               long pollOffset, Window w, LatencyRecorder recorder, Progress progress) {
        long scnt = 0;
        long rcnt = 0;
        long ccnt = 0;
        long prev = 0;
        begin();
        while (w.duration || scnt < iterations || ccnt < iterations || rcnt < iterations) {
            if ((w.duration || rcnt < iterations) && !(scnt < 1 && server)) {
                rcnt++;
                byte expect = (byte) rcnt;
                while ((byte) BYTE.getVolatile(recvBuf, pollOffset) != expect) {
                    long now = w.idle("the peer's RDMA write");
                    if (now != 0 && w.ended(now)) {
                        return;
                    }
                }
                w.event();
            }
            if (w.duration || scnt < iterations) {
                long t = System.nanoTime();
                if (w.duration) {
                    if (w.ended(t)) {
                        return;
                    }
                    prev = sample(t, prev, w, recorder, progress);
                } else {
                    posted[(int) scnt] = t;
                }
                BYTE.setVolatile(sendBuf, postOffset, (byte) ++scnt);
                qp.postSend(send);
            }
            if (w.duration || ccnt < iterations) {
                if (!awaitSend(w)) {
                    return;
                }
                ccnt++;
            }
        }
    }

    /**
     * send_lat: ping-pong of sends. The client sends first; each side waits for a receive,
     * re-posts it while more are due ({@code rxDepth} were posted before), then sends.
     */
    void send(long iterations, boolean client, int rxDepth, Window w, LatencyRecorder recorder, Progress progress) {
        long scnt = 0;
        long rcnt = 0;
        long prev = 0;
        begin();
        while (w.duration || scnt < iterations || rcnt < iterations) {
            if ((w.duration || rcnt < iterations) && !(scnt < 1 && client)) {
                int ne;
                while ((ne = recvCq.poll(wc)) == 0) {
                    if (events != null) {
                        events.await("the peer's send");
                        continue;
                    }
                    long now = w.idle("the peer's send");
                    if (now != 0 && w.ended(now)) {
                        return;
                    }
                }
                w.event();
                if (!wc.isSuccess(0)) {
                    throw new EngineException("receive completion with error after " + rcnt + " messages: " + wc.describe(0));
                }
                rcnt++;
                if (w.duration || rcnt + rxDepth <= iterations) {
                    qp.postReceive(recv);
                }
            }
            if (w.duration || scnt < iterations) {
                long t = System.nanoTime();
                if (w.duration) {
                    if (w.ended(t)) {
                        return;
                    }
                    prev = sample(t, prev, w, recorder, progress);
                } else {
                    posted[(int) scnt] = t;
                }
                scnt++;
                qp.postSend(send);
                if (!awaitSend(w)) {
                    return;
                }
            }
        }
    }

    /** read_lat and atomic_lat: the client alone, one request in flight, each a full round trip. */
    void request(long iterations, Window w, LatencyRecorder recorder, Progress progress) {
        long prev = 0;
        begin();
        for (long scnt = 0; w.duration || scnt < iterations; scnt++) {
            long t = System.nanoTime();
            if (w.duration) {
                if (w.ended(t)) {
                    return;
                }
                prev = sample(t, prev, w, recorder, progress);
            } else {
                posted[(int) scnt] = t;
            }
            qp.postSend(send);
            if (!awaitSend(w)) {
                return;
            }
        }
    }

    private void begin() {
        sampled = 0;
        sampleFirstNs = 0;
        sampleLastNs = 0;
    }

    /** Duration runs: records the round trip that ended at {@code t} if it lies in the sample window. */
    private long sample(long t, long prev, Window w, LatencyRecorder recorder, Progress progress) {
        if (prev != 0 && w.sampling(t)) {
            recorder.record(t - prev);
            if (sampleFirstNs == 0) {
                sampleFirstNs = prev;
            }
            sampleLastNs = t;
            sampled++;
        }
        if (w.progressDue(t)) {
            progress.at(t);
        }
        return t;
    }

    /** Waits for the one signalled send completion; false when a duration run ended meanwhile. */
    private boolean awaitSend(Window w) {
        while (sendCq.poll(wc) == 0) {
            if (events != null) {
                events.await("a send completion");
                continue;
            }
            long now = w.idle("a send completion");
            if (now != 0 && w.ended(now)) {
                return false;
            }
        }
        w.event();
        if (!wc.isSuccess(0)) {
            throw new EngineException("send completion with error: " + wc.describe(0));
        }
        return true;
    }
}
