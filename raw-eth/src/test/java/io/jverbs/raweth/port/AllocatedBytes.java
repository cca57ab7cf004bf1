package io.jverbs.raweth.port;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;

/** The bytes the current thread has allocated so far, for tests that assert a path allocates nothing. */
public final class AllocatedBytes {
    private static final Object BEAN = ManagementFactory.getThreadMXBean();
    private static final MethodHandle ALLOCATED;

    static {
        try {
            // Through a method handle: the tests compile in the module, which does not read
            // jdk.management, and reflection would box the value it measures.
            ALLOCATED = MethodHandles.publicLookup()
                    .findVirtual(Class.forName("com.sun.management.ThreadMXBean"), "getCurrentThreadAllocatedBytes",
                            MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AllocatedBytes() {
    }

    /** {@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes()}, without boxing. */
    public static long current() {
        try {
            return (long) ALLOCATED.invokeExact(BEAN);
        } catch (Throwable e) {
            throw new IllegalStateException("ThreadMXBean.getCurrentThreadAllocatedBytes failed", e);
        }
    }
}
