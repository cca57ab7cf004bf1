package io.jverbs.soft.transport;

import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever a peer sends, a QP never throws: random opcodes of its transport, PSNs around the
 * expected one, addresses, keys, lengths and AETHs, at a QP with requests outstanding. It answers
 * or drops, and ends in a verbs state (ERR when a fatal NAK or error came).
 */
class RandomPacketsTest {
    @ParameterizedTest
    @EnumSource(value = QpType.class, names = {"RC", "UC", "UD"})
    void randomPacketsNeverThrow(QpType type) {
        Opcode[] ops = Arrays.stream(Opcode.values())
                .filter(o -> o.transport().name().equals(type.name())).toArray(Opcode[]::new);
        SplittableRandom random = new SplittableRandom(type.ordinal());
        MemorySegment payload = Arena.ofAuto().allocate(8192);
        int errs = 0;
        for (int round = 0; round < 200; round++) {
            Pair p = new Pair(type, round, 0, 0, 0, a -> a.qkey = 7);
            for (int i = 0; i < 8; i++) {
                TestQps.recv(p.b, i, Pair.IOVA_B + i * 4096L, 4096, p.keyB);
            }
            for (int i = 0; i < 4; i++) {
                SendWqe w = TestQps.post(p.a, 0, i, WrOpcode.SEND, 0, Pair.IOVA_A, 3000, p.keyA);
                w.udRemoteQpn = 0x12;
                TestQps.commit(p.a, 0);
            }
            p.a.poll(0);
            for (int i = 0; i < 200; i++) {
                TransportPacket t = new TransportPacket();
                t.opcode = ops[random.nextInt(ops.length)];
                t.destQp = random.nextBoolean() ? 0x11 : 0x12;
                t.psn = (0xFFFFF0 + random.nextInt(-8, 300)) & 0xFFFFFF;
                if (random.nextInt(4) == 0) {
                    t.psn = random.nextInt(1 << 24);
                }
                t.ackRequest = random.nextBoolean();
                t.va = random.nextInt(4) == 0 ? random.nextLong() : Pair.IOVA_B + random.nextInt(-64, Pair.REGION + 64);
                t.rkey = random.nextInt(3) == 0 ? random.nextInt() : p.keyB;
                t.dmaLength = random.nextInt(3) == 0 ? random.nextInt() : random.nextInt(0, 9000);
                t.syndrome = random.nextInt(256);
                t.msn = random.nextInt(1 << 24);
                t.swapAdd = random.nextLong();
                t.compare = random.nextLong();
                t.qkey = random.nextBoolean() ? 7 : random.nextInt();
                t.srcQp = random.nextInt(1 << 24);
                t.payload = payload;
                t.payloadOffset = random.nextInt(0, 4096);
                t.payloadLength = t.opcode.hasPayload() ? random.nextInt(0, 4097) : 0;
                (t.destQp == 0x11 ? p.a : p.b).receive(random.nextLong(), t);
                p.a.poll(random.nextLong(1L << 40));
                p.b.poll(random.nextLong(1L << 40));
                p.link.deliver();
            }
            for (SoftQp qp : new SoftQp[] {p.a, p.b}) {
                assertTrue(qp.state() == QpState.RTS || qp.state() == QpState.ERR, qp.state().toString());
                errs += qp.state() == QpState.ERR ? 1 : 0;
            }
        }
        System.out.printf("%s: 200 rounds of 200 random packets, %d QPs ended in ERR%n", type, errs);
        if (type == QpType.RC) {
            assertTrue(errs > 0, "the random packets reached the fatal NAK paths");
        }
    }
}
