package io.jverbs.perftest.engine;

import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WorkCompletions;

/**
 * perftest's bandwidth loops ({@code run_iter_bw}, {@code run_iter_bw_server}, {@code run_iter_bi})
 * over prebuilt requests: nothing is allocated per message. The send requests of each QP are a
 * chain of {@code -l} requests built by the caller for the size; this loop patches the wr_id and
 * the SIGNALED flag in place before each post. A wr_id is {@code qp << 40 | messages posted on
 * that QP}, so a completion says exactly how many messages it covers.
 */
final class BwLoop {
    private static final long COUNT_MASK = (1L << 40) - 1;

    private final QueuePair[] qps;
    private final CompletionQueue sendCq;
    private final CompletionQueue recvCq;
    private final SendRequests[] send;
    private final ReceiveRequests[] recv;
    private final WorkCompletions wc;
    private final WorkCompletions rwc;
    /** -e: where an empty poll sleeps; null: it spins. */
    private final CqEvents events;
    /** -c XRC or DC: receives go to this SRQ (request {@code q} = receive slot q); null: to {@code qps[q]}. */
    private final SharedReceiveQueue srq;
    private final int postList;
    private final int cqMod;
    private final int txDepth;
    private final long[] scnt;
    private final long[] ccnt;
    private final long[] rposted;
    /** perftest's tposted/tcompleted, sized for the largest run. */
    final long[] posted;
    final long[] completed;
    /** Set by the loops: messages counted in the sample window (-D), first receive and last event (ns). */
    long sampled;
    long firstReceiveNs;
    long lastNs;
    /** Base send flags of the requests (INLINE or 0), without SIGNALED. */
    int baseFlags;
    /** -c DC: how each QP (a DC initiator) posts its chain; null: {@code ibv_post_send}. */
    DcPost[] dc;
    /** Receives per QP of the current run: re-posting stops there (iteration runs). */
    private long receiveLimit;

    /**
     * @param send     one chain of {@code postList} requests per QP (null for a receive-only side)
     * @param recv     one receive request per QP (null without receives)
     * @param messages the most messages of one iteration run (iterations × QPs), for the timestamps
     */
    BwLoop(QueuePair[] qps, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests[] send, ReceiveRequests[] recv,
           int postList, int cqMod, int txDepth, int messages) {
        this(qps, sendCq, recvCq, send, recv, postList, cqMod, txDepth, messages, null);
    }

    /** @param events -e's completion channel, or null to busy-poll */
    BwLoop(QueuePair[] qps, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests[] send, ReceiveRequests[] recv,
           int postList, int cqMod, int txDepth, int messages, CqEvents events) {
        this(qps, sendCq, recvCq, send, recv, postList, cqMod, txDepth, messages, events, null);
    }

    /** @param srq the SRQ of -c XRC or DC that every receive goes to, or null for each QP's own receive queue */
    BwLoop(QueuePair[] qps, CompletionQueue sendCq, CompletionQueue recvCq, SendRequests[] send, ReceiveRequests[] recv,
           int postList, int cqMod, int txDepth, int messages, CqEvents events, SharedReceiveQueue srq) {
        this.events = events;
        this.srq = srq;
        this.qps = qps;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.send = send;
        this.recv = recv;
        this.postList = postList;
        this.cqMod = cqMod;
        this.txDepth = txDepth;
        this.wc = new WorkCompletions(16);
        this.rwc = new WorkCompletions(16);
        this.scnt = new long[qps.length];
        this.ccnt = new long[qps.length];
        this.rposted = new long[qps.length];
        this.posted = new long[Math.max(1, messages)];
        this.completed = new long[Math.max(1, messages)];
    }

    /** Receives posted per QP before the run ({@code ctx_set_recv_wqes}): {@code count} each. */
    void prepostReceives(int count) {
        for (int q = 0; q < qps.length; q++) {
            for (int i = 0; i < count; i++) {
                postReceive(q);
            }
            rposted[q] = count;
        }
    }

