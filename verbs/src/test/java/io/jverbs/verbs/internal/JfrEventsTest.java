package io.jverbs.verbs.internal;

import io.jverbs.verbs.Access;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.ffi.ibv_wc;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Recording;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The jverbs JFR events without a device: names, fields, and the error-completion hook. */
class JfrEventsTest {
    /** Event name → the fields users filter on (besides startTime, duration, eventThread, stackTrace). */
    static final Map<Class<? extends Event>, List<String>> EVENTS = Map.of(
            JfrEvents.DeviceOpen.class, List.of("device"),
            JfrEvents.MemoryRegistration.class, List.of("device", "address", "length", "access", "accessFlags", "deviceMemory"),
            JfrEvents.QpStateChange.class, List.of("device", "qpn", "qpType", "from", "to"),
            JfrEvents.ErrorCompletion.class, List.of("status", "statusText", "opcode", "qpn", "wrId", "vendorError"),
            JfrEvents.AsyncEvent.class, List.of("device", "type", "element"),
            JfrEvents.CmEvent.class, List.of("type", "status", "id", "listenId"));

    @Test
    void eventsAreRegisteredUnderTheirDocumentedNames() {
        for (var e : EVENTS.entrySet()) {
            EventType t = EventType.getEventType(e.getKey());
            String simple = e.getKey().getSimpleName();
            assertEquals("io.jverbs." + simple, t.getName());
            assertEquals(List.of("jverbs", "RDMA"), t.getCategoryNames(), t.getName());
            assertTrue(t.getLabel() != null && !t.getLabel().isBlank(), t.getName() + " has a label");
            assertTrue(t.getDescription() != null && !t.getDescription().isBlank(), t.getName() + " has a description");
            List<String> fields = t.getFields().stream().map(ValueDescriptor::getName)
                    .filter(n -> !List.of("startTime", "duration", "eventThread", "stackTrace").contains(n)).toList();
            assertEquals(e.getValue(), fields, t.getName());
            for (ValueDescriptor f : t.getFields()) {
                assertTrue(f.getLabel() != null, t.getName() + "." + f.getName() + " has a label");
            }
        }
    }

    @Test
    void accessFlagsAreNamed() {
        assertEquals("LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ|REMOTE_ATOMIC", JfrEvents.accessNames(Access.ALL_REMOTE));
        assertEquals("ZERO_BASED|RELAXED_ORDERING", JfrEvents.accessNames(Access.ZERO_BASED | Access.RELAXED_ORDERING));
        assertEquals("HUGETLB|0x200", JfrEvents.accessNames(Access.HUGETLB | 1 << 9));
        assertEquals("0", JfrEvents.accessNames(0));
    }

    @Test
    void describingAFailedCompletionRecordsItAndNothingElseDoes(@TempDir Path dir) throws Exception {
        WorkCompletions wc = new WorkCompletions(2);
        MemorySegment s = wc.segment();
        long size = ibv_wc.sizeof();
        s.set(ValueLayout.JAVA_LONG, ibv_wc.wr_id$offset(), 77L);
        s.set(ValueLayout.JAVA_INT, ibv_wc.status$offset(), WcStatus.REM_ACCESS_ERR.code());
        s.set(ValueLayout.JAVA_INT, ibv_wc.qp_num$offset(), 0x11);
        s.set(ValueLayout.JAVA_INT, ibv_wc.vendor_err$offset(), 0x88);
        s.set(ValueLayout.JAVA_LONG, size + ibv_wc.wr_id$offset(), 78L); // completion 1: SUCCESS
        Path file = dir.resolve("jverbs.jfr");
        try (Recording r = new Recording()) {
            r.enable(JfrEvents.ErrorCompletion.class);
            r.start();
            // The data-path reads record nothing, even for the failed completion.
            assertFalse(wc.isSuccess(0));
            assertEquals(WcStatus.REM_ACCESS_ERR, wc.status(0));
            assertEquals(77L, wc.wrId(0));
            wc.describe(1);                      // a success: nothing
            String text = wc.describe(0);        // the failure: one event
            assertTrue(text.contains("REM_ACCESS_ERR"), text);
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.jverbs.")).toList();
        assertEquals(1, events.size(), events.toString());
        RecordedEvent e = events.getFirst();
        assertEquals("io.jverbs.ErrorCompletion", e.getEventType().getName());
        assertEquals("REM_ACCESS_ERR", e.getString("status"));
        assertEquals(77L, e.getLong("wrId"));
        assertEquals(0x11, e.getInt("qpn"));
        assertEquals(0x88, e.getInt("vendorError"));
        assertTrue(e.getString("statusText").toLowerCase().contains("remote access"), e.getString("statusText"));
    }

    @Test
    void disabledEventsRecordNothing(@TempDir Path dir) throws Exception {
        WorkCompletions wc = new WorkCompletions(1);
        wc.segment().set(ValueLayout.JAVA_INT, ibv_wc.status$offset(), WcStatus.WR_FLUSH_ERR.code());
        Path file = dir.resolve("off.jfr");
        try (Recording r = new Recording()) {
            r.enable(JfrEvents.ErrorCompletion.class);
            r.disable(JfrEvents.ErrorCompletion.class);
            r.start();
            wc.describe(0);
            r.stop();
            r.dump(file);
        }
        assertTrue(RecordingFile.readAllEvents(file).stream().noneMatch(e -> e.getEventType().getName().startsWith("io.jverbs.")));
    }
}
