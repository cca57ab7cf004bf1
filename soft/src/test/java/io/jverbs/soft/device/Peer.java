package io.jverbs.soft.device;

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
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One end of a conformance case through the public verbs API: a context on a soft device, PD,
 * CQ, one QP and registered memory, and the checks of what its CQ returns.
 */
record Peer(Context ctx, ProtectionDomain pd, CompletionQueue cq, QueuePair qp, NativeBuffer buf, MemoryRegion mr)
        implements AutoCloseable {
    private static final long WC = io.jverbs.verbs.ffi.ibv_wc.sizeof();

    /** A peer whose memory ({@code bytes}) is registered with {@code access}. */
    static Peer open(String device, QpType type, int bytes, int access) {
        Context ctx = Context.open(device);
        ProtectionDomain pd = ctx.allocateProtectionDomain();
        CompletionQueue cq = ctx.createCompletionQueue(512);
        QueuePair qp = pd.createQueuePair(QueuePair.Config.of(type, cq).maxSendWr(128).maxRecvWr(128));
        NativeBuffer buf = NativeBuffer.allocate(bytes);
        MemoryRegion mr = pd.register(buf, access);
        return new Peer(ctx, pd, cq, qp, buf, mr);
    }

    static Peer open(String device, QpType type, int bytes) {
        return open(device, type, bytes, Access.LOCAL_WRITE | Access.ALL_REMOTE);
    }

    /**
     * Connects two RC or UC QPs, {@code a}'s send PSN {@code psnA} and {@code b}'s {@code psnB},
     * each with its own path settings (the requester's timeout and retry counts, the responder's
     * RNR timer).
     */
    static void connect(Peer a, PathSettings pa, int psnA, Peer b, PathSettings pb, int psnB) {
        Endpoint ea = a.qp.endpoint(1, 1, psnA), eb = b.qp.endpoint(1, 1, psnB);
        a.qp.connect(ea, eb, pa);
        b.qp.connect(eb, ea, pb);
    }

    /** Polls until {@code n} completions arrived or {@code seconds} passed, then fails naming how many came. */
    WorkCompletions await(int n, int seconds) {
        WorkCompletions wc = new WorkCompletions(n);
        WorkCompletions one = new WorkCompletions(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int got = 0;
        while (got < n) {
            if (cq.poll(one) == 1) {
                MemorySegment.copy(one.segment(), 0, wc.segment(), got++ * WC, WC);
            } else if (System.nanoTime() > deadline) {
                fail("only " + got + " of " + n + " completions within " + seconds + " s");
            } else {
                Thread.onSpinWait();
            }
        }
        return wc;
    }

    /** Asserts the CQ stays empty for {@code millis}. */
    void assertNoCompletion(int millis) throws InterruptedException {
        Thread.sleep(millis);
        WorkCompletions wc = new WorkCompletions(1);
        if (cq.poll(wc) != 0) {
            fail("an unexpected completion: " + wc.describe(0));
        }
    }

    /**
     * Completion {@code i} is {@code wrId}'s with {@code status} on this QP, vendor_err 0 (rxe never
     * sets it); a successful one also has {@code opcode} and {@code byteLength} (on an error only
     * wr_id, status, qp_num and vendor_err are defined, verbs says).
     */
    void expect(WorkCompletions wc, int i, long wrId, WcStatus status, WcOpcode opcode, int byteLength) {
        String d = wc.describe(i);
        assertEquals(status, wc.status(i), d);
        assertEquals(wrId, wc.wrId(i), d);
        assertEquals(qp.qpNumber(), wc.qpNumber(i), d);
        assertEquals(0, wc.vendorError(i), d);
        if (status == WcStatus.SUCCESS) {
            assertEquals(opcode, wc.opcode(i), d);
            assertEquals(byteLength, wc.byteLength(i), d);
        }
    }

    /** Fills {@code length} bytes from {@code offset} with a pattern of {@code seed}. */
    void fill(long offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            buf.segment().set(ValueLayout.JAVA_BYTE, offset + i, (byte) (seed * 31 + i * 7 + (i >>> 8)));
        }
    }

    /** Asserts {@code length} bytes at {@code offset} equal {@code other}'s at {@code otherOffset}. */
    void assertSameBytes(long offset, Peer other, long otherOffset, int length) {
        long m = MemorySegment.mismatch(buf.segment(), offset, offset + length, other.buf.segment(), otherOffset, otherOffset + length);
        assertTrue(m < 0, "the bytes differ from byte " + m + " of " + length);
    }

    @Override
    public void close() {
        buf.close();
        ctx.close();
    }
}
