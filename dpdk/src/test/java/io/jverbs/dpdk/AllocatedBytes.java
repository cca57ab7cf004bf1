package io.jverbs.dpdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;

/**
 * {@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes()}, reached through a
 * method handle: the tests compile inside the module, which does not read jdk.management, and a
 * reflective {@code Method.invoke} would box the result it measures.
 */
final class AllocatedBytes {
    private static final Object BEAN = ManagementFactory.getThreadMXBean();
    private static final MethodHandle CURRENT;

    static {
        try {
            CURRENT = MethodHandles.publicLookup()
                    .findVirtual(Class.forName("com.sun.management.ThreadMXBean"), "getCurrentThreadAllocatedBytes",
                            MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AllocatedBytes() {}

    /** Bytes allocated by the current thread so far. */
    static long current() {
        try {
            return (long) CURRENT.invokeExact(BEAN);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
