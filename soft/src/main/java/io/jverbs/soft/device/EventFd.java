package io.jverbs.soft.device;

import io.jverbs.core.Errno;
import io.jverbs.core.ffi.Native;
import io.jverbs.raweth.linux.ffi.LinuxLibc;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An {@code eventfd(2)} in semaphore mode that counts pending events, so that a user can
 * poll/epoll the soft device's completion channel and async-event descriptors as the kernel's:
 * readable exactly while an event is queued. The queue itself stays in Java; the owner signals
 * once per queued event and consumes once per event taken, under its own lock.
 */
final class EventFd implements AutoCloseable {
    private static final int FLAGS = (int) (LinuxLibc.EFD_SEMAPHORE | LinuxLibc.EFD_NONBLOCK | LinuxLibc.EFD_CLOEXEC);

    private final int fd;
    /** The 8-byte counter value read(2)/write(2) move; used under the owner's lock only. */
    private final MemorySegment value = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
    private boolean closed;

    /** @param what the descriptor's use, for the error when the process is out of descriptors */
    EventFd(String what) {
        int f = LinuxLibc.eventfd(0, FLAGS);
        if (f < 0) {
            int errno = Native.lastErrno();
            throw new ProviderException(errno, "eventfd for " + what + " failed: " + Errno.name(errno)
                    + " (the process is out of file descriptors? raise ulimit -n)");
        }
        this.fd = f;
    }

    int fd() {
        return fd;
    }

    /** One more pending event: the descriptor becomes readable. */
    void signal() {
        if (closed) return;
        value.set(ValueLayout.JAVA_LONG, 0, 1);
        // Cannot block: the counter would have to reach 2^64-2.
        LinuxLibc.write(fd, value.address(), 8);
    }

    /** One event taken: the counter drops by one (semaphore mode), unreadable at zero. */
    void consume() {
        if (closed) return;
        LinuxLibc.read(fd, value.address(), 8); // EAGAIN at zero: nothing was pending
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LinuxLibc.close(fd);
        }
    }
}
