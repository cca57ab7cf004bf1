package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.WorkCompletions;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** The device the Soft-RoCE VM provides, from the variables native-test/softroce-vm.sh sets. */
public final class SoftRoce {
    private SoftRoce() {}

    public static String device() {
        return require("JVERBS_RDMA_DEV");
    }

    public static int gidIndex() {
        return Integer.parseInt(require("JVERBS_GID_INDEX"));
    }

    public static String ipv4() {
        return require("JVERBS_IPV4");
    }

    /** Options for QPs on the VM's device: port 1, its RoCE v2 GID. */
    public static PathSettings options() {
        return new PathSettings().port(1).gidIndex(gidIndex());
    }

    /**
     * How long a test waits for completions. TCG guests are ~100x slower than hardware and other
     * VMs may share the host's cores: generous, but never unbounded.
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Two QPs of one type on the VM's device, connected to each other (rxe loops packets back on
     * one device), each with its own CQ, plus one registered buffer per side. Closing it closes
     * the context and so everything created from it.
     */
    public static final class Pair implements AutoCloseable {
        public final Context context;
        public final ProtectionDomain pd;
        public final CompletionQueue cqA, cqB;
        public final QueuePair a, b;
        public final NativeBuffer bufA, bufB;
        public final MemoryRegion mrA, mrB;
        public final PathSettings options;

        Pair(QpType type, PathSettings options, int bufferSize, java.util.function.UnaryOperator<QueuePair.Config> config) {
            this.options = options;
            this.context = Context.open(device());
            try {
                pd = context.allocateProtectionDomain();
                cqA = context.createCompletionQueue(64);
                cqB = context.createCompletionQueue(64);
                a = pd.createQueuePair(config.apply(QueuePair.Config.of(type, cqA)));
                b = pd.createQueuePair(config.apply(QueuePair.Config.of(type, cqB)));
                connect(a, b, options);
                bufA = NativeBuffer.allocate(bufferSize);
                bufB = NativeBuffer.allocate(bufferSize);
                mrA = pd.register(bufA, Access.ALL_REMOTE);
                mrB = pd.register(bufB, Access.ALL_REMOTE);
            } catch (RuntimeException | Error e) {
                closeQuietly(e);
                throw e;
            }
        }

        public MemorySegment memA() {
            return bufA.segment();
        }

        public MemorySegment memB() {
            return bufB.segment();
        }

        private void closeQuietly(Throwable cause) {
            try {
                close();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }

        @Override
        public void close() {
            // Buffers are not children of the context: unmap them after the MRs are gone.
            try {
                context.close();
            } finally {
                if (bufA != null) bufA.close();
                if (bufB != null) bufB.close();
            }
        }
    }

    /** An RC (or UC) pair with 64 KiB buffers and default QP settings. */
    public static Pair pair(QpType type) {
        return pair(type, options());
    }

    public static Pair pair(QpType type, PathSettings options) {
        return new Pair(type, options, 64 << 10, c -> c);
    }

    /** A pair whose QP configs are adjusted by {@code config} (queue sizes, inline data, ...). */
    public static Pair pair(QpType type, PathSettings options, java.util.function.UnaryOperator<QueuePair.Config> config) {
        return new Pair(type, options, 64 << 10, config);
    }

    /** Connects two QPs of a connected type (RC, UC) to each other; PSNs differ to catch mix-ups. */
    public static void connect(QueuePair a, QueuePair b, PathSettings o) {
        Endpoint ea = a.endpoint(o.port(), o.gidIndex(), 0x1000 + a.qpNumber());
        Endpoint eb = b.endpoint(o.port(), o.gidIndex(), 0x2000 + b.qpNumber());
        a.connect(ea, eb, o);
        b.connect(eb, ea, o);
    }

    /**
     * Polls {@code cq} until {@code n} completions sit in {@code wc[0..n)}, failing with what was
     * collected on timeout or when one of them did not succeed.
     */
    public static void pollUntil(CompletionQueue cq, WorkCompletions wc, int n, Duration timeout) {
        awaitCompletions(cq, wc, n, timeout);
        for (int i = 0; i < n; i++) {
            if (!wc.isSuccess(i)) {
                fail("completion " + i + " of " + n + " failed: " + describe(wc, n));
            }
        }
    }

    public static void pollUntil(CompletionQueue cq, WorkCompletions wc, int n) {
        pollUntil(cq, wc, n, TIMEOUT);
    }

    /**
     * Polls {@code cq} until {@code n} completions, successful or not, sit in {@code wc[0..n)};
     * fails on timeout. For tests that expect error completions.
     */
    public static void awaitCompletions(CompletionQueue cq, WorkCompletions wc, int n, Duration timeout) {
        if (n > wc.capacity()) {
            throw new IllegalArgumentException("wc holds " + wc.capacity() + " completions, asked for " + n);
        }
        WorkCompletions scratch = new WorkCompletions(Math.max(1, n));
        long wcSize = wc.segment().byteSize() / wc.capacity();
        long deadline = System.nanoTime() + timeout.toNanos();
        int have = 0;
        int idle = 0;
        while (have < n) {
            int got = cq.poll(scratch, n - have);
            if (got > 0) {
                MemorySegment.copy(scratch.segment(), 0, wc.segment(), have * wcSize, got * wcSize);
                have += got;
                idle = 0;
                continue;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " with " + have + " of " + n + " completions: " + describe(wc, have));
            }
            // The rxe kernel threads need the guest's vCPUs: back off instead of spinning hard.
            if (++idle < 64) Thread.onSpinWait(); else LockSupport.parkNanos(100_000);
        }
    }

    public static void awaitCompletions(CompletionQueue cq, WorkCompletions wc, int n) {
        awaitCompletions(cq, wc, n, TIMEOUT);
    }

    /** Asserts that no completion arrives on {@code cq} within {@code quiet}. */
    public static void assertNoCompletion(CompletionQueue cq, Duration quiet) {
        WorkCompletions wc = new WorkCompletions(1);
        long deadline = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (cq.poll(wc) > 0) {
                fail("unexpected completion: " + wc.describe(0));
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@link #TIMEOUT}. */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + TIMEOUT + " waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** The first {@code n} completions, one per line, for failure messages. */
    public static String describe(WorkCompletions wc, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("\n  [").append(i).append("] ").append(wc.describe(i));
        }
        return n == 0 ? "(none)" : sb.toString();
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(name + " is not set: softroce-tagged tests run inside the Soft-RoCE VM"
                    + " (mvn -Psoftroce verify, or native-test/softroce-vm.sh -- <command>)");
        }
        return v;
    }
}
