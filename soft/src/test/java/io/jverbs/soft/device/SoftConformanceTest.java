package io.jverbs.soft.device;

import io.jverbs.soft.device.LoopbackCapture.Wire;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QpState;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #13's conformance cases on the soft device, through the public verbs API: two devices in
 * this JVM ({@code jconf0} on 127.31.0.1, {@code jconf1} on 127.31.0.2), real UDP sockets on lo,
 * nftables rules (a table of each test's own) dropping chosen packets, and tcpdump on lo. Each case
 * checks the completions on both sides as rxe gives them, the data, and the packets on the wire,
 * read with the soft module's own parser (ICRC checked on every packet).
 *
 * <p>Needs root (nftables, tcpdump), as the soft module's tests have in CI; not root fails with
 * a message saying so.
 */
class SoftConformanceTest {
    @RegisterExtension
    static final TwoDevices DEVICES = new TwoDevices("jconf0", "127.31.0.1", "jconf1", "127.31.0.2");
    private static final String D0 = DEVICES.name0, D1 = DEVICES.name1, A = DEVICES.address0, B = DEVICES.address1;
    private static final int A_IP = DEVICES.ip0, B_IP = DEVICES.ip1;
    /** The requester's (a's) first PSN, and the responder's. */
    private static final int PSN = 0x100, PSN_B = 0x200;

    /** Timeout in ms of {@link #path}'s local ACK timer (4.096 us x 2^20). */
    private static final long TIMEOUT_MS = (4096L << 20) / 1_000_000;

    /**
     * GID index 1 and a local ACK timeout of 20 (4.3 s): the cases see only the recovery they are
     * about, even when a loaded machine stalls a progress thread for longer than rxe's default 67 ms.
     */
    private static PathSettings path() {
        return new PathSettings().gidIndex(1).timeout(20);
    }

    /** a's packets to b's QP. */
    private static List<Wire> requests(List<Wire> wire, Peer b) {
        return wire.stream().filter(w -> w.source() == A_IP && w.destQp() == b.qp().qpNumber()).toList();
    }

    /** b's packets to a's QP. */
    private static List<Wire> responses(List<Wire> wire, Peer a) {
        return wire.stream().filter(w -> w.source() == B_IP && w.destQp() == a.qp().qpNumber()).toList();
    }

    private static int[] psns(List<Wire> w) {
        return w.stream().mapToInt(Wire::psn).toArray();
    }

    private static String dump(List<Wire> wire) {
        StringBuilder s = new StringBuilder("\n");
        wire.forEach(w -> s.append("  ").append(w).append('\n'));
        return s.toString();
    }

    // ---- partial-write retry, PSN-error retry for SEND -------------------------------------------

    static Stream<Arguments> lostMiddlePacket() {
        return Stream.of(
                Arguments.of("partial-write-retry", WrOpcode.RDMA_WRITE, Opcode.RC_RDMA_WRITE_FIRST, Opcode.RC_RDMA_WRITE_MIDDLE, Opcode.RC_RDMA_WRITE_LAST),
                Arguments.of("send-psn-error-retry", WrOpcode.SEND, Opcode.RC_SEND_FIRST, Opcode.RC_SEND_MIDDLE, Opcode.RC_SEND_LAST));
    }

    /**
     * An 8 KiB message (8 packets at MTU 1024) whose fourth packet, a MIDDLE, is dropped once:
     * the responder sends one NAK (PSN sequence error, AETH syndrome 0x60) naming the lost PSN and
     * silently drops the packets after it; the requester goes back to that PSN, mid-message, and
     * sends the rest again; one ACK for the last PSN; the data arrives whole.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void lostMiddlePacket(String name, WrOpcode op, Opcode first, Opcode middle, Opcode last) throws Exception {
        int lost = PSN + 3;
        List<Wire> wire;
        long[] dropped;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 16); Peer b = Peer.open(D1, QpType.RC, 1 << 16)) {
            Peer.connect(a, path(), PSN, b, path(), PSN_B);
            a.fill(0, 8192, 1);
            boolean send = op == WrOpcode.SEND;
            if (send) {
                b.qp().postReceive(new ReceiveRequests(1, 1).add(7).sge(b.mr(), 0, 16384));
            }
            try (Nft nft = Nft.load(List.of(), List.of(Nft.once(B, middle.code(), lost)));
                 LoopbackCapture cap = LoopbackCapture.start(name, A, B)) {
                SendRequests wr = new SendRequests(1, 1).add(1, op, SendFlags.SIGNALED).sge(a.mr(), 0, 8192);
                if (!send) {
                    wr.rdma(b.mr().address(0), b.mr().rkey());
                }
                a.qp().postSend(wr);
                a.expect(a.await(1, 5), 0, 1, WcStatus.SUCCESS, send ? WcOpcode.SEND : WcOpcode.RDMA_WRITE, 8192);
                if (send) {
                    b.expect(b.await(1, 5), 0, 7, WcStatus.SUCCESS, WcOpcode.RECV, 8192);
                } else {
                    b.assertNoCompletion(20); // a WRITE without immediate completes nothing at the target
                }
                dropped = nft.dropped();
                wire = cap.stop();
            }
            a.assertSameBytes(0, b, 0, 8192);

            assertArrayEquals(new long[] {1}, dropped, "the rule dropped exactly one packet");
            List<Wire> req = requests(wire, b);
            List<Wire> resp = responses(wire, a);
            String all = dump(wire);
            // The first pass without the lost packet, then go-back-N from it.
            assertArrayEquals(new int[] {PSN, PSN + 1, PSN + 2, PSN + 4, PSN + 5, PSN + 6, PSN + 7,
                    PSN + 3, PSN + 4, PSN + 5, PSN + 6, PSN + 7}, psns(req), "request PSNs" + all);
            assertEquals(first, req.get(0).opcode(), all);
            assertEquals(middle, req.get(7).opcode(), "the resend starts mid-message" + all);
            assertEquals(last, req.get(11).opcode(), all);
            assertTrue(req.get(11).ackRequest(), "AckReq on the last packet" + all);
            assertEquals(2, resp.size(), "one NAK and one ACK" + all);
            Wire nak = resp.get(0);
            assertEquals(Opcode.RC_ACKNOWLEDGE, nak.opcode(), all);
            assertEquals(0x60, nak.syndrome(), "NAK, PSN sequence error" + all);
            assertEquals(lost, nak.psn(), "the NAK names the lost PSN" + all);
            assertTrue(nak.index() > req.get(3).index() && nak.index() < req.get(7).index(),
                    "the NAK follows the first out-of-sequence packet and precedes the resend" + all);
            assertTrue(resp.get(1).isAck() && resp.get(1).psn() == PSN + 7, "an ACK of the last PSN" + all);
            assertEquals(QpState.RTS, a.qp().state());
            assertEquals(QpState.RTS, b.qp().state());
        }
    }

    // ---- RNR --------------------------------------------------------------------------------------

    /**
     * No receive posted and rnr_retry 2: the SEND goes out three times, each answered with an RNR
     * NAK carrying the responder's min_rnr_timer; then RNR_RETRY_EXC_ERR, the requester in ERR and
     * what is posted after flushed; the responder is untouched (RTS, no completion).
     */
    @Test
    void rnrRetryLimitExceeded() throws Exception {
        int rnrRetry = 2, timer = 1; // 0.01 ms
        List<Wire> wire;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 14); Peer b = Peer.open(D1, QpType.RC, 1 << 14)) {
            Peer.connect(a, path().rnrRetry(rnrRetry), PSN, b, path().minRnrTimer(timer), PSN_B);
            try (LoopbackCapture cap = LoopbackCapture.start("rnr-retry-exceeded", A, B)) {
                a.qp().postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), 0, 100));
                a.expect(a.await(1, 5), 0, 1, WcStatus.RNR_RETRY_EXC_ERR, null, 0);
                assertEquals(QpState.ERR, a.qp().state());
                a.qp().postSend(new SendRequests(1, 1).add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), 0, 100));
                a.expect(a.await(1, 5), 0, 2, WcStatus.WR_FLUSH_ERR, null, 0);
                b.assertNoCompletion(20);
                wire = cap.stop();
            }
            assertEquals(QpState.RTS, b.qp().state());
            String all = dump(wire);
            List<Wire> req = requests(wire, b), resp = responses(wire, a);
            assertArrayEquals(new int[] {PSN, PSN, PSN}, psns(req), "the SEND once and rnr_retry times again" + all);
            req.forEach(w -> assertEquals(Opcode.RC_SEND_ONLY, w.opcode(), all));
            assertArrayEquals(new int[] {PSN, PSN, PSN}, psns(resp), "an RNR NAK for each" + all);
            resp.forEach(w -> assertEquals(0x20 | timer, w.syndrome(), "RNR NAK with the responder's min_rnr_timer" + all));
            for (int i = 0; i < 3; i++) {
                assertTrue(req.get(i).index() < resp.get(i).index(), "request, RNR NAK, request, ..." + all);
            }
        }
    }

    /**
     * The receive is posted after the first RNR NAK: the requester waits min_rnr_timer (40.96 ms
     * here), sends the SEND again, and it completes on both sides.
     */
    @Test
    void rnrRecoveredWhenTheReceiveIsPostedInTime() throws Exception {
        int timer = 24; // 40.96 ms
        List<Wire> wire;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 14); Peer b = Peer.open(D1, QpType.RC, 1 << 14)) {
            Peer.connect(a, path().rnrRetry(3), PSN, b, path().minRnrTimer(timer), PSN_B);
            a.fill(0, 100, 5);
            SoftEngine engineB = SoftProvider.engine(D1);
            try (LoopbackCapture cap = LoopbackCapture.start("rnr-recovered", A, B)) {
                long sentByB = engineB.packetsSent;
                a.qp().postSend(new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), 0, 100));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (engineB.packetsSent == sentByB) { // the RNR NAK is out
                    assertTrue(System.nanoTime() < deadline, "no RNR NAK within 2 s");
                    Thread.sleep(1);
                }
                b.qp().postReceive(new ReceiveRequests(1, 1).add(9).sge(b.mr(), 0, 4096));
                a.expect(a.await(1, 5), 0, 1, WcStatus.SUCCESS, WcOpcode.SEND, 100);
                b.expect(b.await(1, 5), 0, 9, WcStatus.SUCCESS, WcOpcode.RECV, 100);
                wire = cap.stop();
            }
            a.assertSameBytes(0, b, 0, 100);
            String all = dump(wire);
            List<Wire> req = requests(wire, b), resp = responses(wire, a);
            int n = req.size();
            assertTrue(n >= 2 && n <= 4, "sent again after RNR NAKs, within rnr_retry" + all);
            req.forEach(w -> assertTrue(w.opcode() == Opcode.RC_SEND_ONLY && w.psn() == PSN, all));
            assertEquals(n, resp.size(), all);
            for (int i = 0; i < n - 1; i++) {
                Wire nak = resp.get(i);
                assertTrue(nak.isRnrNak() && nak.syndrome() == (0x20 | timer) && nak.psn() == PSN, "RNR NAK " + i + all);
                // The requester waited the RNR timer (40.96 ms) before asking again: counted from the
                // clock reading of the pass that received the NAK, which may precede its capture a little.
                assertTrue(req.get(i + 1).micros() - nak.micros() >= 39_000, "waited min_rnr_timer" + all);
            }
            assertTrue(resp.get(n - 1).isAck() && resp.get(n - 1).psn() == PSN, "then an ACK" + all);
        }
    }

    // ---- remote access errors ---------------------------------------------------------------------

    static Stream<Arguments> remoteAccessError() {
        int noWrite = Access.LOCAL_WRITE | Access.REMOTE_READ | Access.REMOTE_ATOMIC;
        int noRead = Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_ATOMIC;
        int all = Access.LOCAL_WRITE | Access.ALL_REMOTE;
        return Stream.of(
                Arguments.of("write-bad-rkey", WrOpcode.RDMA_WRITE, all, 0x100, 0L),
                Arguments.of("write-out-of-bounds", WrOpcode.RDMA_WRITE, all, 0, (1L << 14) - 32),
                Arguments.of("write-without-remote-write", WrOpcode.RDMA_WRITE, noWrite, 0, 0L),
                Arguments.of("read-without-remote-read", WrOpcode.RDMA_READ, noRead, 0, 0L),
                Arguments.of("atomic-bad-rkey", WrOpcode.ATOMIC_FETCH_AND_ADD, all, 0x100, 0L));
    }

    /**
     * A request the responder's memory key refuses (a wrong rkey, beyond the region, or an
     * access the region was not registered for): the responder NAKs it (AETH 0x62, remote access
     * error) and goes to ERR, flushing its posted receive; the requester completes it with
     * REM_ACCESS_ERR, goes to ERR and flushes the SEND posted behind it. The target memory is
     * unchanged and nothing is retried.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void remoteAccessError(String name, WrOpcode op, int targetAccess, int rkeyXor, long offset) throws Exception {
        List<Wire> wire;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 14); Peer b = Peer.open(D1, QpType.RC, 1 << 14, targetAccess)) {
            Peer.connect(a, path(), PSN, b, path(), PSN_B);
            b.fill(0, 1 << 14, 3);
            byte[] before = b.buf().segment().toArray(ValueLayout.JAVA_BYTE);
            b.qp().postReceive(new ReceiveRequests(1, 1).add(7).sge(b.mr(), 0, 4096));
            int rkey = b.mr().rkey() ^ rkeyXor;
            long va = b.mr().address(offset);
            int length = op == WrOpcode.ATOMIC_FETCH_AND_ADD ? 8 : 64;
            SendRequests wr = new SendRequests(2, 1).add(1, op, SendFlags.SIGNALED).sge(a.mr(), 0, length);
            if (op == WrOpcode.ATOMIC_FETCH_AND_ADD) {
                wr.atomic(va, rkey, 1, 0);
            } else {
                wr.rdma(va, rkey);
            }
            wr.add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), 64, 16);
            try (LoopbackCapture cap = LoopbackCapture.start(name, A, B)) {
                a.qp().postSend(wr);
                WorkCompletions wc = a.await(2, 5);
                a.expect(wc, 0, 1, WcStatus.REM_ACCESS_ERR, null, 0);
                a.expect(wc, 1, 2, WcStatus.WR_FLUSH_ERR, null, 0);
                b.expect(b.await(1, 5), 0, 7, WcStatus.WR_FLUSH_ERR, null, 0);
                a.assertNoCompletion(20);
                b.assertNoCompletion(0);
                wire = cap.stop();
            }
            assertEquals(QpState.ERR, a.qp().state(), "the requester");
            assertEquals(QpState.ERR, b.qp().state(), "the responder");
            assertArrayEquals(before, b.buf().segment().toArray(ValueLayout.JAVA_BYTE), "the target memory is unchanged");
            String all = dump(wire);
            List<Wire> req = requests(wire, b), resp = responses(wire, a);
            Wire first = req.get(0);
            assertEquals(PSN, first.psn(), all);
            assertEquals(op == WrOpcode.RDMA_WRITE ? Opcode.RC_RDMA_WRITE_ONLY : op == WrOpcode.RDMA_READ
                    ? Opcode.RC_RDMA_READ_REQUEST : Opcode.RC_FETCH_ADD, first.opcode(), all);
            assertEquals(rkey, first.rkey(), all);
            assertEquals(va, first.va(), all);
            assertEquals(req.size(), IntStream.of(psns(req)).distinct().count(), "nothing sent twice" + all);
            assertEquals(1, resp.size(), "one response: the NAK" + all);
            assertEquals(0x62, resp.get(0).syndrome(), "NAK, remote access error" + all);
            assertEquals(PSN, resp.get(0).psn(), all);
        }
    }

    // ---- implied ACK ------------------------------------------------------------------------------

    static Stream<Arguments> impliedAck() {
        return Stream.of(Arguments.of("implied-ack-by-read-response", WrOpcode.RDMA_READ),
                Arguments.of("implied-ack-by-atomic-ack", WrOpcode.ATOMIC_FETCH_AND_ADD));
    }

    /**
     * A SEND whose ACK is lost, then a READ (or atomic): its response acknowledges the SEND too
     * (IBTA 9.7.5.1.3, an implied ACK), so both complete in order without waiting for the
     * retransmit timer and nothing is sent twice.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void impliedAck(String name, WrOpcode op) throws Exception {
        List<Wire> wire;
        long[] dropped;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 14); Peer b = Peer.open(D1, QpType.RC, 1 << 14)) {
            Peer.connect(a, path(), PSN, b, path(), PSN_B);
            a.fill(0, 100, 2);
            b.fill(4096, 2000, 4);
            b.buf().segment().set(ValueLayout.JAVA_LONG, 8192, 1000);
            b.qp().postReceive(new ReceiveRequests(1, 1).add(7).sge(b.mr(), 0, 4096));
            boolean read = op == WrOpcode.RDMA_READ;
            SendRequests wr = new SendRequests(2, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(a.mr(), 0, 100);
            if (read) {
                wr.add(2, op, SendFlags.SIGNALED).sge(a.mr(), 4096, 2000).rdma(b.mr().address(4096), b.mr().rkey());
            } else {
                wr.add(2, op, SendFlags.SIGNALED).sge(a.mr(), 8192, 8).atomic(b.mr().address(8192), b.mr().rkey(), 5, 0);
            }
            try (Nft nft = Nft.load(List.of(), List.of(Nft.once(A, Opcode.RC_ACKNOWLEDGE.code(), PSN)));
                 LoopbackCapture cap = LoopbackCapture.start(name, A, B)) {
                long t0 = System.nanoTime();
                a.qp().postSend(wr);
                WorkCompletions wc = a.await(2, 5);
                long elapsed = System.nanoTime() - t0;
                a.expect(wc, 0, 1, WcStatus.SUCCESS, WcOpcode.SEND, 100);
                a.expect(wc, 1, 2, WcStatus.SUCCESS, read ? WcOpcode.RDMA_READ : WcOpcode.FETCH_ADD, read ? 2000 : 8);
                assertTrue(elapsed < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS), "completed before the retransmit timer ("
                        + TIMEOUT_MS + " ms): " + elapsed / 1000 + " us");
                b.expect(b.await(1, 5), 0, 7, WcStatus.SUCCESS, WcOpcode.RECV, 100);
                dropped = nft.dropped();
                wire = cap.stop();
            }
            assertArrayEquals(new long[] {1}, dropped, "the SEND's ACK was dropped");
            a.assertSameBytes(0, b, 0, 100);
            if (read) {
                a.assertSameBytes(4096, b, 4096, 2000);
            } else {
                assertEquals(1000, a.buf().segment().get(ValueLayout.JAVA_LONG, 8192));
                assertEquals(1005, b.buf().segment().get(ValueLayout.JAVA_LONG, 8192));
            }
            String all = dump(wire);
            List<Wire> req = requests(wire, b), resp = responses(wire, a);
            assertArrayEquals(new int[] {PSN, PSN + 1}, psns(req), "each request once: no retransmission" + all);
            assertTrue(resp.stream().noneMatch(w -> w.psn() == PSN), "the SEND's ACK is not on the wire" + all);
            assertEquals(read ? Opcode.RC_RDMA_READ_RESPONSE_FIRST : Opcode.RC_ATOMIC_ACKNOWLEDGE, resp.get(0).opcode(), all);
            assertEquals(PSN + 1, resp.get(0).psn(), all);
        }
    }

    // ---- local ACK timeout ------------------------------------------------------------------------

    /**
     * Everything to the responder is dropped: three WRITEs go out, and again at each expiry of the
     * local ACK timeout (timeout 12, 16.8 ms) from the oldest unacknowledged PSN, retry_cnt (3)
     * times; then the first completes with RETRY_EXC_ERR after about timeout x (retry_cnt + 1) and
     * the other two are flushed (WR_FLUSH_ERR), the QP in ERR.
     */
    @Test
    void localAckTimeoutWithRetriesExhausted() throws Exception {
        int retry = 3;
        long timeoutMicros = (4096L << 12) / 1000;
        List<Wire> wire;
        long[] dropped;
        long elapsedMicros, postedMicros;
        try (Peer a = Peer.open(D0, QpType.RC, 1 << 14); Peer b = Peer.open(D1, QpType.RC, 1 << 14)) {
            Peer.connect(a, path().timeout(12).retryCount(retry), PSN, b, path(), PSN_B);
            SendRequests wr = new SendRequests(3, 1);
            for (int i = 0; i < 3; i++) {
                wr.add(i + 1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(a.mr(), i * 64, 64).rdma(b.mr().address(i * 64), b.mr().rkey());
            }
            // Dropped at the input hook: on the capture, never at the responder.
            try (Nft nft = Nft.load(List.of(Nft.all(B)), List.of());
                 LoopbackCapture cap = LoopbackCapture.start("local-ack-timeout", A, B)) {
                java.time.Instant posted = java.time.Instant.now(); // the capture's clock (CLOCK_REALTIME)
                postedMicros = posted.getEpochSecond() * 1_000_000 + posted.getNano() / 1000;
                long t0 = System.nanoTime();
                a.qp().postSend(wr);
                WorkCompletions wc = a.await(3, 5);
                elapsedMicros = (System.nanoTime() - t0) / 1000;
                a.expect(wc, 0, 1, WcStatus.RETRY_EXC_ERR, null, 0);
                a.expect(wc, 1, 2, WcStatus.WR_FLUSH_ERR, null, 0);
                a.expect(wc, 2, 3, WcStatus.WR_FLUSH_ERR, null, 0);
                b.assertNoCompletion(20);
                dropped = nft.dropped();
                wire = cap.stop();
            }
            assertEquals(QpState.ERR, a.qp().state());
            assertEquals(QpState.RTS, b.qp().state(), "the responder never heard of it");
            long expected = timeoutMicros * (retry + 1);
            assertTrue(elapsedMicros >= expected && elapsedMicros < expected + 2_000_000,
                    "RETRY_EXC_ERR after " + elapsedMicros + " us, timeout x (retry_cnt + 1) = " + expected + " us");
            assertArrayEquals(new long[] {3 * (retry + 1)}, dropped, "every transmission dropped");
            String all = dump(wire);
            List<Wire> req = requests(wire, b);
            assertEquals(0, responses(wire, a).size(), all);
            int[] expectedPsns = new int[3 * (retry + 1)];
            for (int i = 0; i < expectedPsns.length; i++) {
                expectedPsns[i] = PSN + i % 3;
            }
            assertArrayEquals(expectedPsns, psns(req), "sent, then retry_cnt times again from the oldest PSN" + all);
            // Retry k goes out no sooner than k timeouts after posting (each timer runs from the
            // expiry before it; measured from the post, a thread stalled between reading the clock
            // and sending cannot make it look early), and about a timeout after the one before.
            for (int k = 1; k <= retry; k++) {
                long since = req.get(3 * k).micros() - postedMicros;
                long gap = req.get(3 * k).micros() - req.get(3 * (k - 1)).micros();
                assertTrue(since >= k * timeoutMicros - 1000 && gap < timeoutMicros + 1_000_000,
                        "retry " + k + " " + since + " us after the post and " + gap + " us after the one before; timeout "
                                + timeoutMicros + " us" + all);
            }
        }
    }
}
