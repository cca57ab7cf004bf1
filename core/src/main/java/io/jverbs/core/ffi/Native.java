package io.jverbs.core.ffi;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Linker plumbing shared by every binding: the native linker, errno capture and unbound handles
 * for calling through provider function pointers (the static inline functions of verbs.h and
 * rte_ethdev.h are not exported, so Java reads the pointer and calls it).
 */
public final class Native {
    public static final Linker LINKER = Linker.nativeLinker();

    /** Pass to a downcall whose C function reports failure through {@code errno}. */
    public static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /**
     * For short calls that never block (post, poll, burst): skips the thread-state transition,
     * which is most of a downcall's overhead. Never use it for a call that can block.
     */
    public static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /** {@code void*} that can be dereferenced: a pointer to an unknown amount of memory. */
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private Native() {}

    /**
     * This thread's errno capture buffer: the first argument of every handle created with
     * {@link #CAPTURE_ERRNO}.
     */
    public static MemorySegment errnoState() {
        return CAPTURE.get();
    }

    /** The errno captured by this thread's most recent capturing downcall. */
    public static int lastErrno() {
        return (int) ERRNO.get(CAPTURE.get(), 0L);
    }

    /**
     * A handle that calls a function pointer: the target address is the first argument
     * ({@code invokeExact(MemorySegment fn, args...)}).
     */
    public static MethodHandle unbound(FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(descriptor, options);
    }

    /** True for the NULL pointer. */
    public static boolean isNull(MemorySegment pointer) {
        return pointer.address() == 0L;
    }

    /** Reads a NUL-terminated string from a zero-length native pointer, or null for NULL. */
    public static String string(MemorySegment pointer) {
        if (isNull(pointer)) {
            return null;
        }
        return pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
