package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_send_wr;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flyweights' second pass against the stub provider: patching a built chain in place (every
 * indexed setter, read back from what the provider saw), chains laid into caller memory
 * ({@code wrap}), the bounds checks, and zero allocation per operation.
 *
 * <p>Only the default mode, checks on, can be tested here: {@link BoundsChecks#ENABLED} is a
 * static final read once per JVM, and surefire's JVM runs with the default. The bench profile runs
 * the data path with {@code -Djverbs.disableBoundsChecks=true} as well (PostPollBenchmarkInterleaved),
 * which checks every completion it polls.
 */
class FlyweightTest {
    private StubPair pair;
    private StubProvider stub;
    private QueuePair qp;
    private CompletionQueue cq;

    @BeforeEach
    void open() {
        pair = new StubPair(0x99);
        stub = pair.provider();
        qp = pair.qp();
        cq = pair.cq();
    }

    @AfterEach
    void close() {
        pair.close();
    }

    private static SendRequests threeKinds(SendRequests wrs) {
        return wrs.clear()
                .add(1, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(0x1000, 10, 0x11).sge(0x2000, 20, 0x12).immediate(0x0a0b0c0d)
                .add(2, WrOpcode.RDMA_WRITE, 0).sge(0x3000, 30, 0x21).rdma(0x7000, 0x71)
                .add(3, WrOpcode.ATOMIC_FETCH_AND_ADD, SendFlags.SIGNALED).sge(0x4000, 8, 0x31).atomic(0x8000, 0x81, 5, 6);
    }

    @Test
    void sendSettersPatchTheBuiltChainInPlace() {
        SendRequests wrs = threeKinds(new SendRequests(3, 2));
        qp.postSend(wrs);
        assertEquals(0x0d0c0b0a, stub.record(0).immData(), "immediate goes out in network order");
        assertEquals(0x7000, stub.record(1).remoteAddress());
        assertEquals(0x81, stub.record(2).rkey());

        wrs.wrId(0, 101).immediate(0, 0x01020304).sgeAddress(0, 1, 0x2100).sgeLength(0, 1, 21).sgeLkey(0, 1, 0x13)
                .wrId(1, 102).sendFlags(1, SendFlags.SIGNALED | SendFlags.FENCE).remoteAddress(1, 0x7100).rkey(1, 0x72)
                .wrId(2, 103).remoteAddress(2, 0x8100).rkey(2, 0x82).compareAdd(2, 7).swap(2, 8).sgeAddress(2, 0, 0x4100);
        assertEquals(3, wrs.size(), "patching does not change the chain");
        assertEquals(102, wrs.wrId(1));
        assertEquals(SendFlags.SIGNALED | SendFlags.FENCE, wrs.sendFlags(1), "read back as patched");
        assertEquals(SendFlags.SIGNALED, wrs.sendFlags(2), "as built");
        qp.postSend(wrs);

        long base = wrs.segment().address();
        long wr = ibv_send_wr.sizeof();
        StubProvider.WrRecord a = stub.record(3), b = stub.record(4), c = stub.record(5);
        assertEquals(List.of(base, base + wr, base + 2 * wr), List.of(a.self(), b.self(), c.self()), "the same WRs were posted");
        assertEquals(List.of(base + wr, base + 2 * wr, 0L), List.of(a.next(), b.next(), c.next()), "and still chained");

        assertEquals(101, a.wrId());
        assertEquals(WrOpcode.SEND_WITH_IMM.code(), a.opcode());
        assertEquals(SendFlags.SIGNALED, a.sendFlags());
        assertEquals(0x04030201, a.immData());
        assertEquals(List.of(new StubProvider.Sge(0x1000, 10, 0x11), new StubProvider.Sge(0x2100, 21, 0x13)), a.sges());

        assertEquals(102, b.wrId());
        assertEquals(SendFlags.SIGNALED | SendFlags.FENCE, b.sendFlags());
        assertEquals(0x7100, b.remoteAddress());
        assertEquals(0x72, b.rkey(), "wr.rdma.rkey for an RDMA opcode");
        assertEquals(List.of(new StubProvider.Sge(0x3000, 30, 0x21)), b.sges());

        assertEquals(103, c.wrId());
        assertEquals(0x8100, c.remoteAddress());
        assertEquals(0x82, c.rkey(), "wr.atomic.rkey for an atomic opcode");
        assertEquals(7, c.compareAdd());
        assertEquals(8, c.swap());
        assertEquals(List.of(new StubProvider.Sge(0x4100, 8, 0x31)), c.sges());

        WorkCompletions wc = new WorkCompletions(8);
        assertEquals(5, cq.poll(wc), "2 signaled in the first post, 3 in the second");
        assertEquals(List.of(1L, 3L, 101L, 102L, 103L), List.of(wc.wrId(0), wc.wrId(1), wc.wrId(2), wc.wrId(3), wc.wrId(4)));
        assertEquals(31, wc.byteLength(2), "the patched SGE length reached the provider");
    }

    @Test
    void receiveSettersPatchTheBuiltChainInPlace() {
        ReceiveRequests wrs = new ReceiveRequests(2, 2).add(1).sge(0x1000, 100, 1).sge(0x2000, 200, 2).add(2).sge(0x3000, 300, 3);
        qp.postReceive(wrs);
        wrs.wrId(0, 11).sgeAddress(0, 1, 0x2200).sgeLength(0, 1, 220).sgeLkey(0, 1, 4).wrId(1, 12).sgeLength(1, 0, 330);
        qp.postReceive(wrs);
        StubProvider.WrRecord a = stub.record(2), b = stub.record(3);
        assertEquals(11, a.wrId());
        assertEquals(List.of(new StubProvider.Sge(0x1000, 100, 1), new StubProvider.Sge(0x2200, 220, 4)), a.sges());
        assertEquals(12, b.wrId());
        assertEquals(List.of(new StubProvider.Sge(0x3000, 330, 3)), b.sges());
        assertEquals(wrs.segment().address() + 32, a.next());
        WorkCompletions wc = new WorkCompletions(4);
        assertEquals(4, cq.poll(wc));
        assertEquals(11, wc.wrId(2));
        assertEquals(320, wc.byteLength(2));
        assertEquals(330, wc.byteLength(3));
    }

    @Test
    void addLeavesNoStaleFieldsTheOpcodeReads() {
        SendRequests wrs = threeKinds(new SendRequests(3, 2));
        qp.postSend(wrs);
        // The same slots rebuilt without the payload setters: what the provider reads is zero.
        wrs.clear().add(4, WrOpcode.SEND_WITH_IMM, 0).add(5, WrOpcode.RDMA_WRITE, 0).add(6, WrOpcode.ATOMIC_FETCH_AND_ADD, 0);
        qp.postSend(wrs);
        for (int k = 3; k < 6; k++) {
            StubProvider.WrRecord r = stub.record(k);
            assertEquals(List.of(0, 0L, 0, 0L, 0L, List.of()), List.of(r.immData(), r.remoteAddress(), r.rkey(), r.compareAdd(), r.swap(),
                    r.sges()), "request " + r.wrId());
        }
        MemorySegment s = wrs.segment();
        for (long o = 40; o < 80; o += 8) {
            assertEquals(0, s.get(ValueLayout.JAVA_LONG, 2 * ibv_send_wr.sizeof() + o), "atomic union byte " + o);
        }
        cq.poll(new WorkCompletions(8));
    }

    @Test
    void wrapLaysTheChainIntoCallerMemory() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(3 * (128 + 2 * 16) + 8, SendRequests.bytesNeeded(3, 2));
            assertEquals(2 * (32 + 16) + 8, ReceiveRequests.bytesNeeded(2, 1));
            MemorySegment mem = arena.allocate(SendRequests.bytesNeeded(3, 2) + 100, 64);
            mem.fill((byte) 0x5a); // wrap zeroes what it uses
            SendRequests wrs = threeKinds(SendRequests.wrap(mem, 3, 2));
            assertEquals(mem.address(), wrs.segment().address());
            assertEquals(3 * 128, wrs.segment().byteSize());
            qp.postSend(wrs);
            StubProvider.WrRecord r = stub.record(0);
            assertEquals(mem.address(), r.self());
            assertEquals(List.of(new StubProvider.Sge(0x1000, 10, 0x11), new StubProvider.Sge(0x2000, 20, 0x12)), r.sges());
            assertEquals(mem.address() + 3 * 128, mem.get(ValueLayout.JAVA_LONG, 16), "request 0's SGEs follow the requests");
            assertEquals(mem.address() + 3 * 128 + 2 * 16, mem.get(ValueLayout.JAVA_LONG, 128 + 16));
            assertEquals((byte) 0x5a, mem.get(ValueLayout.JAVA_BYTE, SendRequests.bytesNeeded(3, 2)), "bytes past bytesNeeded untouched");

            // The bad_wr slot lives in the caller's memory too.
            SendRequests bad = SendRequests.wrap(arena.allocate(SendRequests.bytesNeeded(2, 5), 8), 2, 5);
            bad.add(1, WrOpcode.SEND, 0).add(2, WrOpcode.SEND, 0);
            for (int i = 0; i < 5; i++) {
                bad.sge(0x1000, 1, 1); // the stub takes at most 4
            }
            VerbsException e = assertThrows(VerbsException.class, () -> qp.postSend(bad));
            assertTrue(e.getMessage().contains("Request 1 of 2"), e.getMessage());

            ReceiveRequests rr = ReceiveRequests.wrap(arena.allocate(ReceiveRequests.bytesNeeded(2, 1), 8), 2, 1);
            rr.add(7).sge(0x9000, 90, 9).add(8).sge(0x9100, 91, 9);
            qp.postReceive(rr);
            StubProvider.WrRecord second = stub.record(stub.wrsPosted() - 1);
            assertEquals(rr.segment().address() + 32, second.self());
            assertEquals(List.of(new StubProvider.Sge(0x9100, 91, 9)), second.sges());
            assertEquals(4, cq.poll(new WorkCompletions(8)), "2 signaled sends, 2 receives");
        }
    }

    @Test
    void wrapRejectsUnsuitableMemory() {
        try (Arena arena = Arena.ofConfined()) {
            long need = SendRequests.bytesNeeded(4, 2);
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> SendRequests.wrap(arena.allocate(need - 1, 64), 4, 2));
            assertEquals("SendRequests.wrap needs " + need + " bytes for this capacity and maxSge, got " + (need - 1)
                    + " (see SendRequests.bytesNeeded)", small.getMessage());
            MemorySegment odd = arena.allocate(need + 8, 64).asSlice(4);
            IllegalArgumentException misaligned = assertThrows(IllegalArgumentException.class, () -> SendRequests.wrap(odd, 4, 2));
            assertTrue(misaligned.getMessage().contains("needs 8-byte aligned memory, got address 0x"
                    + Long.toHexString(odd.address())), misaligned.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SendRequests.wrap(MemorySegment.ofArray(new long[1000]), 4, 2),
                    "heap memory: the provider cannot read it");
            assertThrows(IllegalArgumentException.class, () -> SendRequests.wrap(arena.allocate(need, 64).asReadOnly(), 4, 2));
            assertThrows(IllegalArgumentException.class, () -> SendRequests.bytesNeeded(0, 1));
            assertThrows(IllegalArgumentException.class, () -> SendRequests.bytesNeeded(1, -1));

            long rneed = ReceiveRequests.bytesNeeded(4, 2);
            IllegalArgumentException rsmall = assertThrows(IllegalArgumentException.class,
                    () -> ReceiveRequests.wrap(arena.allocate(rneed - 8, 64), 4, 2));
            assertTrue(rsmall.getMessage().startsWith("ReceiveRequests.wrap needs " + rneed + " bytes"), rsmall.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ReceiveRequests.wrap(arena.allocate(rneed + 8, 64).asSlice(2), 4, 2));
        }
    }

    @Test
    void boundsChecksAreOnByDefault() {
        assertTrue(BoundsChecks.ENABLED, "surefire runs without -D" + BoundsChecks.DISABLE_PROPERTY);
        SendRequests wrs = new SendRequests(4, 2).add(1, WrOpcode.SEND, 0).sge(0x1000, 1, 1).add(2, WrOpcode.SEND, 0);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> wrs.wrId(2, 0));
        assertEquals("request 2 out of range: 2 are built", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.wrId(-1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.remoteAddress(3, 0), "within capacity but not built");
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.rkey(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.immediate(5, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.compareAdd(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.swap(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.sendFlags(2, 0));
        IndexOutOfBoundsException sge = assertThrows(IndexOutOfBoundsException.class, () -> wrs.sgeAddress(0, 1, 0));
        assertEquals("SGE 1 out of range: 1 is built", sge.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.sgeLength(1, 0, 0), "request 1 has no SGE");
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.sgeLkey(0, -1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wrs.wrId(2));
        assertThrows(IllegalStateException.class, () -> wrs.sge(1, 1, 1).sge(2, 2, 2).sge(3, 3, 3), "maxSge is 2");
        wrs.add(3, WrOpcode.SEND, 0).add(4, WrOpcode.SEND, 0);
        assertThrows(IllegalStateException.class, () -> wrs.add(5, WrOpcode.SEND, 0), "capacity is 4");
        assertThrows(IllegalStateException.class, () -> new SendRequests(1, 1).sge(1, 1, 1), "sge before add");
        assertThrows(IllegalStateException.class, () -> new SendRequests(1, 1).rdma(1, 1), "rdma before add");

        ReceiveRequests rr = new ReceiveRequests(2, 1).add(1).sge(0x1000, 1, 1);
        assertThrows(IndexOutOfBoundsException.class, () -> rr.wrId(1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> rr.sgeAddress(0, 1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> rr.sgeLength(1, 0, 0));
        assertThrows(IllegalStateException.class, () -> rr.sge(2, 2, 2), "maxSge is 1");
        assertThrows(IllegalStateException.class, () -> rr.add(2).add(3), "capacity is 2");

        WorkCompletions wc = new WorkCompletions(2);
        assertThrows(IndexOutOfBoundsException.class, () -> wc.wrId(2));
        assertThrows(IndexOutOfBoundsException.class, () -> wc.statusCode(-1));
    }

    @Test
    void usedAfterItsArenaClosedThrowsWithChecksOn() {
        Arena arena = Arena.ofConfined();
        SendRequests wrs = SendRequests.wrap(arena.allocate(SendRequests.bytesNeeded(1, 1), 8), 1, 1).add(1, WrOpcode.SEND, 0);
        arena.close();
        assertThrows(IllegalStateException.class, () -> wrs.wrId(0, 2));
    }

    @Test
    void theDataPathAllocatesNothing() {
        long buffer = Arena.ofAuto().allocate(4096, 64).address();
        SendRequests one = new SendRequests(1, 1);
        SendRequests patched = new SendRequests(1, 1).add(0, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(buffer, 64, 1).rdma(0x1000, 2);
        ReceiveRequests recv = new ReceiveRequests(1, 1).add(0).sge(buffer, 64, 1);
        WorkCompletions wc = new WorkCompletions(1);
        int ops = 200_000;
        long best = Long.MAX_VALUE, sink = 0;
        for (int attempt = 0; attempt < 5 && best > 0; attempt++) { // the first passes warm the JIT up
            long before = AllocatedBytes.current();
            for (int i = 0; i < ops; i++) {
                one.clear().add(i, WrOpcode.SEND, SendFlags.SIGNALED).sge(buffer, 64, 1);
                qp.postSend(one);
                sink += pollOne(wc);
                patched.wrId(0, i).remoteAddress(0, 0x1000 + i).sgeLength(0, 0, i & 63);
                qp.postSend(patched);
                sink += pollOne(wc);
                recv.wrId(0, i).sgeAddress(0, 0, buffer + (i & 63));
                qp.postReceive(recv);
                sink += pollOne(wc);
            }
            best = Math.min(best, AllocatedBytes.current() - before);
        }
        assertTrue(sink != 0);
        assertTrue(best <= 0.01 * 3 * ops, best + " bytes allocated over " + 3 * ops + " post+poll operations");
    }

    private long pollOne(WorkCompletions wc) {
        if (cq.poll(wc) != 1 || !wc.isSuccess(0)) {
            throw new AssertionError("no successful completion");
        }
        return wc.wrId(0);
    }
}
