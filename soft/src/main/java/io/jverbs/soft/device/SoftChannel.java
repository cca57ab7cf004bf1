package io.jverbs.soft.device;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A completion channel: the queue of CQ events and the condition its waiters sleep on. A CQ
 * armed by {@code req_notify_cq} posts one event here at its next (solicited) completion,
 * from whichever thread produced it (the progress thread for remote traffic). Its descriptor (the
 * struct's {@code fd}) is an eventfd readable while an event is pending, as the kernel's channel
 * fd is, for users who poll or epoll it before {@code ibv_get_cq_event}.
 */
final class SoftChannel {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    /** Pending events: the CQ of each, in order. */
    private SoftCq[] events = new SoftCq[16];
    private int head, count;
    private boolean destroyed;
    final java.lang.foreign.Arena arena;
    final java.lang.foreign.MemorySegment struct;

    private final EventFd fd;

    SoftChannel(java.lang.foreign.Arena arena, java.lang.foreign.MemorySegment struct) {
        this.arena = arena;
        this.struct = struct;
        this.fd = new EventFd("a completion channel");
    }

    int fd() {
        return fd.fd();
    }

    /** Queues an event for {@code cq}. */
    void post(SoftCq cq) {
        lock.lock();
        try {
            if (destroyed) return;
            if (count == events.length) {
                SoftCq[] grown = new SoftCq[events.length * 2];
                for (int i = 0; i < count; i++) grown[i] = events[(head + i) % events.length];
                events = grown;
                head = 0;
            }
            events[(head + count++) % events.length] = cq;
            fd.signal();
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The next event's CQ, null after {@code timeoutNanos} (negative: wait for ever) or once destroyed. */
    SoftCq take(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (count == 0) {
                if (destroyed) return null;
                if (timeoutNanos < 0) {
                    ready.await();
                } else {
                    if (left <= 0) return null;
                    left = ready.awaitNanos(left);
                }
            }
            SoftCq cq = events[head];
            events[head] = null;
            head = (head + 1) % events.length;
            count--;
            fd.consume();
            return cq;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter for good (they return no event) and closes the descriptor. */
    void destroy() {
        lock.lock();
        try {
            destroyed = true;
            fd.close();
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

}
