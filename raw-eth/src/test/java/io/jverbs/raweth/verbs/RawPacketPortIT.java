package io.jverbs.raweth.verbs;

import io.jverbs.core.NotSupportedException;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.VerbsCall;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * {@link RawPacketPort} on the test device ({@code JVERBS_RDMA_DEV}, else the first; port
 * {@code JVERBS_RDMA_PORT}, else 1). A device with RAW_PACKET QPs (mlx5, the hardware group:
 * {@code -Prdma}) runs the whole {@link RawPacketConformance} suite and must pass all of it; Soft-RoCE
 * (the VM, {@code -Psoftroce}) must refuse with the typed error and leave nothing behind.
 */
@Tag("rdma")
class RawPacketPortIT {
    static Context open() {
        String dev = System.getenv("JVERBS_RDMA_DEV");
        return dev == null || dev.isBlank() ? Context.openFirst() : Context.open(dev);
    }

    static int port() {
        String p = System.getenv("JVERBS_RDMA_PORT");
        return p == null || p.isBlank() ? 1 : Integer.parseInt(p.trim());
    }

    @Test
    void theSuiteRunsOnADeviceWithRawPacketQpsAndSoftRoceRefusesClearly() {
        boolean capable;
        try (Context ctx = open()) {
            if (ctx.isSoftRoce()) {
                NotSupportedException e = assertThrows(NotSupportedException.class,
                        () -> RawPacketPort.open(ctx, RawPacketPort.Config.of(port(), RawPacketConformance.MAC_A)));
                System.out.println("RawPacketPort on " + ctx.device().name() + ": " + e.getMessage());
                assertEquals("RAW_PACKET QPs", e.feature());
                assertEquals(ctx.device().name(), e.device());
                assertSame(VerbsCall.CREATE_QP, e.call());
                assertTrue(e.getMessage().contains(ctx.device().name()) && e.getMessage().contains("RAW_PACKET"), e.getMessage());
                assertEquals(0, ctx.liveChildren(), "the failed open released its PD and CQs: nothing leaks");
                // The context still works after the refusal; flow steering is refused the same way
                // (on a UD QP, which rxe has), and the failed rule leaves the QP without children.
                try (var pd = ctx.allocateProtectionDomain(); var cq = ctx.createCompletionQueue(4)) {
                    var ud = pd.createQueuePair(io.jverbs.verbs.QueuePair.Config.of(io.jverbs.verbs.QpType.UD, cq));
                    NotSupportedException f = assertThrows(NotSupportedException.class, () -> io.jverbs.verbs.Flow.builder(port())
                            .destinationMac(RawPacketConformance.MAC_A.value()).destinationIpv4(0x0A000001).udp(-1, 4791).create(ud));
                    System.out.println("Flow on " + ctx.device().name() + ": " + f.getMessage());
                    assertEquals(ctx.device().name(), f.device());
                    assertTrue(f.getMessage().contains("flow rules on UD QPs"), f.getMessage());
                    assertEquals(0, ud.liveChildren());
                }
                return;
            }
            // Any other device must open; a refusal here is a failure, not a skip.
            try (RawPacketPort p = RawPacketPort.open(ctx, RawPacketPort.Config.of(port(), RawPacketConformance.MAC_A))) {
                FrameBurst b = new FrameBurst(4);
                assertTrue(p.allocate(b, 4) == 4);
                p.release(b);
                capable = true;
            }
        }
        assertTrue(capable);
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(RawPacketConformance.class)).build();
        LauncherFactory.create().execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        StringWriter out = new StringWriter();
        s.printFailuresTo(new PrintWriter(out), 20);
        System.out.println("RawPacketConformance: " + s.getTestsSucceededCount() + " of " + s.getTestsFoundCount() + " passed");
        assertTrue(s.getTestsFoundCount() >= 10, "the suite was found: " + s.getTestsFoundCount());
        assertEquals(0, s.getTotalFailureCount() + s.getTestsAbortedCount() + s.getTestsSkippedCount(), out.toString());
    }
}
