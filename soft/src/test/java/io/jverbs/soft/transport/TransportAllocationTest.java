package io.jverbs.soft.transport;

import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Once warm, the transport allocates nothing per packet on either side: requester, completer and
 * responder (ACKs, READ responses, atomics), with and without losses (NAKs, go-back-N, timers).
 * The test link and completion queue allocate nothing themselves, so every byte counted would be
 * the transport's.
 */
class TransportAllocationTest {
    @ParameterizedTest(name = "loss {0}")
    @CsvSource({"0", "0.05"})
    void steadyStateAllocatesNothingPerPacket(double loss) {
        Pair p = new Pair(QpType.RC, 31, loss, loss / 5, loss, a -> {
            a.timeout = 8;
            a.minRnrTimer = 1;
        });
        long packets = 0;
        long allocated = -1;
        // Warm until C2 has compiled the paths, then measure; a few attempts, since when C2 is done
        // varies from run to run (each attempt's figure is printed).
        for (int attempt = 0; attempt < 4 && allocated != 0; attempt++) {
            rounds(p, 3_000);
            packets = p.link.sent;
            long before = AllocatedBytes.current();
            rounds(p, 300);
            allocated = AllocatedBytes.current() - before;
            packets = p.link.sent - packets;
            System.out.printf("loss %.2f, attempt %d: %d packets, %d bytes allocated; %s%n", loss, attempt, packets,
                    allocated, p.counts());
        }
        assertTrue(packets > 300 * 20, "the measured rounds carried packets: " + packets);
        assertEquals(0, allocated, "bytes allocated over " + packets + " packets");
    }

    /** Each round: a 16 KiB WRITE, a 2 KiB SEND, a 4 KiB READ and a FETCH_ADD, run to completion. */
    private static void rounds(Pair p, int n) {
        for (int r = 0; r < n; r++) {
            long now = p.clock.nanos();
            TestQps.recv(p.b, r, Pair.IOVA_B, 4096, p.keyB);
            SendWqe w = TestQps.post(p.a, now, 1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, Pair.IOVA_A, 16 * 1024, p.keyA);
            w.remoteAddress = Pair.IOVA_B + 64 * 1024;
            w.rkey = p.keyB;
            TestQps.commit(p.a, now);
            TestQps.post(p.a, now, 2, WrOpcode.SEND, SendFlags.SIGNALED, Pair.IOVA_A, 2048, p.keyA);
            TestQps.commit(p.a, now);
            w = TestQps.post(p.a, now, 3, WrOpcode.RDMA_READ, SendFlags.SIGNALED, Pair.IOVA_A + 128 * 1024, 4096, p.keyA);
            w.remoteAddress = Pair.IOVA_B + 128 * 1024;
            w.rkey = p.keyB;
            TestQps.commit(p.a, now);
            w = TestQps.post(p.a, now, 4, WrOpcode.ATOMIC_FETCH_AND_ADD, SendFlags.SIGNALED, Pair.IOVA_A + 256 * 1024, 8, p.keyA);
            w.remoteAddress = Pair.IOVA_B + 256 * 1024;
            w.rkey = p.keyB;
            w.compareAdd = 1;
            TestQps.commit(p.a, now);
            int target = p.scqA.count() + 4;
            int recvTarget = p.rcqB.count() + 1;
            long deadline = p.clock.nanos() + 10_000_000_000L;
            while (p.scqA.count() < target || p.rcqB.count() < recvTarget) {
                if (p.clock.nanos() - deadline > 0) {
                    throw new AssertionError("round " + r + " did not complete");
                }
                p.link.step(100_000);
            }
            p.scqA.skip();
            p.rcqB.skip();
        }
    }
}
