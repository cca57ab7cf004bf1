package io.jverbs.verbs.it;

import io.jverbs.verbs.QpType;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Send/receive and RDMA write/read between two RC QPs looped back on the test device. */
@Tag("rdma")
class RcDataPathIT {
    private TestDevice.Pair p;
    private final SendRequests send = new SendRequests(4, 2);
    private final ReceiveRequests recv = new ReceiveRequests(4, 1);
    private final WorkCompletions wc = new WorkCompletions(8);

    @BeforeEach
    void connect() {
        p = TestDevice.pair(QpType.RC, TestDevice.options(), c -> c.maxInlineData(128));
    }

    @AfterEach
    void close() {
        if (p != null) p.close();
    }

    /** A recognisable, non-repeating pattern so misplaced or truncated bytes show. */
    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte) (i * 31 + seed + (i >>> 8));
        return b;
    }

    static byte[] read(MemorySegment m, long offset, int length) {
        return m.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    static void write(MemorySegment m, long offset, byte[] data) {
        MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, offset, data.length);
    }

    @Test
    void sendArrivesIntactWithLengthOpcodeAndWrId() {
        byte[] msg = pattern(3000, 7); // more than one 1024-byte MTU: segmented and reassembled
        write(p.memA(), 0, msg);
        recv.clear().add(0xabcdef01L).sge(p.mrB, 100, 4096);
        p.b.postReceive(recv);
        send.clear().add(42, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, 0, msg.length);
        p.a.postSend(send);

        pollUntil(p.cqA, wc, 1);
        assertEquals(42, wc.wrId(0));
        assertEquals(WcOpcode.SEND, wc.opcode(0));
        assertEquals(p.a.qpNumber(), wc.qpNumber(0));

        pollUntil(p.cqB, wc, 1);
        assertEquals(0xabcdef01L, wc.wrId(0));
        assertEquals(WcOpcode.RECV, wc.opcode(0));
        assertEquals(msg.length, wc.byteLength(0));
        assertEquals(p.b.qpNumber(), wc.qpNumber(0));
        assertEquals(0, wc.flags(0) & WorkCompletions.FLAG_WITH_IMM);
        assertArrayEquals(msg, read(p.memB(), 100, msg.length));
        assertEquals(0, p.memB().get(ValueLayout.JAVA_BYTE, 100 + msg.length), "nothing written past byte_len");
    }

    @Test
    void sendGathersTwoSges() {
        byte[] head = pattern(100, 1), tail = pattern(200, 2);
        write(p.memA(), 0, head);
        write(p.memA(), 8192, tail);
        recv.clear().add(7).sge(p.mrB, 0, 1024);
        p.b.postReceive(recv);
        send.clear().add(8, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, 0, head.length).sge(p.mrA, 8192, tail.length);
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 1);
        pollUntil(p.cqB, wc, 1);
        assertEquals(300, wc.byteLength(0));
        assertArrayEquals(head, read(p.memB(), 0, 100));
        assertArrayEquals(tail, read(p.memB(), 100, 200));
    }

    @Test
    void inlineSendNeedsNoLkeyAndArrivesIntact() {
        assertTrue(p.a.capabilities().maxInlineData() >= 64, "the provider grants inline data: " + p.a.capabilities());
        byte[] msg = pattern(64, 99);
        write(p.memA(), 0, msg);
        recv.clear().add(5).sge(p.mrB, 0, 256);
        p.b.postReceive(recv);
        // lkey 0 is not a valid key: with INLINE the provider copies the bytes and never uses it.
        send.clear().add(6, WrOpcode.SEND, SendFlags.SIGNALED | SendFlags.INLINE).sge(p.mrA.address(), msg.length, 0);
        p.a.postSend(send);
        // The payload was copied at post time: clobbering the source now must not change what arrives.
        p.memA().asSlice(0, msg.length).fill((byte) 0);

        pollUntil(p.cqA, wc, 1);
        assertEquals(6, wc.wrId(0));
        pollUntil(p.cqB, wc, 1);
        assertEquals(WcOpcode.RECV, wc.opcode(0));
        assertEquals(5, wc.wrId(0));
        assertEquals(msg.length, wc.byteLength(0));
        assertArrayEquals(msg, read(p.memB(), 0, msg.length));
    }

    @Test
    void sendWithImmediateCarriesTheValue() {
        recv.clear().add(11).sge(p.mrB, 0, 64);
        p.b.postReceive(recv);
        write(p.memA(), 0, pattern(16, 3));
        send.clear().add(12, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(p.mrA, 0, 16).immediate(0xcafef00d);
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 1);
        pollUntil(p.cqB, wc, 1);
        assertEquals(WcOpcode.RECV, wc.opcode(0));
        assertEquals(WorkCompletions.FLAG_WITH_IMM, wc.flags(0) & WorkCompletions.FLAG_WITH_IMM);
        assertEquals(0xcafef00d, wc.immediateData(0));
        assertArrayEquals(pattern(16, 3), read(p.memB(), 0, 16));
    }

    @Test
    void rdmaWritePlacesDataWithoutAReceive() {
        byte[] data = pattern(5000, 21);
        write(p.memA(), 0, data);
        send.clear().add(77, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, data.length)
                .rdma(p.mrB.address(1000), p.mrB.rkey());
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 1);
        assertEquals(77, wc.wrId(0));
        assertEquals(WcOpcode.RDMA_WRITE, wc.opcode(0));
        // RC: the completion means the responder acknowledged, so the data is in place.
        assertArrayEquals(data, read(p.memB(), 1000, data.length));
        assertEquals(0, p.memB().get(ValueLayout.JAVA_BYTE, 999));
        assertEquals(0, p.memB().get(ValueLayout.JAVA_BYTE, 1000 + data.length));
        TestDevice.assertNoCompletion(p.cqB, java.time.Duration.ofMillis(100));
    }

    @Test
    void rdmaReadFetchesRemoteData() {
        byte[] data = pattern(4000, 55);
        write(p.memB(), 2048, data);
        send.clear().add(88, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(p.mrA, 512, data.length)
                .rdma(p.mrB.address(2048), p.mrB.rkey());
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 1);
        assertEquals(88, wc.wrId(0));
        assertEquals(WcOpcode.RDMA_READ, wc.opcode(0));
        assertArrayEquals(data, read(p.memA(), 512, data.length));
        assertEquals(0, p.memA().get(ValueLayout.JAVA_BYTE, 511));
        assertEquals(0, p.memA().get(ValueLayout.JAVA_BYTE, 512 + data.length));
    }

    @Test
    void rdmaWriteWithImmediateCompletesAtTheReceiver() {
        byte[] data = pattern(1500, 13);
        write(p.memA(), 0, data);
        // The immediate consumes a receive; its buffer stays untouched (no SGE needed at all).
        recv.clear().add(0x5150);
        p.b.postReceive(recv);
        send.clear().add(99, WrOpcode.RDMA_WRITE_WITH_IMM, SendFlags.SIGNALED).sge(p.mrA, 0, data.length)
                .rdma(p.mrB.address(4096), p.mrB.rkey()).immediate(0x80000001);
        p.a.postSend(send);

        pollUntil(p.cqA, wc, 1);
        assertEquals(99, wc.wrId(0));
        assertEquals(WcOpcode.RDMA_WRITE, wc.opcode(0));

        pollUntil(p.cqB, wc, 1);
        assertEquals(0x5150, wc.wrId(0));
        assertEquals(WcOpcode.RECV_RDMA_WITH_IMM, wc.opcode(0));
        assertNotEquals(0, wc.flags(0) & WorkCompletions.FLAG_WITH_IMM, wc.describe(0));
        assertEquals(0x80000001, wc.immediateData(0), "host order, sign bit included");
        assertEquals(data.length, wc.byteLength(0), "byte_len of a write-with-immediate is the bytes written");
        assertArrayEquals(data, read(p.memB(), 4096, data.length));
    }

    @Test
    void chainOfRequestsPostsWithOneCall() {
        recv.clear();
        for (int i = 0; i < 3; i++) recv.add(100 + i).sge(p.mrB, i * 256L, 256);
        p.b.postReceive(recv);
        send.clear();
        for (int i = 0; i < 3; i++) {
            write(p.memA(), i * 256L, pattern(256, i));
            send.add(200 + i, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, i * 256L, 256);
        }
        p.a.postSend(send);
        pollUntil(p.cqA, wc, 3);
        for (int i = 0; i < 3; i++) assertEquals(200 + i, wc.wrId(i), "RC completes sends in order");
        pollUntil(p.cqB, wc, 3);
        for (int i = 0; i < 3; i++) {
            assertEquals(100 + i, wc.wrId(i), "receives are consumed in order");
            assertArrayEquals(pattern(256, i), read(p.memB(), i * 256L, 256));
        }
    }
}
