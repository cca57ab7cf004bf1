package io.jverbs.soft.device;

import io.jverbs.soft.device.LoopbackCapture.Wire;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Soft ↔ soft through loss: two devices in this JVM ({@code jloss0} on 127.31.0.3, {@code jloss1}
 * on 127.31.0.4), nftables dropping 5% of the RoCEv2 packets in each direction at random
 * (requests at b's input, still on the capture; responses at b's output, never on it). RC WRITE,
 * SEND, READ, fetch-and-add and compare-and-swap complete with their data verified by hash; UC
 * and UD deliver only whole, intact messages in order. The capture, parsed with the soft module's
 * own {@code RocePacket}, must show rxe's recovery pattern: NAKs with PSN sequence error (AETH
 * 0x60) followed by go-back-N from the NAKed PSN (every go-back from a PSN the responder named),
 * and READ re-requests from the PSN of the first lost response, with the rest of the READ's
 * address and length.
 *
 * <p>Needs root (nftables, tcpdump); not root fails with a message saying so.
 */
class SoftLossTest {
    @RegisterExtension
    static final TwoDevices DEVICES = new TwoDevices("jloss0", "127.31.0.3", "jloss1", "127.31.0.4");
    private static final String D0 = DEVICES.name0, D1 = DEVICES.name1, A = DEVICES.address0, B = DEVICES.address1;
    private static final int A_IP = DEVICES.ip0, B_IP = DEVICES.ip1;
    private static final int LOSS_PERCENT = 5;
    private static final int MTU = 1024;
    /** Timeout 11: 8.4 ms, so a lost tail costs little; retry_cnt 7 retries forever, as rxe does. */
    private static final int TIMEOUT = 11;
    private static final long TIMEOUT_MICROS = (4096L << TIMEOUT) / 1000;
    private static final int MESSAGES = 16, MESSAGE = 16 * 1024, REGION = MESSAGES * MESSAGE;
    private static final int ATOMICS = 64, SWAPS = 32, DATAGRAMS = 64, UC_MESSAGE = 4096;
    private static final int SECONDS = 30;