    /**
     * Sends {@code iterations} messages on every QP (or, in a duration window, until it ends),
     * keeping at most {@code txDepth} outstanding per QP, a signalled completion every
     * {@code cqMod} messages. With {@code receiveIterations} > 0 (bidirectional send) it also
     * consumes and re-posts receives until that many arrived per QP.
     *
     * @return messages posted in total (iteration runs: iterations × QPs)
     */
    long send(long iterations, Window w, long receiveIterations, Progress progress) {
        int n = qps.length;
        long total = w.duration ? Long.MAX_VALUE : iterations * n;
        long received = 0;
        long receiveTotal = receiveIterations == 0 ? 0 : w.duration ? Long.MAX_VALUE : receiveIterations * n;
        receiveLimit = receiveIterations;
        long tots = 0;
        long totc = 0;
        sampled = 0;
        for (int q = 0; q < n; q++) {
            scnt[q] = 0;
            ccnt[q] = 0;
        }
        while (true) {
            if (w.duration) {
                long now = System.nanoTime();
                if (w.ended(now)) {
                    break;
                }
                if (w.progressDue(now)) {
                    progress.at(now);
                }
            } else if (tots >= total && totc >= total && received >= receiveTotal) {
                break;
            }
            for (int q = 0; q < n; q++) {
                while ((w.duration || scnt[q] < iterations) && scnt[q] + postList <= txDepth + ccnt[q]) {
                    SendRequests wrs = send[q];
                    long first = scnt[q];
                    for (int j = 0; j < postList; j++) {
                        long k = first + j + 1;
                        boolean signal = k % cqMod == 0 || (!w.duration && k == iterations);
                        wrs.wrId(j, (long) q << 40 | k).sendFlags(j, signal ? baseFlags | SendFlags.SIGNALED : baseFlags);
                    }
                    if (!w.duration) {
                        long t = System.nanoTime();
                        for (int j = 0; j < postList; j++) {
                            posted[(int) tots + j] = t;
                        }
                    }
                    if (dc != null) {
                        dc[q].post(wrs);
                    } else {
                        qps[q].postSend(wrs);
                    }
                    scnt[q] = first + postList;
                    tots += postList;
                }
            }
            int got = 0;
            if (receiveTotal > 0 && received < receiveTotal) {
                got = pollReceives(w, received);
                received += got;
            }
            if (totc < tots) {
                int ne = sendCq.poll(wc);
                if (ne == 0) {
                    if (events == null) {
                        w.idle("send completions");
                    } else if (got == 0) {
                        // sleep only when every CQ waited for was empty at its last poll
                        events.await("send completions");
                    }
                    continue;
                }
                long t = System.nanoTime();
                w.event();
                for (int i = 0; i < ne; i++) {
                    if (!wc.isSuccess(i)) {
                        throw completionError("send", i, totc);
                    }
                    long id = wc.wrId(i);
                    int q = (int) (id >>> 40);
                    long c = id & COUNT_MASK;
                    long delta = c - ccnt[q];
                    ccnt[q] = c;
                    if (w.duration) {
                        if (w.sampling(t)) {
                            sampled += delta;
                        }
                    } else {
                        for (long m = totc; m < totc + delta; m++) {
                            completed[(int) m] = t;
                        }
                    }
                    totc += delta;
                }
                lastNs = t;
            } else if (received < receiveTotal) {
                if (events == null) {
                    w.idle("receives");
                } else if (got == 0) {
                    events.await("receives");
                }
            }
        }
        return tots;
    }

    /**
     * The receiving side of send_bw ({@code run_iter_bw_server}): consumes {@code iterations}
     * receives per QP (or until the duration window ends), re-posting while more are due.
     *
     * @return messages received
     */
    long receive(long iterations, Window w, Progress progress) {
        long total = w.duration ? Long.MAX_VALUE : iterations * qps.length;
        long received = 0;
        receiveLimit = iterations;
        sampled = 0;
        firstReceiveNs = 0;
        while (received < total) {
            if (w.duration) {
                long now = System.nanoTime();
                if (w.ended(now)) {
                    break;
                }
                if (w.progressDue(now)) {
                    progress.at(now);
                }
            }
            int got = pollReceives(w, received);
            if (got == 0) {
                if (events == null) {
                    w.idle("receives");
                } else {
                    events.await("receives");
                }
            }
            received += got;
        }
        return received;
    }

    /** One poll of the receive CQ: re-posts what is still needed; returns how many arrived. */
    private int pollReceives(Window w, long receivedBefore) {
        int ne = recvCq.poll(rwc);
        if (ne == 0) {
            return 0;
        }
        long t = System.nanoTime();
        w.event();
        if (firstReceiveNs == 0) {
            firstReceiveNs = t;
        }
        for (int i = 0; i < ne; i++) {
            if (!rwc.isSuccess(i)) {
                throw completionError("receive", i, receivedBefore + i);
            }
            int q = (int) rwc.wrId(i);
            if (w.duration || rposted[q] < receiveLimit) {
                postReceive(q);
                rposted[q]++;
            }
        }
        if (w.sampling(t)) {
            sampled += ne;
        }
        lastNs = t;
        return ne;
    }

    private void postReceive(int q) {
        if (srq != null) {
            srq.postReceive(recv[q]);
        } else {
            qps[q].postReceive(recv[q]);
        }
    }

    private EngineException completionError(String what, int i, long count) {
        WorkCompletions c = what.equals("send") ? wc : rwc;
        return new EngineException(what + " completion with error after " + count + " messages: " + c.describe(i));
    }
}
