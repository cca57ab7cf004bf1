package io.jverbs.verbs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The fake provider of {@code native-test/stub/stub_provider.c}, built with gcc on first use into
 * {@code target/stub/libjverbs_stub.so}: a {@code struct ibv_qp} and {@code struct ibv_cq} whose
 * context's ops table points at functions that record what they were given and complete it.
 * Used by {@link StubProviderTest} and {@link PostPollBenchmark}. One instance per stub; close it.
 */
final class StubProvider implements AutoCloseable {
    private static final String SOURCE = "native-test/stub/stub_provider.c";
    /** The C baseline loops, built into the same library (without its main) for PostPollBenchmark. */
    private static final String BENCH_SOURCE = "native-test/stub/bench_c.c";

    /**
     * One request as the stub saw it ({@code struct stub_wr_record}); {@code immData} (raw, network
     * order), {@code remoteAddress}, {@code rkey}, {@code compareAdd} and {@code swap} as read for
     * the opcode, 0 where the opcode reads none.
     */
    record WrRecord(long self, long wrId, long next, boolean receive, int opcode, int sendFlags, List<Sge> sges,
                    int immData, long remoteAddress, int rkey, long compareAdd, long swap) {}

    record Sge(long addr, int length, int lkey) {}

    private static final class Lib {
        static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(build(), Arena.global());
        static final MethodHandle CREATE, DESTROY, QP, CQ, CONTEXT, POST_CALLS, WRS_POSTED, LAST_WR_ID, POLL_CALLS,
                PENDING, RECORD, SET_STATUS, DM_LIVE, MR_LIVE, PD_LIVE, SET_MAX_DM_SIZE, DM_BYTES;
        static final int MAX_SGE;
        /** Index of the first SGE field in the record. */
        static final int FIRST_SGE = 12;

