package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.GidEntry;
import io.jverbs.verbs.LinkLayer;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.WorkCompletions;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The RDMA device that tests tagged {@code rdma} run on, chosen as rust-ibverbs and pyverbs
 * choose theirs, so that the same tests run in the Soft-RoCE VM and on a machine's own NIC:
 * <ul>
 *   <li>device: {@code JVERBS_RDMA_DEV}, else the first one ({@link Context#openFirst()});</li>
 *   <li>port: {@code JVERBS_RDMA_PORT}, else 1;</li>
 *   <li>GID index: {@code JVERBS_GID_INDEX}, else {@link Context#bestGid} on an Ethernet (RoCE)
 *       port and -1 (no GRH) on InfiniBand;</li>
 *   <li>IPv4 address for rdma_cm: {@code JVERBS_IPV4}, else the address in the GID when it is an
 *       IPv4-mapped RoCE v2 GID, else the first IPv4 address of the GID's netdev.</li>
 * </ul>
 * The Soft-RoCE VM sets all four variables (docs/softroce.md). Tests that depend on a capability
 * read it from {@link Context#queryDevice()} and test either the data path or the clear
 * "not supported" error; none skips.
 */
public final class TestDevice {
    private TestDevice() {}

    private record Choice(String device, int port, int gidIndex) {}

    private static Choice choice;
    private static String ipv4;

    private static synchronized Choice choice() {
        if (choice == null) {
            String name = System.getenv("JVERBS_RDMA_DEV");
            String portVar = System.getenv("JVERBS_RDMA_PORT");
            String gidVar = System.getenv("JVERBS_GID_INDEX");
            try (Context ctx = isSet(name) ? Context.open(name) : Context.openFirst()) {
                int port = isSet(portVar) ? parse("JVERBS_RDMA_PORT", portVar) : 1;
                int gid = isSet(gidVar) ? parse("JVERBS_GID_INDEX", gidVar)
                        : ctx.queryPort(port).linkLayer() == LinkLayer.ETHERNET ? ctx.bestGid(port).index() : -1;
                choice = new Choice(ctx.device().name(), port, gid);
            }
        }
        return choice;
    }

    /** The device's name. */
    public static String device() {
        return choice().device();
    }

    /** Opens the test device. */
    public static Context open() {
        return Context.open(device());
    }

    public static int port() {
        return choice().port();
    }

    public static int gidIndex() {
        return choice().gidIndex();
    }

    /** The IPv4 address rdma_cm tests bind to and connect to (dotted quad). */
    public static synchronized String ipv4() {
        if (ipv4 == null) {
            String v = System.getenv("JVERBS_IPV4");
            ipv4 = isSet(v) ? v : ipv4OfGid();
        }
        return ipv4;
    }

    private static String ipv4OfGid() {
        try (Context ctx = open()) {
            GidEntry e = gidIndex() >= 0 ? ctx.queryGid(port(), gidIndex()) : ctx.bestGid(port());
            if (e.gid().isIpv4Mapped()) {
                return InetAddress.getByAddress(e.gid().ipv4()).getHostAddress();
            }
            NetworkInterface nif = e.netdevIndex() > 0 ? NetworkInterface.getByIndex(e.netdevIndex()) : null;
            if (nif != null) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) return a.getHostAddress();
                }
            }
            throw new IllegalStateException("no IPv4 address for " + device() + " port " + port() + " (GID " + e.gid()
                    + (nif == null ? ", no netdev" : ", netdev " + nif.getName()) + "): set JVERBS_IPV4");
        } catch (IOException ex) {
            throw new IllegalStateException("cannot read the netdev of " + device() + ": set JVERBS_IPV4", ex);
        }
    }

    /**
     * True when the device's kernel driver is mlx5 (ConnectX-4 and later), whose provider has the
     * features Soft-RoCE lacks (RAW_PACKET QPs, device memory, DCT).
     */
    public static boolean isMlx5() {
        Path driver = Path.of("/sys/class/infiniband", device(), "device", "driver");
        try {
            return Files.readSymbolicLink(driver).getFileName().toString().startsWith("mlx5");
        } catch (IOException | UnsupportedOperationException e) {
            return device().startsWith("mlx5_"); // no driver link (a virtual device): the kernel's naming
        }
    }

    /** Path settings for QPs on the test device: its port and GID. */
    public static PathSettings options() {
        return new PathSettings().port(port()).gidIndex(gidIndex());
    }

    /**
     * How long a test waits for completions. TCG guests are ~100x slower than hardware and other
     * VMs may share the host's cores: generous, but never unbounded.
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Two QPs of one type on the test device, connected to each other (the device loops packets
     * back), each with its own CQ, plus one registered buffer per side. Closing it closes
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
            this.context = open();
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

    private static boolean isSet(String v) {
        return v != null && !v.isBlank();
    }

    private static int parse(String name, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(name + "=" + value + " is not a number", e);
        }
    }
}