    private static byte[] sha256(MemorySegment s, long offset, long length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(s.asSlice(offset, length).asByteBuffer());
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertAll(Peer p, int n, WrOpcode op, int byteLength, WorkCompletions wc, long firstWrId) {
        for (int i = 0; i < n; i++) {
            p.expect(wc, i, firstWrId + i, WcStatus.SUCCESS, op == null ? WcOpcode.RECV : switch (op) {
                case RDMA_WRITE -> WcOpcode.RDMA_WRITE;
                case RDMA_READ -> WcOpcode.RDMA_READ;
                case ATOMIC_FETCH_AND_ADD -> WcOpcode.FETCH_ADD;
                case ATOMIC_CMP_AND_SWP -> WcOpcode.COMP_SWAP;
                default -> WcOpcode.SEND;
            }, byteLength);
        }
    }

    @Test
    void rcUcUdThroughFivePercentLossEachWay() throws Exception {
        // One READ or atomic outstanding: a READ's 16 responses fit the socket's default receive
        // buffer, so what the capture shows reaching a's socket is what a received.
        PathSettings rc = new PathSettings().gidIndex(1).timeout(TIMEOUT);
        List<Wire> wire;
        long[] dropped;
        int rcA, rcB;
        try (Peer a = Peer.open(D0, QpType.RC, 4 * REGION); Peer b = Peer.open(D1, QpType.RC, 4 * REGION);
             // Requests are dropped at b's input (still captured), responses at b's output (never captured).
             Nft nft = Nft.load(List.of(Nft.random(B, LOSS_PERCENT)), List.of(Nft.random(A, LOSS_PERCENT)));
             LoopbackCapture cap = LoopbackCapture.start("loss-5-percent", A, B)) {
            Peer.connect(a, rc, 0xfffff0, b, rc, 0x10); // a's PSNs wrap through 0 on the way
            rcA = a.qp().qpNumber();
            rcB = b.qp().qpNumber();
            MemorySegment am = a.buf().segment(), bm = b.buf().segment();

            // RC WRITE: 16 x 16 KiB into b.
            a.fill(0, REGION, 1);
            SendRequests writes = new SendRequests(MESSAGES, 1);
            for (int i = 0; i < MESSAGES; i++) {
                writes.add(100 + i, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(a.mr(), (long) i * MESSAGE, MESSAGE)
                        .rdma(b.mr().address((long) i * MESSAGE), b.mr().rkey());
            }
            a.qp().postSend(writes);
            assertAll(a, MESSAGES, WrOpcode.RDMA_WRITE, MESSAGE, a.await(MESSAGES, SECONDS), 100);
            assertArrayEquals(sha256(am, 0, REGION), sha256(bm, 0, REGION), "RC WRITE data");

            // RC SEND: 16 x 16 KiB into 16 receives.
            a.fill(REGION, REGION, 2);
            ReceiveRequests recvs = new ReceiveRequests(MESSAGES, 1);
            SendRequests sends = new SendRequests(MESSAGES, 1);
            for (int i = 0; i < MESSAGES; i++) {
                recvs.add(200 + i).sge(b.mr(), REGION + (long) i * MESSAGE, MESSAGE);
                sends.add(300 + i, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), REGION + (long) i * MESSAGE, MESSAGE);
            }
            b.qp().postReceive(recvs);
            a.qp().postSend(sends);
            assertAll(a, MESSAGES, WrOpcode.SEND, MESSAGE, a.await(MESSAGES, SECONDS), 300);
            assertAll(b, MESSAGES, null, MESSAGE, b.await(MESSAGES, SECONDS), 200);
            assertArrayEquals(sha256(am, REGION, REGION), sha256(bm, REGION, REGION), "RC SEND data");

            // RC READ: 16 x 16 KiB back from b.
            b.fill(2L * REGION, REGION, 3);
            SendRequests reads = new SendRequests(MESSAGES, 1);
            for (int i = 0; i < MESSAGES; i++) {
                long at = 2L * REGION + (long) i * MESSAGE;
                reads.add(400 + i, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(a.mr(), at, MESSAGE).rdma(b.mr().address(at), b.mr().rkey());
            }
            a.qp().postSend(reads);
            assertAll(a, MESSAGES, WrOpcode.RDMA_READ, MESSAGE, a.await(MESSAGES, SECONDS), 400);
            assertArrayEquals(sha256(bm, 2L * REGION, REGION), sha256(am, 2L * REGION, REGION), "RC READ data");

            // Atomics on one word of b: executed exactly once each, even when an ATOMIC ACK is lost
            // (a retried request gets the saved result), so the originals count up without gaps.
            long word = 3L * REGION, results = 3L * REGION + 4096;
            bm.set(ValueLayout.JAVA_LONG, word, 0);
            SendRequests adds = new SendRequests(ATOMICS, 1);
            for (int i = 0; i < ATOMICS; i++) {
                adds.add(500 + i, WrOpcode.ATOMIC_FETCH_AND_ADD, SendFlags.SIGNALED).sge(a.mr(), results + 8L * i, 8)
                        .atomic(b.mr().address(word), b.mr().rkey(), 1, 0);
            }
            a.qp().postSend(adds);
            assertAll(a, ATOMICS, WrOpcode.ATOMIC_FETCH_AND_ADD, 8, a.await(ATOMICS, SECONDS), 500);
            SendRequests swaps = new SendRequests(SWAPS, 1);
            for (int i = 0; i < SWAPS; i++) {
                swaps.add(600 + i, WrOpcode.ATOMIC_CMP_AND_SWP, SendFlags.SIGNALED).sge(a.mr(), results + 8L * (ATOMICS + i), 8)
                        .atomic(b.mr().address(word), b.mr().rkey(), ATOMICS + i, ATOMICS + i + 1);
            }
            a.qp().postSend(swaps);
            assertAll(a, SWAPS, WrOpcode.ATOMIC_CMP_AND_SWP, 8, a.await(SWAPS, SECONDS), 600);
            for (int i = 0; i < ATOMICS + SWAPS; i++) {
                assertEquals(i, am.get(ValueLayout.JAVA_LONG, results + 8L * i), "the original value atomic " + i + " returned");
            }
            assertEquals(ATOMICS + SWAPS, bm.get(ValueLayout.JAVA_LONG, word), "each atomic executed once");

            unreliable(QpType.UC);
            unreliable(QpType.UD);
            dropped = nft.dropped();
            wire = cap.stop();
        }
        assertTrue(dropped[0] > 0 && dropped[1] > 0, "nftables dropped " + Arrays.toString(dropped) + " (to a, to b): the run had no loss");
        assertEquals(0, socketDrops(A), "a's socket dropped datagrams (its receive buffer overflowed): "
                + "the capture would show responses a never received");
        checkRecovery(wire.stream().filter(w -> w.source() == A_IP && w.destQp() == rcB).toList(),
                wire.stream().filter(w -> w.source() == B_IP && w.destQp() == rcA).toList());
    }

    /**
     * UC SENDs of 4 packets, or UD datagrams of one, through the same loss: the sender completes
     * them all; the receiver completes only whole messages, intact, in order (UC abandons a
     * message with a lost packet and keeps its receive for the next one; UD loses the datagram).
     */
    private static void unreliable(QpType type) throws Exception {
        boolean ud = type == QpType.UD;
        int size = ud ? MTU : UC_MESSAGE, slot = size + (ud ? 40 : 0);
        try (Peer a = Peer.open(D0, type, DATAGRAMS * slot); Peer b = Peer.open(D1, type, DATAGRAMS * slot)) {
            PathSettings path = new PathSettings().gidIndex(1).qkey(0x4242);
            AddressHandle ah = null;
            Endpoint eb = b.qp().endpoint(1, 1, 0x20);
            if (ud) {
                for (Peer p : new Peer[] {a, b}) {
                    p.qp().toInit(path);
                    p.qp().toRtr(null, path);
                    p.qp().toRts(0x30, path);
                }
                ah = a.pd().createAddressHandle(eb, path);
            } else {
                Peer.connect(a, path, 0x30, b, path, 0x20);
            }
            ReceiveRequests recvs = new ReceiveRequests(DATAGRAMS, 1);
            SendRequests sends = new SendRequests(DATAGRAMS, 1);
            for (int i = 0; i < DATAGRAMS; i++) {
                a.fill((long) i * slot, size, 10 + i);
                a.buf().segment().set(ValueLayout.JAVA_INT, (long) i * slot, i); // the message's number
                recvs.add(700 + i).sge(b.mr(), (long) i * slot, slot);
                sends.add(800 + i, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), (long) i * slot, size);
                if (ud) {
                    sends.ud(ah, eb.qpn(), 0x4242);
                }
            }
            b.qp().postReceive(recvs);
            a.qp().postSend(sends);
            assertAll(a, DATAGRAMS, WrOpcode.SEND, size, a.await(DATAGRAMS, SECONDS), 800);
            Thread.sleep(200); // what is coming has come: the sender completed when its last packet left
            List<Integer> got = new ArrayList<>();
            WorkCompletions wc = new WorkCompletions(1);
            while (b.cq().poll(wc) == 1) {
                b.expect(wc, 0, 700 + got.size(), WcStatus.SUCCESS, WcOpcode.RECV, ud ? 40 + size : size);
                long at = (long) got.size() * slot + (ud ? 40 : 0);
                int k = b.buf().segment().get(ValueLayout.JAVA_INT, at);
                assertTrue(got.isEmpty() || k > got.getLast(), type + ": message " + k + " after " + got);
                assertEquals(-1, MemorySegment.mismatch(b.buf().segment(), at, at + size, a.buf().segment(),
                        (long) k * slot, (long) k * slot + size), type + ": message " + k + " intact");
                got.add(k);
            }
            // A UC message is 4 packets, and all 64 arrive whole with probability 0.95^256; a UD
            // datagram is one, and 0.95^64 is 4%: only UC must have lost some.
            assertTrue(!got.isEmpty() && (ud || got.size() < DATAGRAMS),
                    type + ": " + got.size() + " of " + DATAGRAMS + " messages arrived through 5% loss");
            System.out.println(type + " through 5% loss each way: " + got.size() + " of " + DATAGRAMS + " messages arrived whole");
            if (ah != null) {
                ah.close();
            }
        }
    }

    /**
     * The RC requests (a to b) and responses (b to a) in capture order. Requests are dropped at
     * b's input hook, so every transmission is on the capture; responses at b's output, so every
     * response captured reached a (and a's socket dropped none). Go-back-N is checked on that
     * record: every SEND or WRITE packet that goes back (a PSN not after the one before) starts at
     * a PSN the responder named, and for a reason the capture can prove:
     * <ul>
     * <li>a seq-error NAK for that PSN, captured before it and not yet used by another go-back
     * (a requester acts on each NAK once); or
     * <li>the retransmit timer: the PSN was named (NAKed, or the one after an ACK's) by a response
     * captured at least one local ACK timeout before. The requester arms its timer when it
     * processes a response, which is after the capture saw it, so a go-back sooner than that
     * is a timer that expired early.
     * </ul>
     * Nothing tighter holds: the requester may process a response milliseconds after the capture
     * shows it (its lock is held while it sends a window), so a timer can go back to a PSN older
     * than responses already on the wire name, and a late NAK can repeat a go-back the timer
     * made (rxe does the same: a timeout ends the retry during which NAKs are ignored). Every
     * READ request is an original, a repeat of one (its first response lost), or a re-request
     * from the PSN of the first response not received, with the READ's address and length
     * advanced by as many MTUs.
     */
    private static void checkRecovery(List<Wire> req, List<Wire> resp) {
        assertTrue(!req.isEmpty() && !resp.isEmpty(), "no RC traffic on the capture");
        List<Wire> rc = new ArrayList<>(req);
        rc.addAll(resp);
        rc.sort(java.util.Comparator.comparingInt(Wire::index));
        int naks = 0, nakDriven = 0, timerDriven = 0;
        Wire previous = null;
        // NAKs not yet acted on (PSN -> how many), and when each PSN was first named by a response.
        java.util.Map<Integer, Integer> unusedNaks = new java.util.HashMap<>();
        java.util.Map<Integer, Long> namedAt = new java.util.HashMap<>();
        for (int i = 0; i < rc.size(); i++) {
            Wire w = rc.get(i);
            if (w.source() == A_IP) {
                if (previous == null) {
                    namedAt.put(w.psn(), w.micros()); // the first PSN: the timer may go back to it unnamed
                } else if (psnDiff(w.psn(), previous.psn()) <= 0 && w.opcode() != Opcode.RC_RDMA_READ_REQUEST) {
                    Long named = namedAt.get(w.psn());
                    if (named != null && w.micros() - named >= TIMEOUT_MICROS) {
                        timerDriven++;
                    } else {
                        assertTrue(unusedNaks.getOrDefault(w.psn(), 0) > 0, "go-back-N from " + Integer.toHexString(w.psn())
                                + " with no NAK for it left unused and " + (named == null ? "never named by the responder"
                                : "named only " + (w.micros() - named) + " us before, under the " + TIMEOUT_MICROS
                                + " us timeout") + ":" + around(rc, i));
                        unusedNaks.merge(w.psn(), -1, Integer::sum);
                        nakDriven++;
                    }
                }
                previous = w;
            } else {
                int next = w.isNak() ? w.psn() : (w.psn() + 1) & 0xffffff; // a NAK acknowledges the PSNs before it
                if (w.isNak()) {
                    assertEquals(0x60, w.syndrome(), "only PSN sequence error NAKs: " + w);
                    naks++;
                    unusedNaks.merge(w.psn(), 1, Integer::sum);
                }
                namedAt.putIfAbsent(next, w.micros());
            }
        }
        System.out.printf("RC through 5%% loss each way: %d requests, %d responses, %d NAKs (0x60); go-back-N %d times on a "
                + "NAK, %d on the timer%n", req.size(), resp.size(), naks, nakDriven, timerDriven);
        assertTrue(naks > 0 && nakDriven > 0, "no NAK followed by go-back-N from its PSN under loss");

        // READ requests: originals (a PSN after every earlier READ's range), repeats and re-requests.
        // The requester takes READ responses in PSN order only (one for a later READ while an
        // earlier one misses a response is dropped): a re-request asks from the first not taken.
        record Read(int psn, long va, long length) {}
        List<Read> originals = new ArrayList<>();
        int reRequests = 0, taken = -1;
        for (Wire w : rc) {
            String op = w.opcode().name();
            if (w.source() == B_IP && op.contains("READ_RESPONSE")) {
                if (w.psn() == taken) {
                    taken = (taken + 1) & 0xffffff;
                }
                continue;
            }
            if (w.source() != A_IP || w.opcode() != Opcode.RC_RDMA_READ_REQUEST) {
                continue;
            }
            if (taken < 0) {
                taken = w.psn();
            }
            Read owner = null;
            for (Read r : originals) {
                int d = psnDiff(w.psn(), r.psn);
                if (d >= 0 && d < (r.length + MTU - 1) / MTU) {
                    owner = r;
                }
            }
            if (owner == null) {
                originals.add(new Read(w.psn(), w.va(), w.dmaLength()));
                continue;
            }
            int d = psnDiff(w.psn(), owner.psn);
            assertEquals(owner.va + (long) d * MTU, w.va(), "a READ re-request's address: " + w);
            assertEquals(owner.length - (long) d * MTU, w.dmaLength(), "a READ re-request's length: " + w);
            if (d > 0) {
                reRequests++;
                assertEquals(taken, w.psn(), "a READ re-request from the first response not received:" + around(rc, rc.indexOf(w)));
            }
        }
        System.out.printf("READ: %d requests, %d re-requests from a lost response's PSN%n", originals.size(), reRequests);
        assertEquals(MESSAGES, originals.size(), "the 16 READs");
        assertTrue(reRequests > 0, "no READ re-request from the middle of a READ under 5% loss");
    }

    /** Datagrams the kernel dropped at the UDP socket bound to {@code ip}:4791 (the last column of /proc/net/udp). */
    private static long socketDrops(String ip) throws java.io.IOException {
        String[] b = ip.split("\\.");
        String local = String.format("%02X%02X%02X%02X:12B7", Integer.parseInt(b[3]), Integer.parseInt(b[2]),
                Integer.parseInt(b[1]), Integer.parseInt(b[0]));
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/udp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 2 && f[1].equals(local)) {
                return Long.parseLong(f[f.length - 1]);
            }
        }
        throw new AssertionError("no UDP socket on " + ip + ":4791 in /proc/net/udp");
    }

    private static String around(List<Wire> rc, int i) {
        StringBuilder s = new StringBuilder("\n");
        for (int j = Math.max(0, i - 40); j < Math.min(rc.size(), i + 10); j++) {
            s.append(j == i ? "> " : "  ").append(rc.get(j)).append('\n');
        }
        return s.toString();
    }

    private static int psnDiff(int a, int b) {
        return ((a - b) << 8) >> 8;
    }
}
