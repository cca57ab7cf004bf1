package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three RC QPs receive from one SRQ; each completion names the QP the message came in on. */
@Tag("rdma")
class SharedReceiveQueueIT {
    private static final int PEERS = 3, SLOT = 256;

    @Test
    void messagesFromEveryPeerLandAndNameTheirQp() {
        PathSettings o = TestDevice.options();
        try (Context ctx = TestDevice.open(); NativeBuffer buf = NativeBuffer.allocate(64 << 10)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            MemorySegment mem = buf.segment();
            SharedReceiveQueue srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1));
            assertTrue(srq.query().maxWr() >= 16, "max_wr granted");
            CompletionQueue sendCq = ctx.createCompletionQueue(16), recvCq = ctx.createCompletionQueue(16);

            QueuePair[] senders = new QueuePair[PEERS], receivers = new QueuePair[PEERS];
            Map<Integer, Integer> peerOfReceiverQpn = new HashMap<>();
            for (int i = 0; i < PEERS; i++) {
                senders[i] = pd.createQueuePair(QueuePair.Config.of(QpType.RC, sendCq));
                receivers[i] = pd.createQueuePair(new QueuePair.Config(QpType.RC, sendCq, recvCq).srq(srq));
                TestDevice.connect(senders[i], receivers[i], o);
                peerOfReceiverQpn.put(receivers[i].qpNumber(), i);
            }
            // A QP on an SRQ has no receive queue of its own.
            assertThrows(IllegalStateException.class, () -> receivers[0].postReceive(new ReceiveRequests(1, 1).add(0)));

            // Receive slots 10..15 (wr_id = slot); more than needed, any of them may be taken.
            ReceiveRequests recv = new ReceiveRequests(6, 1);
            for (int s = 10; s < 16; s++) recv.add(s).sge(mr, 32768 + (long) s * SLOT, SLOT);
            srq.postReceive(recv);

            // Send in reverse peer order, so "completion i came from peer i" would be a coincidence.
            SendRequests send = new SendRequests(1, 1);
            for (int i = PEERS - 1; i >= 0; i--) {
                byte[] msg = ("hello from peer " + i).getBytes(StandardCharsets.US_ASCII);
                MemorySegment.copy(msg, 0, mem, ValueLayout.JAVA_BYTE, (long) i * SLOT, msg.length);
                send.clear().add(i, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, (long) i * SLOT, msg.length);
                senders[i].postSend(send);
            }
            WorkCompletions wc = new WorkCompletions(PEERS);
            pollUntil(sendCq, wc, PEERS);
            pollUntil(recvCq, wc, PEERS);

            Set<Integer> peersSeen = new HashSet<>();
            Set<Long> slotsUsed = new HashSet<>();
            for (int k = 0; k < PEERS; k++) {
                assertEquals(WcOpcode.RECV, wc.opcode(k));
                Integer peer = peerOfReceiverQpn.get(wc.qpNumber(k));
                assertTrue(peer != null, "qp_num names one of the SRQ's QPs: " + wc.describe(k));
                long slot = wc.wrId(k);
                assertTrue(slot >= 10 && slot < 16 && slotsUsed.add(slot), "each message takes its own SRQ slot: " + wc.describe(k));
                String expected = "hello from peer " + peer;
                assertEquals(expected.length(), wc.byteLength(k));
                byte[] got = mem.asSlice(32768 + slot * SLOT, expected.length()).toArray(ValueLayout.JAVA_BYTE);
                assertEquals(expected, new String(got, StandardCharsets.US_ASCII), "the payload belongs to the QP the CQE names");
                peersSeen.add(peer);
            }
            assertEquals(Set.of(0, 1, 2), peersSeen);

            // The three leftover receives are still there: one more message from any peer lands.
            send.clear().add(9, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 8);
            senders[1].postSend(send);
            pollUntil(sendCq, wc, 1);
            pollUntil(recvCq, wc, 1);
            assertEquals(receivers[1].qpNumber(), wc.qpNumber(0));
            assertTrue(wc.wrId(0) >= 10 && wc.wrId(0) < 16 && !slotsUsed.contains(wc.wrId(0)), wc.describe(0));
        }
    }
}
