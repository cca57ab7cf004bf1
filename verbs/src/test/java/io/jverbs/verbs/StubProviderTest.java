package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.verbs.ffi.ibv_recv_wr;
import io.jverbs.verbs.ffi.ibv_send_wr;
import io.jverbs.verbs.ffi.ibv_sge;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data path end to end without a device: {@link QueuePair#postSend}/{@link
 * QueuePair#postReceive} and {@link CompletionQueue#poll} against the stub provider of
 * native-test/stub, which records every field a provider reads from the WR chains and returns
 * completions for them. Proves the native layout the flyweights write and read.
 */
class StubProviderTest {
    private static final int QPN = 0x4711;
    private static final long WR = ibv_send_wr.sizeof();

    private StubPair pair;
    private StubProvider stub;
    private QueuePair qp;
    private CompletionQueue cq;

    @BeforeEach
    void open() {
        pair = new StubPair(QPN);
        stub = pair.provider();
        qp = pair.qp();
        cq = pair.cq();
    }

    @AfterEach
    void close() {
        pair.close();
    }

    @Test
    void sendChainReachesTheProviderAsBuilt() {
        SendRequests wrs = new SendRequests(4, 2);
        wrs.clear()
                .add(101, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x1000_0000L, 100, 0x11).sge(0x1000_1000L, 28, 0x12)
                .add(102, WrOpcode.RDMA_WRITE, 0).sge(0x2000_0000L, 200, 0x21).sge(0x2000_2000L, 56, 0x22)
                .rdma(0x7000_0000L, 0x77)
                .add(103, WrOpcode.RDMA_READ, SendFlags.SIGNALED | SendFlags.FENCE)
                .sge(0x3000_0000L, 300, 0x31).sge(0x3000_3000L, 4, 0x32).rdma(0x7100_0000L, 0x78);
        assertEquals(3, wrs.size());
        qp.postSend(wrs);

        assertEquals(1, stub.postCalls(), "one post_send call for the whole chain");
        assertEquals(3, stub.wrsPosted());
        assertEquals(103, stub.lastWrId());
        long base = wrs.segment().address();
        assertSend(stub.record(0), base, base + WR, 101, WrOpcode.SEND, SendFlags.SIGNALED,
                new StubProvider.Sge(0x1000_0000L, 100, 0x11), new StubProvider.Sge(0x1000_1000L, 28, 0x12));
        assertSend(stub.record(1), base + WR, base + 2 * WR, 102, WrOpcode.RDMA_WRITE, 0,
                new StubProvider.Sge(0x2000_0000L, 200, 0x21), new StubProvider.Sge(0x2000_2000L, 56, 0x22));
        assertSend(stub.record(2), base + 2 * WR, 0, 103, WrOpcode.RDMA_READ, SendFlags.SIGNALED | SendFlags.FENCE,
                new StubProvider.Sge(0x3000_0000L, 300, 0x31), new StubProvider.Sge(0x3000_3000L, 4, 0x32));

        // Fields the stub does not record, read back from the chain the provider was given.
        assertEquals(0x7000_0000L, wrs.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, WR + ibv_send_wr.wr_rdma_remote_addr$offset()));
        assertEquals(0x78, wrs.segment().get(java.lang.foreign.ValueLayout.JAVA_INT, 2 * WR + ibv_send_wr.wr_rdma_rkey$offset()));

        // Only the two SIGNALED requests complete (the stub behaves like sq_sig_all = 0).
        WorkCompletions wc = new WorkCompletions(8);
        assertEquals(2, cq.poll(wc));
        assertCompletion(wc, 0, 101, WcOpcode.SEND, 128);
        assertCompletion(wc, 1, 103, WcOpcode.RDMA_READ, 304);
        assertEquals(0, cq.poll(wc), "nothing left");
    }

    @Test
    void rebuiltChainCarriesNoStaleFields() {
        SendRequests wrs = new SendRequests(2, 2);
        wrs.add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(0x1000, 1, 1).sge(0x2000, 2, 2).rdma(0x9000, 9)
                .add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x3000, 3, 3);
        qp.postSend(wrs);
        wrs.clear().add(3, WrOpcode.SEND, 0).sge(0x4000, 4, 4);
        qp.postSend(wrs);
        StubProvider.WrRecord r = stub.record(2);
        assertEquals(3, r.wrId());
        assertEquals(0, r.next(), "a one-request chain ends at the first WR");
        assertEquals(0, r.sendFlags());
        assertEquals(List.of(new StubProvider.Sge(0x4000, 4, 4)), r.sges(), "num_sge restarts at 0");
        assertEquals(0, wrs.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, ibv_send_wr.wr_rdma_remote_addr$offset()));
    }

    @Test
    void receiveChainReachesTheProviderAsBuilt() {
        ReceiveRequests wrs = new ReceiveRequests(3, 2);
        wrs.add(201).sge(0x4000_0000L, 1000, 0x41).sge(0x4000_8000L, 24, 0x42)
                .add(202).sge(0x5000_0000L, 2000, 0x51).sge(0x5000_8000L, 48, 0x52)
                .add(203).sge(0x6000_0000L, 4096, 0x61).sge(0x6000_8000L, 0, 0x62);
        qp.postReceive(wrs);

        assertEquals(1, stub.postCalls());
        long base = wrs.segment().address();
        long rwr = ibv_recv_wr.sizeof();
        long[][] sges = {{0x4000_0000L, 1000, 0x41, 0x4000_8000L, 24, 0x42}, {0x5000_0000L, 2000, 0x51, 0x5000_8000L, 48, 0x52},
                {0x6000_0000L, 4096, 0x61, 0x6000_8000L, 0, 0x62}};
        for (int i = 0; i < 3; i++) {
            StubProvider.WrRecord r = stub.record(i);
            assertTrue(r.receive());
            assertEquals(201 + i, r.wrId());
            assertEquals(base + i * rwr, r.self());
            assertEquals(i < 2 ? base + (i + 1) * rwr : 0, r.next(), "next of request " + i);
            long[] s = sges[i];
            assertEquals(List.of(new StubProvider.Sge(s[0], (int) s[1], (int) s[2]), new StubProvider.Sge(s[3], (int) s[4], (int) s[5])),
                    r.sges(), "SGEs of request " + i);
        }

        WorkCompletions wc = new WorkCompletions(2);
        assertEquals(2, cq.poll(wc), "poll stops at the array's capacity");
        assertCompletion(wc, 0, 201, WcOpcode.RECV, 1024);
        assertCompletion(wc, 1, 202, WcOpcode.RECV, 2048);
        assertTrue(wc.opcode(0).isReceive());
        assertEquals(1, cq.poll(wc, 1));
        assertCompletion(wc, 0, 203, WcOpcode.RECV, 4096);
    }

    @Test
    void errorCompletionsDecode() {
        stub.completionStatus(WcStatus.REM_ACCESS_ERR.code(), 0x88);
        qp.postSend(new SendRequests(1, 1).add(7, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(0x1000, 8, 1).rdma(0x2000, 2));
        WorkCompletions wc = new WorkCompletions(1);
        assertEquals(1, cq.poll(wc));
        assertEquals(7, wc.wrId(0));
        assertFalse(wc.isSuccess(0));
        assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0));
        assertEquals(0x88, wc.vendorError(0));
        assertEquals("remote access error", wc.statusText(0));
    }

    @Test
    void rejectedRequestIsNamed() {
        SendRequests wrs = new SendRequests(2, 5);
        wrs.add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(0x1000, 1, 1)
                .add(2, WrOpcode.SEND, SendFlags.SIGNALED);
        for (int i = 0; i < 5; i++) {
            wrs.sge(0x2000 + i, 1, 1); // the stub takes at most 4 SGEs: EINVAL with bad_wr at request 1
        }
        VerbsException e = assertThrows(VerbsException.class, () -> qp.postSend(wrs));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("Request 1 of 2"), e.getMessage());
        assertEquals(1, stub.wrsPosted(), "the request before the bad one was posted");
    }

    @Test
    void closedWrappersRefuseBeforeTouchingNative() {
        qp.close();
        cq.close();
        assertThrows(IllegalStateException.class, () -> qp.postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, 0)));
        assertThrows(IllegalStateException.class, () -> cq.poll(new WorkCompletions(1)));
        assertEquals(0, stub.postCalls());
        assertEquals(0, stub.pollCalls());
    }

    private static void assertSend(StubProvider.WrRecord r, long self, long next, long wrId, WrOpcode op, int flags,
                                   StubProvider.Sge... sges) {
        assertFalse(r.receive());
        assertEquals(self, r.self(), "WR address");
        assertEquals(next, r.next(), "next of wr_id " + wrId);
        assertEquals(wrId, r.wrId());
        assertEquals(op.code(), r.opcode(), "opcode of wr_id " + wrId);
        assertEquals(flags, r.sendFlags(), "send_flags of wr_id " + wrId);
        assertEquals(List.of(sges), r.sges(), "SGEs of wr_id " + wrId);
        assertEquals(16, ibv_sge.sizeof());
    }

    private static void assertCompletion(WorkCompletions wc, int i, long wrId, WcOpcode op, int byteLen) {
        assertEquals(wrId, wc.wrId(i), "wr_id of completion " + i);
        assertEquals(WcStatus.SUCCESS, wc.status(i));
        assertTrue(wc.isSuccess(i));
        assertEquals(op, wc.opcode(i));
        assertEquals(byteLen, wc.byteLength(i));
        assertEquals(QPN, wc.qpNumber(i));
        assertEquals(0, wc.flags(i));
    }
}
