package io.jverbs.verbs.it;

import io.jverbs.core.Errno;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.VerbsCall;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RAW_PACKET QPs, by provider: on mlx5 the QP is created and reaches RTS (its data path belongs
 * to raw-eth); elsewhere (Soft-RoCE, DESIGN.md §4) creating one fails with a
 * {@link NotSupportedException} that says what is needed instead.
 */
@Tag("rdma")
class RawPacketIT {
    @Test
    void rawPacketQpWorksOnMlx5AndIsRefusedElsewhere() {
        try (Context ctx = TestDevice.open()) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(16);
            if (TestDevice.isMlx5()) {
                // mlx5 needs CAP_NET_RAW for RAW_PACKET QPs: run as root or grant it to java.
                QueuePair raw = pd.createQueuePair(QueuePair.Config.of(QpType.RAW_PACKET, cq));
                assertEquals(QpType.RAW_PACKET, raw.type());
                Endpoint none = new Endpoint(0, 0, 0, io.jverbs.verbs.Gid.ZERO);
                raw.connect(none, none, TestDevice.options());
                assertEquals(QpState.RTS, raw.state());
                return;
            }
            NotSupportedException e = assertThrows(NotSupportedException.class,
                    () -> pd.createQueuePair(QueuePair.Config.of(QpType.RAW_PACKET, cq)));
            System.out.println("RAW_PACKET on " + TestDevice.device() + ": errno " + e.errno() + ": " + e.getMessage());
            assertSame(VerbsCall.CREATE_QP, e.call());
            assertEquals("RAW_PACKET QPs", e.feature());
            assertEquals(TestDevice.device(), e.device());
            assertTrue(Set.of(Errno.EOPNOTSUPP, Errno.EINVAL, Errno.EPROTONOSUPPORT).contains(e.errno()), e.getMessage());
            assertTrue(e.getMessage().contains("mlx5"), e.getMessage());
            assertTrue(e.getMessage().contains(TestDevice.device()), "names the device: " + e.getMessage());
            assertEquals(0, pd.liveChildren(), "a failed create leaves nothing registered");
            assertEquals(0, cq.liveChildren(), "nor on the CQ");
            // The PD and CQ are still usable after the failure.
            QueuePair rc = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
            assertTrue(rc.qpNumber() > 0);
        }
    }
}
