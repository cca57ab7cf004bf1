package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.ffi.ibv_context_ops;
import io.jverbs.verbs.ffi.ibv_qp;
import io.jverbs.verbs.ffi.ibv_wc;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * post_send + poll_cq through the real wrappers ({@link QueuePair#postSend}, {@link
 * CompletionQueue#poll}, {@link SendRequests}, {@link WorkCompletions}) against the stub provider
 * of native-test/stub, whose ops return at once; native-test/stub/bench_c.c runs the same loops
 * in C, and the *C benchmarks call those C loops (built into the stub library) in the same run,
 * so each Java figure has its C twin measured under the same conditions. Not a unit test (no
 * @Test): run with {@code mvn -B -Pbench -pl verbs -am verify}, see native-test/stub/README.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PostPollBenchmark {
    private static final int LIST = 16;
    private static final int LKEY = 0x1234;
    /**
     * Operations per invocation, in Java and in C alike (a loop of BATCH, ~15-150 us). In
     * SampleTime mode each invocation is one sample: on a busy machine most samples run
     * undisturbed, so p0.50 is the figure to compare with bench_c's median chunk.
     */
    static final int BATCH = 1000;
    private static final MethodHandle C_PREBUILT = cLoop("bench_c_prebuilt");
    private static final MethodHandle C_REBUILD = cLoop("bench_c_rebuild");
    private static final MethodHandle C_LIST16 = cLoop("bench_c_list16");

    // uint64_t bench_c_*(struct ibv_qp *, struct ibv_cq *, long iterations)
    private static MethodHandle cLoop(String name) {
        return Linker.nativeLinker().downcallHandle(StubProvider.library().findOrThrow(name),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private StubPair pair;
    private StubProvider stub;
    private QueuePair qp;
    private CompletionQueue cq;
    private SendRequests one;
    private SendRequests prebuilt;
    private SendRequests patched;
    private SendRequests list;
    private WorkCompletions wc1;
    private WorkCompletions wc16;
    private long buffer;
    private long nextId;

    // The floor: the same two downcalls with no wrapper around them.
    private MemorySegment rawQp, rawCq, postSendFn, pollFn, prebuiltWr, bad, wcSeg;

    @Setup(Level.Trial)
    public void setUp() {
        pair = new StubPair(0x42);
        stub = pair.provider();
        qp = pair.qp();
        cq = pair.cq();
        buffer = Arena.ofAuto().allocate(4096, 64).address();
        one = new SendRequests(1, 1);
        prebuilt = new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(buffer, 64, LKEY);
        patched = new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(buffer, 64, LKEY);
        list = new SendRequests(LIST, 1);
        for (int i = 0; i < LIST; i++) {
            list.add(i, WrOpcode.SEND, SendFlags.SIGNALED).sge(buffer + 64L * i, 64, LKEY);
        }
        wc1 = new WorkCompletions(1);
        wc16 = new WorkCompletions(LIST);

        rawQp = stub.qp().reinterpret(ibv_qp.sizeof());
        rawCq = stub.cq();
        MemorySegment ops = ibv_context.ops(ibv_qp.context(rawQp).reinterpret(ibv_context.sizeof()));
        postSendFn = ibv_context_ops.post_send(ops);
        pollFn = ibv_context_ops.poll_cq(ops);
        prebuiltWr = prebuilt.segment();
        bad = MemorySegment.ofAddress(prebuilt.badAddress);
        wcSeg = wc1.segment();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (stub.pending() != 0) {
            throw new IllegalStateException(stub.pending() + " completions were never polled");
        }
        pair.close();
    }

    /** (a) in C: bench_c.c's rebuild loop. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long rebuildC() throws Throwable {
        return (long) C_REBUILD.invokeExact(rawQp, rawCq, (long) BATCH);
    }

    /** (a) Build one SEND with one SGE, post it, poll its completion, read status and wr_id. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long rebuildJava() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            one.clear().add(nextId++, WrOpcode.SEND, SendFlags.SIGNALED).sge(buffer, 64, LKEY);
            qp.postSend(one);
            sum += pollOne();
        }
        return sum;
    }

    /** (b) in C: bench_c.c's prebuilt loop. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long prebuiltC() throws Throwable {
        return (long) C_PREBUILT.invokeExact(rawQp, rawCq, (long) BATCH);
    }

    /** (b) Post the same prebuilt request, poll its completion. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long prebuiltJava() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            qp.postSend(prebuilt);
            sum += pollOne();
        }
        return sum;
    }

    /**
     * (b') jperf's way: the prebuilt request patched in place ({@link SendRequests#wrId(int, long)},
     * {@link SendRequests#sgeAddress(int, int, long)}) before each post.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long patchedJava() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            patched.wrId(0, nextId++).sgeAddress(0, 0, buffer + (i & 63));
            qp.postSend(patched);
            sum += pollOne();
        }
        return sum;
    }

    /** (b) without the wrappers: the two invokeExact calls and raw segment reads only. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long prebuiltRawFfm() throws Throwable {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            int rc = (int) Ops.POST.invokeExact(postSendFn, rawQp.address(), prebuiltWr.address(), bad.address());
            if (rc != 0) {
                throw new IllegalStateException("post_send " + rc);
            }
            int n = (int) Ops.POLL_CQ.invokeExact(pollFn, rawCq.address(), 1, wcSeg.address());
            if (n != 1 || wcSeg.get(ValueLayout.JAVA_INT, ibv_wc.status$offset()) != 0) {
                throw new IllegalStateException("poll_cq " + n);
            }
            sum += wcSeg.get(ValueLayout.JAVA_LONG, ibv_wc.wr_id$offset());
        }
        return sum;
    }

    /** (c) in C: one operation is a post of 16 and a poll of 16. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long list16C() throws Throwable {
        return (long) C_LIST16.invokeExact(rawQp, rawCq, (long) BATCH);
    }

    /** (c) Post a prebuilt chain of 16, poll 16 completions (one poll_cq call), read each. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long list16Java() {
        long sum = 0;
        for (int b = 0; b < BATCH; b++) {
            qp.postSend(list);
            int n = cq.poll(wc16);
            if (n != LIST) {
                throw new IllegalStateException("polled " + n);
            }
            for (int i = 0; i < LIST; i++) {
                if (!wc16.isSuccess(i)) {
                    throw new IllegalStateException(wc16.describe(i));
                }
                sum += wc16.wrId(i);
            }
        }
        return sum;
    }

    private long pollOne() {
        if (cq.poll(wc1) != 1 || !wc1.isSuccess(0)) {
            throw new IllegalStateException("no successful completion");
        }
        return wc1.wrId(0);
    }
}