        static {
            SymbolLookup lib = LOOKUP;
            Linker linker = Linker.nativeLinker();
            java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> h =
                    (name, fd) -> linker.downcallHandle(lib.findOrThrow(name), fd);
            CREATE = h.apply("stub_create", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            DESTROY = h.apply("stub_destroy", FunctionDescriptor.ofVoid(ADDRESS));
            QP = h.apply("stub_qp", FunctionDescriptor.of(ADDRESS, ADDRESS));
            CQ = h.apply("stub_cq", FunctionDescriptor.of(ADDRESS, ADDRESS));
            CONTEXT = h.apply("stub_context", FunctionDescriptor.of(ADDRESS, ADDRESS));
            POST_CALLS = h.apply("stub_post_calls", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            WRS_POSTED = h.apply("stub_wrs_posted", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            LAST_WR_ID = h.apply("stub_last_wr_id", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            POLL_CALLS = h.apply("stub_poll_calls", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            PENDING = h.apply("stub_pending", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            RECORD = h.apply("stub_record", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG));
            SET_STATUS = h.apply("stub_set_completion_status", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
            DM_LIVE = h.apply("stub_dm_live", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            MR_LIVE = h.apply("stub_mr_live", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            PD_LIVE = h.apply("stub_pd_live", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            SET_MAX_DM_SIZE = h.apply("stub_set_max_dm_size", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG));
            DM_BYTES = h.apply("stub_dm_bytes", FunctionDescriptor.of(ADDRESS, ADDRESS));
            try {
                MethodHandle maxSge = h.apply("stub_max_sge", FunctionDescriptor.of(JAVA_LONG));
                MethodHandle recordSize = h.apply("stub_record_size", FunctionDescriptor.of(JAVA_LONG));
                MAX_SGE = (int) (long) maxSge.invokeExact();
                long size = (long) recordSize.invokeExact();
                if (size != 8L * (FIRST_SGE + 3 * MAX_SGE)) {
                    throw new IllegalStateException("stub_wr_record is " + size + " bytes: update StubProvider to match " + SOURCE);
                }
            } catch (Throwable t) {
                throw new ExceptionInInitializerError(t);
            }
        }
    }

    private final MemorySegment stub;
    private boolean closed;

    /** A new stub whose QP has number {@code qpNumber}. */
    StubProvider(int qpNumber) {
        try {
            this.stub = (MemorySegment) Lib.CREATE.invokeExact(qpNumber);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (stub.address() == 0) {
            throw new OutOfMemoryError("stub_create");
        }
    }

    /** The stub library, built if needed: its symbols include bench_c.c's loops. */
    static SymbolLookup library() {
        return Lib.LOOKUP;
    }

    /** The {@code struct ibv_qp *}. */
    MemorySegment qp() { return call(Lib.QP); }

    /** The {@code struct ibv_cq *} (send and receive completions). */
    MemorySegment cq() { return call(Lib.CQ); }

    /** The {@code struct ibv_context *} whose ops the QP and CQ use. */
    MemorySegment context() { return call(Lib.CONTEXT); }

    long postCalls() { return count(Lib.POST_CALLS); }
    long wrsPosted() { return count(Lib.WRS_POSTED); }
    long lastWrId() { return count(Lib.LAST_WR_ID); }
    long pollCalls() { return count(Lib.POLL_CALLS); }
    /** Completions queued and not yet polled. */
    long pending() { return count(Lib.PENDING); }

    /** Device memory allocations not yet freed. */
    long deviceMemoryLive() { return count(Lib.DM_LIVE); }
    /** Device-memory MRs not yet deregistered. */
    long memoryRegionsLive() { return count(Lib.MR_LIVE); }
    /** PDs allocated through {@code ibv_alloc_pd} and not yet deallocated. */
    long protectionDomainsLive() { return count(Lib.PD_LIVE); }

    /** The max_dm_size the stub reports and enforces; 0 empties its device-memory slots (a provider without any). */
    void maxDeviceMemorySize(long bytes) {
        try {
            Lib.SET_MAX_DM_SIZE.invokeExact(stub, bytes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The stub's bytes behind a {@code struct ibv_dm *} it allocated, {@code length} long. */
    static MemorySegment deviceMemoryBytes(MemorySegment dm, long length) {
        try {
            return ((MemorySegment) Lib.DM_BYTES.invokeExact(dm)).reinterpret(length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Status (enum ibv_wc_status) and vendor error of the completions polled from now on. */
    void completionStatus(int status, int vendorError) {
        try {
            Lib.SET_STATUS.invokeExact(stub, status, vendorError);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The {@code i}-th request accepted since creation (the stub keeps the last 64). */
    WrRecord record(long i) {
        MemorySegment r;
        try {
            r = (MemorySegment) Lib.RECORD.invokeExact(stub, i);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        int s0 = Lib.FIRST_SGE;
        r = r.reinterpret(8L * (s0 + 3 * Lib.MAX_SGE));
        int numSge = (int) field(r, 6);
        List<Sge> sges = new ArrayList<>();
        for (int k = 0; k < Math.min(numSge, Lib.MAX_SGE); k++) {
            sges.add(new Sge(field(r, s0 + 3 * k), (int) field(r, s0 + 1 + 3 * k), (int) field(r, s0 + 2 + 3 * k)));
        }
        return new WrRecord(field(r, 0), field(r, 1), field(r, 2), field(r, 3) == 1, (int) field(r, 4),
                (int) field(r, 5), List.copyOf(sges), (int) field(r, 7), field(r, 8), (int) field(r, 9), field(r, 10),
                field(r, 11));
    }

    private static long field(MemorySegment r, int index) {
        return r.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    private MemorySegment call(MethodHandle h) {
        try {
            return (MemorySegment) h.invokeExact(stub);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private long count(MethodHandle h) {
        try {
            return (long) h.invokeExact(stub);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                Lib.DESTROY.invokeExact(stub);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
    }

    /**
     * Compiles the stub into {@code target/stub} of the working directory (the module) unless an
     * up-to-date build is there. Fails, never skips, when gcc or the verbs headers are missing.
     */
    static Path build() {
        Path source = findSource(SOURCE);
        Path bench = findSource(BENCH_SOURCE);
        Path dir = Path.of(System.getProperty("user.dir"), "target", "stub").toAbsolutePath();
        Path lib = dir.resolve("libjverbs_stub.so");
        try {
            if (Files.exists(lib) && Files.getLastModifiedTime(lib).compareTo(Files.getLastModifiedTime(source)) >= 0
                    && Files.getLastModifiedTime(lib).compareTo(Files.getLastModifiedTime(bench)) >= 0) {
                return lib;
            }
            Files.createDirectories(dir);
            // Build beside the target and rename: concurrent JVMs (JMH forks, test runs) never load a half-written file.
            Path tmp = Files.createTempFile(dir, "libjverbs_stub", ".so.tmp");
            Path log = Files.createTempFile(dir, "gcc", ".log");
            Process p;
            try {
                p = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-Wall", "-DBENCH_C_NO_MAIN", "-o", tmp.toString(),
                        source.toString(), bench.toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot run gcc to build the stub provider (" + e.getMessage()
                        + "): install the Debian packages gcc and libibverbs-dev (apt-get install gcc libibverbs-dev)", e);
            }
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                String out = Files.readString(log, StandardCharsets.UTF_8);
                String hint = out.contains("infiniband/verbs.h")
                        ? "the rdma-core headers are missing: install the Debian package libibverbs-dev"
                        : "needs the Debian packages gcc and libibverbs-dev";
                throw new IllegalStateException("gcc failed to build " + source + ": " + hint + "\n" + out);
            }
            Files.deleteIfExists(log);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return lib;
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the stub provider into " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the stub provider", e);
        }
    }

    private static Path findSource(String relative) {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve(relative);
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new IllegalStateException(relative + " not found above " + System.getProperty("user.dir")
                + ": run from inside the jverbs checkout");
    }
}
