package io.jverbs.perftest.engine;

import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
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
    /** -c XRC or DC: receives go to this SRQ; null: to {@link #qp}. */
    private final SharedReceiveQueue srq;
    final long[] posted;
    /** -c DC: how the QP (a DC initiator) posts; null: {@code ibv_post_send}. */
    DcPost dc;
    /** Round trips counted in the sample window of a duration run. */
    long sampled;
    /** First and last post of the sample window (ns), for a duration run's average. */
    long sampleFirstNs;
    long sampleLastNs;
    /** A duration run's previous post (ns), 0 before the first. */
    private long prevPostNs;

    LatLoop(QueuePair qp, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests send, ReceiveRequests recv,
            int iterations) {
        this(qp, sendCq, recvCq, send, recv, iterations, null);
    }

    /** @param events -e's completion channel, or null to busy-poll */
    LatLoop(QueuePair qp, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests send, ReceiveRequests recv,
            int iterations, CqEvents events) {
        this(qp, sendCq, recvCq, send, recv, iterations, events, null);
    }

    /** @param srq the SRQ of -c XRC or DC that receives go to, or null for the QP's own receive queue */
    LatLoop(QueuePair qp, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests send, ReceiveRequests recv,
            int iterations, CqEvents events, SharedReceiveQueue srq) {
        this.events = events;
        this.srq = srq;
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
                if (!stamp(scnt, w, recorder, progress)) {
                    return;
                }
                BYTE.setVolatile(sendBuf, postOffset, (byte) ++scnt);
                postSend();
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
        begin();
        while (w.duration || scnt < iterations || rcnt < iterations) {
            if ((w.duration || rcnt < iterations) && !(scnt < 1 && client)) {
                if (!await(recvCq, "the peer's send", w)) {
                    return;
                }
                if (!wc.isSuccess(0)) {
                    throw new EngineException("receive completion with error after " + rcnt + " messages: " + wc.describe(0));
                }
                rcnt++;
                if (w.duration || rcnt + rxDepth <= iterations) {
                    postReceive();
                }
            }
            if (w.duration || scnt < iterations) {
                if (!stamp(scnt, w, recorder, progress)) {
                    return;
                }
                scnt++;
                postSend();
                if (!awaitSend(w)) {
                    return;
                }
            }
        }
    }

    /** read_lat and atomic_lat: the client alone, one request in flight, each a full round trip. */
    void request(long iterations, Window w, LatencyRecorder recorder, Progress progress) {
        begin();
        for (long scnt = 0; w.duration || scnt < iterations; scnt++) {
            if (!stamp(scnt, w, recorder, progress)) {
                return;
            }
            postSend();
            if (!awaitSend(w)) {
                return;
            }
        }
    }

    private void postSend() {
        if (dc != null) {
            dc.post(send);
        } else {
            qp.postSend(send);
        }
    }

    /** Posts the receive request to the SRQ (XRC, DC) or the QP. */
    void postReceive() {
        if (srq != null) {
            srq.postReceive(recv);
        } else {
            qp.postReceive(recv);
        }
    }

    private void begin() {
        sampled = 0;
        sampleFirstNs = 0;
        sampleLastNs = 0;
        prevPostNs = 0;
    }

    /**
     * Takes the time of post number {@code scnt}: an iteration run stores it in {@link #posted};
     * a duration run samples the round trip since the previous post. False when the duration run
     * has ended.
     */
    private boolean stamp(long scnt, Window w, LatencyRecorder recorder, Progress progress) {
        long t = System.nanoTime();
        if (!w.duration) {
            posted[(int) scnt] = t;
            return true;
        }
        if (w.ended(t)) {
            return false;
        }
        sample(t, prevPostNs, w, recorder, progress);
        prevPostNs = t;
        return true;
    }

    /** Duration runs: records the round trip that ended at {@code t} if it lies in the sample window. */
    private void sample(long t, long prev, Window w, LatencyRecorder recorder, Progress progress) {
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
    }

    /**
     * Polls {@code cq} until it yields one completion into {@link #wc} (sleeping on the channel
     * with -e); false when a duration run ended meanwhile. {@code what} names the wait in a stall
     * error.
     */
    private boolean await(CompletionQueue cq, String what, Window w) {
        while (cq.poll(wc) == 0) {
            if (events != null) {
                events.await(what);
                continue;
            }
            long now = w.idle(what);
            if (now != 0 && w.ended(now)) {
                return false;
            }
        }
        w.event();
        return true;
    }

    /** Waits for the one signalled send completion; false when a duration run ended meanwhile. */
    private boolean awaitSend(Window w) {
        if (!await(sendCq, "a send completion", w)) {
            return false;
        }
        if (!wc.isSuccess(0)) {
            throw new EngineException("send completion with error: " + wc.describe(0));
        }
        return true;
    }
}
