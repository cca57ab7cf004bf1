package io.jverbs.verbs.it;

import io.jverbs.core.Errno;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
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

/** DESIGN.md §4: rxe has no RAW_PACKET QPs; the error must say what is needed instead. */
@Tag("softroce")
class RawPacketIT {
    @Test
    void rawPacketQpOnRxeFailsWithAnActionableMessage() {
        try (Context ctx = Context.open(SoftRoce.device())) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(16);
            NotSupportedException e = assertThrows(NotSupportedException.class,
                    () -> pd.createQueuePair(QueuePair.Config.of(QpType.RAW_PACKET, cq)));
            System.out.println("RAW_PACKET on " + SoftRoce.device() + ": errno " + e.errno() + ": " + e.getMessage());
            assertSame(VerbsCall.CREATE_QP, e.call());
            assertEquals("RAW_PACKET QPs", e.feature());
            assertEquals(SoftRoce.device(), e.device());
            assertTrue(Set.of(Errno.EOPNOTSUPP, Errno.EINVAL, Errno.EPROTONOSUPPORT).contains(e.errno()), e.getMessage());
            assertTrue(e.getMessage().contains("mlx5"), e.getMessage());
            assertTrue(e.getMessage().contains(SoftRoce.device()), "names the device: " + e.getMessage());
            assertTrue(e.getMessage().contains("rxe"), e.getMessage());
            assertEquals(0, pd.liveChildren(), "a failed create leaves nothing registered");
            assertEquals(0, cq.liveChildren(), "nor on the CQ");
            // The PD and CQ are still usable after the failure.
            QueuePair rc = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
            assertTrue(rc.qpNumber() > 0);
        }
    }
}
