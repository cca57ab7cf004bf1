package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UC (no ACKs; a lost packet drops the rest of its message) and UD (DETH, Q_Key, the GRH's 40 bytes). */
class UcUdTest {
    static final long IOVA = 0x4000;
    final ManualClock clock = new ManualClock();
    final MemoryKeys keys = new MemoryKeys(4);
    final MemorySegment memory = TestQps.region(64 * 1024, 3);
    final int key = keys.register(memory, IOVA, Access.ALL_REMOTE, TestQps.PD);
    final Capture wire = new Capture();
    final Completions scq = new Completions();
    final Completions rcq = new Completions();

    TransportPacket in(Opcode op, int destQp, int psn, int offset, int length) {
        TransportPacket p = new TransportPacket();
        p.opcode = op;
        p.destQp = destQp;
        p.psn = psn;
        p.payload = memory;
        p.payloadOffset = offset;
        p.payloadLength = length;
        return p;
    }

    @Test
    void ucRequestsHaveNoAckReqAndCompleteWhenSent() {
        SoftQp qp = TestQps.connect(QpType.UC, 0x21, 0x22, 10, 0, keys, wire, scq, rcq, null);
        TestQps.post(qp, 0, 1, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 2500, key);
        TestQps.commit(qp, 0);
        SendWqe w = TestQps.post(qp, 0, 2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED, IOVA, 10, key);
        w.remoteAddress = 0x100;
        w.rkey = 5;
        TestQps.commit(qp, 0);
        qp.poll(0);
        assertEquals("""
                UC_SEND_FIRST 10 1024
                UC_SEND_MIDDLE 11 1024
                UC_SEND_LAST 12 452
                UC_RDMA_WRITE_ONLY 13 10
                """, Capture.shape(wire.take()));
        List<Completions.Wc> wc = scq.take();
        assertEquals(List.of(new Completions.Wc(0x21, 1, WcStatus.SUCCESS, WcOpcode.SEND, 2500, 0, 0, 0),
                new Completions.Wc(0x21, 2, WcStatus.SUCCESS, WcOpcode.RDMA_WRITE, 10, 0, 0, 0)), wc);
        TestQps.post(qp, 0, 3, WrOpcode.RDMA_READ, SendFlags.SIGNALED, IOVA, 10, key);
        assertEquals(22, qp.postSend(0), "UC has no READ: EINVAL");
    }

    @Test
    void ucDropsTheRestOfAMessageAfterALostPacketAndReusesItsReceive() {
        SoftQp qp = TestQps.connect(QpType.UC, 0x22, 0x21, 0, 10, keys, wire, scq, rcq, null);
        TestQps.recv(qp, 7, IOVA + 32 * 1024, 4096, key);
        qp.receive(0, in(Opcode.UC_SEND_FIRST, 0x22, 10, 0, 1024));
        // 11 (MIDDLE) is lost
        qp.receive(0, in(Opcode.UC_SEND_LAST, 0x22, 12, 0, 100));
        assertEquals(0, rcq.pending(), "the broken message completes nothing");
        qp.receive(0, in(Opcode.UC_SEND_ONLY, 0x22, 13, 500, 20));
        assertEquals(List.of(new Completions.Wc(0x22, 7, WcStatus.SUCCESS, WcOpcode.RECV, 20, 0, 0, 0)), rcq.take());
        assertEquals(-1, memory.asSlice(32 * 1024, 20).mismatch(memory.asSlice(500, 20)));
        assertEquals(0, wire.take().size(), "UC never answers");
        assertEquals(QpState.RTS, qp.state());
        // A WRITE with a bad rkey is dropped too, not NAKed.
        TransportPacket w = in(Opcode.UC_RDMA_WRITE_ONLY, 0x22, 14, 0, 8);
        w.rkey = key + 1;
        w.va = IOVA;
        w.dmaLength = 8;
        qp.receive(0, w);
        assertEquals(0, wire.take().size());
        assertEquals(QpState.RTS, qp.state());
    }

    @Test
    void udSendsCarryDethAndTheRequestsAddress() {
        SoftQp qp = TestQps.connect(QpType.UD, 0x31, 0, 77, 0, keys, wire, scq, rcq, a -> a.qkey = 0x1234);
        SendWqe w = TestQps.post(qp, 0, 1, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED, IOVA, 100, key);
        w.udAddress = 0x0A00_0009L;
        w.udRemoteQpn = 0x99;
        w.udRemoteQkey = 0x5555;
        w.imm = 3;
        TestQps.commit(qp, 0);
        w = TestQps.post(qp, 0, 2, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 8, key);
        w.udRemoteQpn = 0x98;
        w.udRemoteQkey = 0x8000_0000; // high bit: the QP's own Q_Key
        TestQps.commit(qp, 0);
        TestQps.post(qp, 0, 3, WrOpcode.SEND, SendFlags.SIGNALED, IOVA, 1025, key);
        TestQps.commit(qp, 0);
        qp.poll(0);
        List<Capture.Sent> out = wire.take();
        assertEquals("""
                UD_SEND_ONLY_WITH_IMMEDIATE 77 100
                UD_SEND_ONLY 78 8
                """, Capture.shape(out));
        TransportPacket p = out.getFirst().packet();
        assertEquals(0x0A00_0009L, p.address);
        assertEquals(0x99, p.destQp);
        assertEquals(0x5555, p.qkey);
        assertEquals(0x31, p.srcQp);
        assertEquals(3, p.imm);
        assertEquals(0x1234, out.get(1).packet().qkey);
        List<Completions.Wc> wc = scq.take();
        assertEquals(WcStatus.SUCCESS, wc.get(0).status());
        assertEquals(WcStatus.SUCCESS, wc.get(1).status());
        assertEquals(new Completions.Wc(0x31, 3, WcStatus.LOC_LEN_ERR, WcOpcode.SEND, 0, 0, 0, 0), wc.get(2),
                "a UD message longer than the path MTU");
        assertEquals(QpState.RTS, qp.state(), "UD goes on after a local length error");
    }

    @Test
    void udReceivesLeaveTheGrhSpaceCheckTheQkeyAndReportTheSource() {
        SoftQp qp = TestQps.connect(QpType.UD, 0x32, 0, 0, 0, keys, wire, scq, rcq, a -> a.qkey = 0x1234);
        TestQps.recv(qp, 1, IOVA + 16 * 1024, 40 + 100, key);
        TestQps.recv(qp, 2, IOVA + 20 * 1024, 40 + 50, key);
        TransportPacket p = in(Opcode.UD_SEND_ONLY_WITH_IMMEDIATE, 0x32, 5, 1000, 100);
        p.qkey = 0x9999;
        p.srcQp = 0x31;
        p.imm = 9;
        qp.receive(0, p);
        assertEquals(0, rcq.pending(), "a wrong Q_Key is dropped");
        p.qkey = 0x1234;
        qp.receive(0, p);
        assertEquals(List.of(new Completions.Wc(0x32, 1, WcStatus.SUCCESS, WcOpcode.RECV, 140, 9, 0x31,
                CompletionSink.WC_WITH_IMM)), rcq.take());
        assertEquals(-1, memory.asSlice(16 * 1024 + 40, 100).mismatch(memory.asSlice(1000, 100)), "the payload after 40 bytes");
        qp.receive(0, p);
        assertEquals(WcStatus.LOC_LEN_ERR, rcq.take().getFirst().status(), "100 bytes + GRH do not fit in 90");
        assertEquals(0, wire.take().size());
        assertEquals(2, qp.drops() + 1, "the wrong Q_Key was counted");
    }

    @Test
    void ucAndUdOverALossyLinkDeliverWholeMessagesOrNothing() {
        for (QpType type : new QpType[] {QpType.UC, QpType.UD}) {
            Pair p = new Pair(type, 21, 0.2, 0.05, 0.1, a -> a.qkey = 0x77);
            int messages = 200;
            int len = type == QpType.UD ? 1000 : 3000;
            for (int i = 0; i < messages; i++) {
                TestQps.recv(p.b, i, Pair.IOVA_B + (long) i * 4096, 4096, p.keyB);
            }
            for (int i = 0; i < messages; i++) {
                SendWqe w = TestQps.post(p.a, p.clock.nanos(), i, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED,
                        Pair.IOVA_A + (long) i * 4096, len, p.keyA);
                w.imm = i;
                w.udRemoteQpn = 0x12;
                w.udRemoteQkey = 0x77;
                TestQps.commit(p.a, p.clock.nanos());
            }
            p.runUntil(() -> p.scqA.count() == messages && p.link.inFlight() == 0, 1_000_000_000L);
            int grh = type == QpType.UD ? SoftQp.GRH_BYTES : 0;
            List<Completions.Wc> recv = p.rcqB.take();
            assertTrue(recv.size() > messages / 10 && recv.size() < messages, type + ": some messages lost, some arrive: " + recv.size());
            for (Completions.Wc r : recv) {
                assertEquals(WcStatus.SUCCESS, r.status());
                assertEquals(len + grh, r.byteLen());
                int i = r.imm();
                // UC: a lost message's receive is used by the next one, so the data is message i's
                // whichever receive it landed in.
                long at = (long) r.wrId() * 4096 + grh;
                assertEquals(-1, p.memB.asSlice(at, len).mismatch(p.memA.asSlice((long) i * 4096, len)), type + " message " + i);
            }
            System.out.printf("%s at 20%% loss: %d of %d messages delivered whole; %s%n", type, recv.size(), messages, p.counts());
        }
    }

    @Test
    void ucWriteWithImmediateLandsAndConsumesAReceive() {
        SoftQp qp = TestQps.connect(QpType.UC, 0x22, 0x21, 0, 10, keys, wire, scq, rcq, null);
        TestQps.recv(qp, 4, IOVA + 60 * 1024, 16, key);
        TransportPacket first = in(Opcode.UC_RDMA_WRITE_FIRST, 0x22, 10, 0, 1024);
        first.va = IOVA + 40 * 1024;
        first.rkey = key;
        first.dmaLength = 1030;
        qp.receive(0, first);
        TransportPacket last = in(Opcode.UC_RDMA_WRITE_LAST_WITH_IMMEDIATE, 0x22, 11, 1024, 6);
        last.imm = 77;
        qp.receive(0, last);
        assertEquals(List.of(new Completions.Wc(0x22, 4, WcStatus.SUCCESS, WcOpcode.RECV_RDMA_WITH_IMM, 1030, 77, 0,
                CompletionSink.WC_WITH_IMM)), rcq.take());
        assertEquals(-1, memory.asSlice(40 * 1024, 1030).mismatch(memory.asSlice(0, 1030)));
        assertEquals(0, wire.take().size());
    }

    @Test
    void aUdReceiveGetsTheIpv4HeaderAsItsGrhLikeRxe() {
        SoftQp qp = TestQps.connect(QpType.UD, 0x32, 0, 0, 0, keys, wire, scq, rcq, a -> a.qkey = 0x1234);
        TestQps.recv(qp, 1, IOVA + 16 * 1024, 40 + 100, key);
        memory.asSlice(16 * 1024, 40).fill((byte) 0x55);
        TransportPacket p = in(Opcode.UD_SEND_ONLY, 0x32, 5, 1000, 10);
        p.qkey = 0x1234;
        p.ipv4Header = memory;
        p.ipv4HeaderOffset = 2000;
        qp.receive(0, p);
        assertEquals(CompletionSink.WC_GRH, rcq.take().getFirst().flags());
        assertEquals(-1, memory.asSlice(16 * 1024, 20).mismatch(MemorySegment.ofArray(new byte[20])), "20 zero bytes");
        assertEquals(-1, memory.asSlice(16 * 1024 + 20, 20).mismatch(memory.asSlice(2000, 20)), "then the IPv4 header");
    }
}
