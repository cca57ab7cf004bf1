package io.jverbs.verbs.it;

import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** UC: RDMA write (no acknowledgement, so the data is checked by looking at the memory). */
@Tag("rdma")
class UcDataPathIT {
    @Test
    void rdmaWriteAndWriteWithImmediate() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.UC)) {
            assertEquals(QpState.RTS, p.a.state());
            assertEquals(QpType.UC, p.a.type());
            byte[] data = RcDataPathIT.pattern(2500, 5);
            MemorySegment.copy(data, 0, p.memA(), ValueLayout.JAVA_BYTE, 0, data.length);
            SendRequests send = new SendRequests(1, 1);
            send.add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, data.length).rdma(p.mrB.address(300), p.mrB.rkey());
            p.a.postSend(send);
            WorkCompletions wc = new WorkCompletions(1);
            pollUntil(p.cqA, wc, 1);
            assertEquals(1, wc.wrId(0));
            assertEquals(WcOpcode.RDMA_WRITE, wc.opcode(0));
            // A UC send completion only means the packets left: wait for them to land.
            TestDevice.await("the UC write to land", () -> Arrays.equals(data, p.memB().asSlice(300, data.length).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(0, p.memB().get(ValueLayout.JAVA_BYTE, 299));
            assertEquals(0, p.memB().get(ValueLayout.JAVA_BYTE, 300 + data.length));

            ReceiveRequests recv = new ReceiveRequests(1, 0);
            recv.add(2);
            p.b.postReceive(recv);
            byte[] more = RcDataPathIT.pattern(100, 9);
            MemorySegment.copy(more, 0, p.memA(), ValueLayout.JAVA_BYTE, 8192, more.length);
            send.clear().add(3, WrOpcode.RDMA_WRITE_WITH_IMM, SendFlags.SIGNALED).sge(p.mrA, 8192, more.length)
                    .rdma(p.mrB.address(8192), p.mrB.rkey()).immediate(0x600d);
            p.a.postSend(send);
            pollUntil(p.cqA, wc, 1);
            pollUntil(p.cqB, wc, 1);
            assertEquals(2, wc.wrId(0));
            assertEquals(WcOpcode.RECV_RDMA_WITH_IMM, wc.opcode(0));
            assertEquals(0x600d, wc.immediateData(0));
            assertArrayEquals(more, p.memB().asSlice(8192, more.length).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
