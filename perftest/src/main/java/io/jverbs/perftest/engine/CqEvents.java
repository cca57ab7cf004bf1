package io.jverbs.perftest.engine;

import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;

import java.time.Duration;

/**
 * {@code -e}: the measured loops sleep on one completion channel that both CQs report to, instead
 * of spinning on an empty poll (perftest's {@code ctx_notify_events}). Each CQ is always either
 * armed or has one event waiting on the channel: {@link #await} takes an event, re-arms the CQ it
 * is for and returns, and the caller polls again before sleeping again (arm, then poll: a
 * completion that came before the arm is found by that poll, one after it raises an event).
 * The loops sleep only when the CQs they wait for were empty at their last poll. Events are
 * acknowledged in batches; closing a CQ acknowledges the rest. Nothing is allocated per wait.
 */
final class CqEvents {
    private static final int ACK_BATCH = 64;

    private final CompletionChannel channel;
    private final CompletionQueue sendCq;
    private final CompletionQueue recvCq;
    private final Duration timeout;
    private final long stallNs;
    private int unacked;

    CqEvents(CompletionChannel channel, CompletionQueue sendCq, CompletionQueue recvCq, long stallNs) {
        this.channel = channel;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.stallNs = stallNs;
        this.timeout = Duration.ofNanos(stallNs);
    }

    /** Arms both CQs, once, before any traffic. */
    void arm() {
        sendCq.requestNotify(false);
        recvCq.requestNotify(false);
    }

    /**
     * Sleeps until a completion event arrives on either CQ and re-arms that CQ; throws
     * {@link Window.StalledException} when none came within the stall bound.
     */
    void await(String what) {
        CompletionQueue cq = channel.awaitEvent(timeout);
        if (cq == null) {
            throw new Window.StalledException(what, stallNs);
        }
        cq.requestNotify(false);
        if (++unacked >= ACK_BATCH) {
            unacked = 0;
            sendCq.ackEvents();
            recvCq.ackEvents();
        }
    }
}
