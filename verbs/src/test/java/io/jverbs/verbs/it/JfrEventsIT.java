package io.jverbs.verbs.it;

import io.jverbs.rdmacm.CmConnection;
import io.jverbs.rdmacm.CmEventType;
import io.jverbs.rdmacm.CmException;
import io.jverbs.verbs.AsyncEvent;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.internal.JfrEvents;
import jdk.jfr.Event;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JFR events on rxe0: a recording around device open, MR registration, a QP pair's
 * connection, an error completion and an SRQ limit event, and one around a refused rdma_cm
 * connect, read back from the file. With {@code -Djverbs.jfr.keep=PATH} the first recording is
 * kept there. The rdma_cm case is tagged {@code rdmacm}: librdmacm reaches kernel devices only.
 */
@Tag("rdma")
class JfrEventsIT {
    private static final List<Class<? extends Event>> EVENTS = List.of(JfrEvents.DeviceOpen.class,
            JfrEvents.MemoryRegistration.class, JfrEvents.QpStateChange.class, JfrEvents.ErrorCompletion.class,
            JfrEvents.AsyncEvent.class, JfrEvents.CmEvent.class);

    @Test
    void theControlPathIsRecorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jverbs.jfr");
        String device = TestDevice.device();
        int qpA, qpB;
        long addrA, srqAddress;
        try (Recording r = new Recording()) {
            EVENTS.forEach(e -> r.enable(e).withoutThreshold().withStackTrace());
            r.start();
            try (TestDevice.Pair p = TestDevice.pair(QpType.RC)) {
                qpA = p.a.qpNumber();
                qpB = p.b.qpNumber();
                addrA = p.bufA.segment().address();
                WorkCompletions wc = new WorkCompletions(8);
                SendRequests send = new SendRequests(8, 1);
                send.add(41, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 64).rdma(p.mrB.address(), p.mrB.rkey() ^ 0x00ff_ff00);
                p.a.postSend(send);
                TestDevice.awaitCompletions(p.cqA, wc, 1, TestDevice.TIMEOUT);
                assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0), wc.describe(0)); // describe records it

                srqAddress = srqLimitEvent(p, wc, send);
            }
            r.stop();
            r.dump(file);
        }
        String keep = System.getProperty("jverbs.jfr.keep");
        if (keep != null) Files.copy(file, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);

        List<RecordedEvent> all = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.jverbs.")).toList();

        List<RecordedEvent> opens = named(all, "DeviceOpen");
        assertEquals(1, opens.size(), opens.toString());
        assertEquals(device, opens.getFirst().getString("device"));
        assertFalse(opens.getFirst().getDuration().isNegative());

        List<RecordedEvent> mrs = named(all, "MemoryRegistration");
        assertEquals(2, mrs.size(), mrs.toString());
        RecordedEvent mrA = mrs.stream().filter(e -> e.getLong("address") == addrA).findFirst().orElseThrow(() -> new AssertionError(mrs));
        assertEquals(64 << 10, mrA.getLong("length"));
        assertEquals("LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ|REMOTE_ATOMIC", mrA.getString("access"));
        assertEquals(0xf, mrA.getInt("accessFlags"));
        assertEquals(device, mrA.getString("device"));
        assertFalse(mrA.getBoolean("deviceMemory"));

        List<RecordedEvent> states = named(all, "QpStateChange");
        for (int qpn : new int[] {qpA, qpB}) {
            List<String> path = states.stream().filter(e -> e.getInt("qpn") == qpn)
                    .map(e -> e.getString("from") + "->" + e.getString("to")).toList();
            assertEquals(List.of("RESET->INIT", "INIT->RTR", "RTR->RTS"), path.subList(0, 3), "QP " + qpn + ": " + path);
        }
        assertTrue(states.stream().allMatch(e -> device.equals(e.getString("device"))), states.toString());

        List<RecordedEvent> errors = named(all, "ErrorCompletion");
        RecordedEvent err = errors.stream().filter(e -> e.getLong("wrId") == 41).findFirst().orElseThrow(() -> new AssertionError(errors));
        assertEquals("REM_ACCESS_ERR", err.getString("status"));
        assertEquals(qpA, err.getInt("qpn"));
        assertNotNull(err.getString("opcode"));

        List<RecordedEvent> asyncs = named(all, "AsyncEvent");
        assertTrue(asyncs.stream().anyMatch(e -> e.getString("type").equals("SRQ_LIMIT_REACHED") && e.getLong("element") == srqAddress
                && device.equals(e.getString("device"))), asyncs.toString());
    }

    @Test
    @Tag("rdmacm")
    void aRefusedRdmaCmConnectIsRecorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jverbs-cm.jfr");
        try (Recording r = new Recording()) {
            r.enable(JfrEvents.CmEvent.class).withoutThreshold().withStackTrace();
            r.start();
            InetSocketAddress nobody = new InetSocketAddress(InetAddress.getByName(TestDevice.ipv4()), 7998);
            CmException refused = assertThrows(CmException.class,
                    () -> CmConnection.connect(nobody, new byte[0], Duration.ofSeconds(20)).close());
            assertEquals(CmEventType.REJECTED, refused.event());
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> all = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.jverbs.")).toList();
        List<String> cm = named(all, "CmEvent").stream().map(e -> e.getString("type")).toList();
        assertEquals(List.of("ADDR_RESOLVED", "ROUTE_RESOLVED", "REJECTED"), cm);
        RecordedEvent rejected = named(all, "CmEvent").getLast();
        assertNotEquals(0, rejected.getInt("status"));
        assertNotEquals(0L, rejected.getLong("id"));
    }

    /** An SRQ armed at 4 with 8 receives; 5 sends drop it below the limit: SRQ_LIMIT_REACHED. */
    private static long srqLimitEvent(TestDevice.Pair p, WorkCompletions wc, SendRequests send) {
        PathSettings o = TestDevice.options();
        CompletionQueue cqC = p.context.createCompletionQueue(16);
        CompletionQueue cqD = p.context.createCompletionQueue(16);
        SharedReceiveQueue srq = p.pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1));
        QueuePair c = p.pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqC));
        QueuePair d = p.pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqD).srq(srq));
        TestDevice.connect(c, d, o);
        ReceiveRequests rr = new ReceiveRequests(8, 1);
        for (int i = 0; i < 8; i++) rr.add(i).sge(p.mrB, 1024L * i, 1024);
        srq.postReceive(rr);
        srq.armLimit(4);
        send.clear();
        for (int i = 0; i < 5; i++) send.add(100 + i, WrOpcode.SEND, SendFlags.SIGNALED).sge(p.mrA, 0, 16);
        c.postSend(send);
        TestDevice.pollUntil(cqC, wc, 5);
        AsyncEvent ev = p.context.awaitAsyncEvent(TestDevice.TIMEOUT);
        assertNotNull(ev, "no async event within " + TestDevice.TIMEOUT);
        assertEquals(AsyncEvent.Type.SRQ_LIMIT_REACHED, ev.type());
        return srq.segment().address();
    }

    private static List<RecordedEvent> named(List<RecordedEvent> all, String simpleName) {
        return all.stream().filter(e -> e.getEventType().getName().equals("io.jverbs." + simpleName)).toList();
    }
}
