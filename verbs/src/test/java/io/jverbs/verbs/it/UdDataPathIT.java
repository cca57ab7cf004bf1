package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
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
import java.net.InetAddress;
import java.time.Duration;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Two UD QPs on the test device: datagrams addressed through an address handle with a GRH (RoCE v2). */
@Tag("rdma")
class UdDataPathIT {
    /** A UD receive buffer starts with room for the 40-byte GRH (ibv_poll_cq(3), "IBV_WC_GRH"). */
    private static final int GRH = 40;

    @Test
    void datagramArrivesAfterTheGrhWithSourceQp() throws Exception {
        PathSettings o = TestDevice.options().qkey(0x1234567);
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(16 << 10)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cqA = ctx.createCompletionQueue(16), cqB = ctx.createCompletionQueue(16);
            QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cqA));
            QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cqB));
            for (QueuePair q : new QueuePair[] {a, b}) {
                q.toInit(o);
                q.toRtr(null, o); // UD has no remote in RTR: one QP talks to any
                q.toRts(0x42, o);
                assertEquals(QpState.RTS, q.state());
            }
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            MemorySegment mem = buf.segment();

            Endpoint remote = b.endpoint(o.port(), o.gidIndex(), 0);
            AddressHandle ah = pd.createAddressHandle(remote, o);

            int len = 700; // below the 1024-byte path MTU: a UD message is one packet
            byte[] payload = RcDataPathIT.pattern(len, 77);
            MemorySegment.copy(payload, 0, mem, ValueLayout.JAVA_BYTE, 0, len);
            ReceiveRequests recv = new ReceiveRequests(1, 1);
            recv.add(500).sge(mr, 8192, GRH + 1024);
            b.postReceive(recv);
            SendRequests send = new SendRequests(1, 1);
            send.add(600, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(mr, 0, len).ud(ah, b.qpNumber(), o.qkey()).immediate(31337);
            a.postSend(send);

            WorkCompletions wc = new WorkCompletions(1);
            pollUntil(cqA, wc, 1);
            assertEquals(600, wc.wrId(0));
            assertEquals(WcOpcode.SEND, wc.opcode(0));

            pollUntil(cqB, wc, 1);
            assertEquals(500, wc.wrId(0));
            assertEquals(WcOpcode.RECV, wc.opcode(0));
            assertNotEquals(0, wc.flags(0) & WorkCompletions.FLAG_GRH, "GRH present: " + wc.describe(0));
            assertEquals(31337, wc.immediateData(0));
            assertEquals(GRH + len, wc.byteLength(0), "byte_len counts the GRH");
            assertEquals(a.qpNumber(), wc.sourceQp(0));
            assertEquals(b.qpNumber(), wc.qpNumber(0));
            assertArrayEquals(payload, mem.asSlice(8192 + GRH, len).toArray(ValueLayout.JAVA_BYTE));

            // RoCE v2 over IPv4: the first 20 bytes of the GRH slot are unused, the last 20 are the
            // IPv4 header (version 4, IHL 5, protocol UDP, our address on both ends).
            byte[] ip = InetAddress.getByName(TestDevice.ipv4()).getAddress();
            assertEquals(0x45, mem.get(ValueLayout.JAVA_BYTE, 8192 + 20) & 0xff, "IPv4 header");
            assertEquals(17, mem.get(ValueLayout.JAVA_BYTE, 8192 + 20 + 9), "protocol UDP");
            assertArrayEquals(ip, mem.asSlice(8192 + 20 + 12, 4).toArray(ValueLayout.JAVA_BYTE), "source IP");
            assertArrayEquals(ip, mem.asSlice(8192 + 20 + 16, 4).toArray(ValueLayout.JAVA_BYTE), "destination IP");
        }
    }

    @Test
    void wrongQkeyIsDroppedSilently() {
        PathSettings o = TestDevice.options().qkey(0x1111);
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(8192)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cqA = ctx.createCompletionQueue(16), cqB = ctx.createCompletionQueue(16);
            QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cqA));
            QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cqB));
            for (QueuePair q : new QueuePair[] {a, b}) {
                q.toInit(o);
                q.toRtr(null, o);
                q.toRts(0, o);
            }
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            AddressHandle ah = pd.createAddressHandle(b.endpoint(o.port(), o.gidIndex(), 0), o);
            ReceiveRequests recv = new ReceiveRequests(1, 1);
            recv.add(1).sge(mr, 4096, 4096);
            b.postReceive(recv);
            SendRequests send = new SendRequests(1, 1);
            send.add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 64).ud(ah, b.qpNumber(), 0x2222);
            a.postSend(send);
            WorkCompletions wc = new WorkCompletions(1);
            pollUntil(cqA, wc, 1); // UD: the sender completes whether or not anyone takes the datagram
            TestDevice.assertNoCompletion(cqB, Duration.ofMillis(500));
        }
    }
}
