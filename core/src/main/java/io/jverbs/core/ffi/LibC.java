package io.jverbs.core.ffi;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeException;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** The few libc functions jverbs needs: memory mapping and error strings. */
public final class LibC {
    public static final int PROT_READ = 0x1, PROT_WRITE = 0x2;
    public static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_POPULATE = 0x8000, MAP_HUGETLB = 0x40000;
    /** {@code MAP_HUGE_2MB}: log2(2 MiB) in the MAP_HUGE_SHIFT bits. */
    public static final int MAP_HUGE_2MB = 21 << 26;
    public static final int MADV_HUGEPAGE = 14;
    public static final int SC_PAGESIZE = 30;

    private static final MethodHandle MMAP = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
            Native.CAPTURE_ERRNO);
    private static final MethodHandle MUNMAP = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), Native.CAPTURE_ERRNO);
    private static final MethodHandle MADVISE = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("madvise").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), Native.CAPTURE_ERRNO);
    private static final MethodHandle STRERROR = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle POLL = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("poll").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), Native.CAPTURE_ERRNO);
    private static final MethodHandle SYSCONF = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().find("sysconf").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    private static final long PAGE_SIZE = sysconf(SC_PAGESIZE);

    private LibC() {}

    /** {@code mmap}; returns the address, or -1 (MAP_FAILED) with errno in {@link Native#lastErrno()}. */
    public static long mmap(long length, int prot, int flags) {
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(Native.errnoState(), MemorySegment.NULL, length, prot, flags, -1, 0L);
            return p.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code munmap}; returns 0 or -1 with errno in {@link Native#lastErrno()}. */
    public static int munmap(long address, long length) {
        try {
            return (int) MUNMAP.invokeExact(Native.errnoState(), MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code madvise}; returns 0 or -1 with errno in {@link Native#lastErrno()}. */
    public static int madvise(long address, long length, int advice) {
        try {
            return (int) MADVISE.invokeExact(Native.errnoState(), MemorySegment.ofAddress(address), length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code POLLIN}. */
    public static final short POLLIN = 0x1;
    private static final ThreadLocal<MemorySegment> POLLFD =
            ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate(16, 4));

    /**
     * Waits until {@code fd} is readable: {@code poll(2)} on one descriptor, restarted after EINTR
     * with the time that is left. Returns true when readable, false on timeout; a negative
     * timeout waits forever.
     */
    public static boolean awaitReadable(int fd, long timeoutMillis) {
        return awaitReadable(fd, -1, timeoutMillis) != 0;
    }

    /**
     * Waits until {@code fd1} or {@code fd2} is readable: one {@code poll(2)} on both, restarted
     * after EINTR with the time that is left. Returns a bit set (1: {@code fd1} is readable, 2:
     * {@code fd2} is), 0 on timeout; a negative timeout waits forever. A negative {@code fd2} is
     * ignored (poll(2) skips negative descriptors).
     */
    public static int awaitReadable(int fd1, int fd2, long timeoutMillis) {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        MemorySegment pfd = POLLFD.get();
        while (true) {
            pfd.set(JAVA_INT, 0, fd1);
            pfd.set(JAVA_SHORT, 4, POLLIN);
            pfd.set(JAVA_SHORT, 6, (short) 0);
            pfd.set(JAVA_INT, 8, fd2);
            pfd.set(JAVA_SHORT, 12, POLLIN);
            pfd.set(JAVA_SHORT, 14, (short) 0);
            int wait = timeoutMillis < 0 ? -1 : (int) Math.max(0, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000L));
            int rc;
            try {
                rc = (int) POLL.invokeExact(Native.errnoState(), pfd, fd2 < 0 ? 1L : 2L, wait);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (rc > 0) {
                // POLLERR/POLLHUP count as readable: the read that follows reports the error
                return (pfd.get(JAVA_SHORT, 6) != 0 ? 1 : 0) | (fd2 >= 0 && pfd.get(JAVA_SHORT, 14) != 0 ? 2 : 0);
            }
            if (rc == 0) {
                if (wait == 0 || System.nanoTime() >= deadline) return 0;
                continue;
            }
            int errno = Native.lastErrno();
            if (errno != Errno.EINTR) {
                throw new NativeException(io.jverbs.core.SystemCall.POLL, errno);
            }
        }
    }

    public static String strerror(int errno) {
        try {
            return Native.string((MemorySegment) STRERROR.invokeExact(errno));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long sysconf(int name) {
        try {
            return (long) SYSCONF.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The base page size of this machine. */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /** Downcalls throw only what the callee cannot; pass unchecked throwables on unchanged. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
