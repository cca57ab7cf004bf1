package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Create/destroy cycles must not leak file descriptors, mappings or native memory: after a
 * warm-up (JIT, malloc arenas, the provider's caches), the figures at the end match the ones
 * after the warm-up.
 *
 * <p>10,000 cycles by default, as the issue asks ({@code JVERBS_LEAK_CYCLES} sets fewer for a
 * quick local run). Under TCG one full PD+MR+CQ+QP cycle costs 20-60 ms (every verb is a write(2)
 * on the uverbs fd, and rxe maps two queue rings per QP and one per CQ), so the run takes minutes;
 * it catches a leak of one fd or mapping per cycle exactly, and a few hundred bytes per cycle of
 * memory. malloc's in-use figure moves by several MiB with the JVM's own activity (JIT, GC), so
 * its tolerance is loose.
 */
@Tag("rdma")
class LeakIT {
    /** Cycles before the first sample: JIT compilation and the provider's caches settle first. */
    private static final int WARMUP = 2000;
    private static final long RSS_TOLERANCE = 8L << 20;
    private static final long MALLOC_TOLERANCE = 8L << 20;

    /** What the process holds, read from /proc and glibc. */
    record Usage(long fds, long mappings, long rssKiB, long rssAnonKiB, long mallocInUse, long jvmCommittedKiB) {
        /**
         * Anonymous resident memory the JVM's own pools (heap, code cache, metaspace) do not
         * account for: where a native leak (malloc, provider mappings) shows.
         */
        long nativeKiB() {
            return rssAnonKiB - jvmCommittedKiB;
        }

        static Usage now() {
            // Let the GC release Arena.ofAuto() segments (WR arrays, WorkCompletions) first.
            System.gc();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // glibc keeps freed pages in its arenas (the JIT's and every thread's), which RSS
            // counts: give them back so RSS shows memory in use, not malloc's high-water mark.
            mallocTrim();
            return new Usage(count(Path.of("/proc/self/fd")), lines(Path.of("/proc/self/maps")),
                    statusKiB("VmRSS"), statusKiB("RssAnon"), mallocBytesInUse(),
                    java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
                            .mapToLong(p -> p.getUsage().getCommitted()).sum() >> 10);
        }

        /**
         * The end figures: the smallest of a few samples 2 s apart (fds and mappings from the
         * last). HotSpot frees its compiler arenas' cached chunks every few seconds, so malloc's
         * in-use figure and RSS drop by megabytes after a burst of JIT work; a leak only grows,
         * so the smallest sample still shows it.
         */
        static Usage settled() {
            Usage min = now();
            for (int i = 0; i < 3; i++) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Usage u = now();
                min = new Usage(u.fds, u.mappings, Math.min(min.rssKiB, u.rssKiB),
                        u.nativeKiB() < min.nativeKiB() ? u.rssAnonKiB : min.rssAnonKiB, Math.min(min.mallocInUse, u.mallocInUse),
                        u.nativeKiB() < min.nativeKiB() ? u.jvmCommittedKiB : min.jvmCommittedKiB);
            }
            return min;
        }

        @Override
        public String toString() {
            return String.format("fds=%d maps=%d VmRSS=%d KiB RssAnon=%d KiB (JVM pools committed %d KiB, rest %d KiB) malloc=%d KiB",
                    fds, mappings, rssKiB, rssAnonKiB, jvmCommittedKiB, nativeKiB(), mallocInUse >> 10);
        }
    }

    @Test
    void createDestroyCyclesOfPdMrCqQpLeakNothing() {
        int cycles = Integer.parseInt(System.getenv().getOrDefault("JVERBS_LEAK_CYCLES", "10000"));
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(64 << 10)) {
            Usage base = null;
            long t0 = System.nanoTime(), tWarm = 0;
            for (int i = 0; i < cycles; i++) {
                if (i == WARMUP) {
                    base = Usage.now();
                    tWarm = System.nanoTime();
                    System.out.println("leak: after " + WARMUP + " warm-up cycles: " + base);
                }
                cycle(ctx, buf, i);
            }
            long t1 = System.nanoTime();
            Usage end = Usage.settled();
            System.out.printf("leak: after %d cycles: %s%n", cycles, end);
            System.out.printf("leak: %d cycles of PD+MR+CQ+QP in %.1f s (%.0f us/cycle)%n", cycles, (t1 - t0) / 1e9,
                    (t1 - t0) / 1e3 / cycles);
            assertEquals(0, ctx.liveChildren(), "every child unregistered from the context");
            if (base == null) {
                return; // too few cycles to compare (a quick local run)
            }
            System.out.printf("leak: growth over %d cycles: fds %+d, maps %+d, VmRSS %+d KiB, RssAnon %+d KiB, RssAnon outside JVM pools %+d KiB, malloc %+d KiB (%.1f us/cycle)%n",
                    cycles - WARMUP, end.fds - base.fds, end.mappings - base.mappings, end.rssKiB - base.rssKiB,
                    end.rssAnonKiB - base.rssAnonKiB, end.nativeKiB() - base.nativeKiB(), (end.mallocInUse - base.mallocInUse) >> 10,
                    (t1 - tWarm) / 1e3 / (cycles - WARMUP));
            assertEquals(base.fds, end.fds, "open file descriptors");
            // The JVM maps and unmaps (code cache, GC) on its own: allow a little drift, far below one per cycle.
            assertTrue(Math.abs(end.mappings - base.mappings) <= 16, "mappings " + base + " -> " + end);
            assertTrue((end.nativeKiB() - base.nativeKiB()) << 10 < RSS_TOLERANCE, "RssAnon outside JVM pools " + base + " -> " + end);
            assertTrue(end.mallocInUse - base.mallocInUse < MALLOC_TOLERANCE, "malloc in use " + base + " -> " + end);
        }
    }

    /** One full cycle; the QP is taken to INIT so modify_qp state is also created and freed. */
    private static void cycle(Context ctx, NativeBuffer buf, int i) {
        ProtectionDomain pd = ctx.allocateProtectionDomain();
        MemoryRegion mr = pd.register(buf, Access.ALL_REMOTE);
        CompletionQueue cq = ctx.createCompletionQueue(16);
        QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq).maxSendWr(16).maxRecvWr(16));
        if ((i & 7) == 0) {
            qp.toInit(TestDevice.options());
            if (qp.state() != QpState.INIT) throw new AssertionError("cycle " + i + ": " + qp.state());
        }
        if (mr.lkey() == 0 && mr.rkey() == 0) throw new AssertionError("cycle " + i + ": no keys");
        // Alternate the order: the parent closing its children, and children closed first.
        if ((i & 1) == 0) {
            qp.close();
            mr.close();
            cq.close();
            pd.close();
        } else {
            pd.close(); // closes the QP and the MR
            cq.close();
        }
    }

    /**
     * 120 cycles by default (under TCG a context costs tens of milliseconds);
     * {@code JVERBS_LEAK_CONTEXT_CYCLES} sets more where opening is cheap and the JIT needs longer
     * to settle (the soft device, whose open path is Java). The first sixth is the warm-up.
     */
    @Test
    void contextOpenCloseLeaksNoFileDescriptors() {
        int cycles = Integer.parseInt(System.getenv().getOrDefault("JVERBS_LEAK_CONTEXT_CYCLES", "120"));
        Usage base = null;
        for (int i = 0; i < cycles; i++) {
            if (i == cycles / 6) base = Usage.now();
            try (Context ctx = TestDevice.open()) {
                ctx.allocateProtectionDomain();
                ctx.createCompletionChannel();
                ctx.createCompletionQueue(4);
            }
        }
        Usage end = Usage.settled();
        System.out.println("leak: context open/close x" + cycles + ": " + base + " -> " + end);
        assertEquals(base.fds, end.fds, "open file descriptors");
        assertTrue(Math.abs(end.mappings - base.mappings) <= 16, "mappings " + base + " -> " + end);
        assertTrue(end.mallocInUse - base.mallocInUse < MALLOC_TOLERANCE, "malloc in use " + base + " -> " + end);
        assertTrue((end.nativeKiB() - base.nativeKiB()) << 10 < RSS_TOLERANCE, "RssAnon outside JVM pools " + base + " -> " + end);
    }

    private static long count(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long lines(Path file) {
        try {
            return Files.readAllLines(file).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long statusKiB(String field) {
        try {
            List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
            for (String line : status) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
                }
            }
            throw new AssertionError(field + " not in /proc/self/status");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // struct mallinfo2 { size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; }
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    private static final MethodHandle MALLINFO2_FN = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("mallinfo2").orElseThrow(), FunctionDescriptor.of(MALLINFO2));

    private static final MethodHandle MALLOC_TRIM = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("malloc_trim").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

    private static void mallocTrim() {
        try {
            int ignored = (int) MALLOC_TRIM.invokeExact(0L); // 1 if memory was released; either is fine
        } catch (Throwable t) {
            throw new AssertionError("malloc_trim", t);
        }
    }

    /** Bytes malloc has handed out and not got back (all arenas, mmapped chunks included). */
    private static long mallocBytesInUse() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mi = (MemorySegment) MALLINFO2_FN.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            return mi.get(ValueLayout.JAVA_LONG, MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("uordblks")))
                    + mi.get(ValueLayout.JAVA_LONG, MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("hblkhd")));
        } catch (Throwable t) {
            throw new AssertionError("mallinfo2", t);
        }
    }
}
