package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.VerbsCall;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On-demand paging, by {@link DeviceAttributes#odpGeneralCaps()}: with it, an RDMA write lands
 * in an ODP region (when RC QPs may write to ODP memory) or the region at least registers;
 * without it (Soft-RoCE), registering with {@link Access#ON_DEMAND} fails with a
 * {@link NotSupportedException} that names the device and the capability to check.
 */
@Tag("rdma")
class OnDemandPagingIT {
    @Test
    void onDemandPagingWorksOrIsRefusedByCapability() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC); NativeBuffer target = NativeBuffer.allocate(1 << 16)) {
            DeviceAttributes attr = p.context.queryDevice();
            if (!attr.supportsOnDemandPaging()) {
                NotSupportedException e = assertThrows(NotSupportedException.class,
                        () -> p.pd.register(target, Access.LOCAL_WRITE | Access.ON_DEMAND));
                System.out.println("ODP on " + TestDevice.device() + ": " + e.getMessage());
                assertSame(VerbsCall.REG_MR, e.call());
                assertEquals(TestDevice.device(), e.device());
                assertTrue(e.getMessage().contains("odpGeneralCaps"), e.getMessage());
                return;
            }
            MemoryRegion odp = p.pd.register(target, Access.ALL_REMOTE | Access.ON_DEMAND);
            assertEquals(target.address(), odp.address());
            if ((attr.odpRcCaps() & DeviceAttributes.ODP_WRITE) == 0) {
                return; // registered; RC writes into ODP memory are not among the device's ODP operations
            }
            // The pages of target are faulted in by the device on first access.
            p.memA().set(ValueLayout.JAVA_LONG, 0, 0x0DD0_0DD0_0DD0_0DD0L);
            p.a.postSend(new SendRequests(1, 1).add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 8)
                    .rdma(odp.address(40960), odp.rkey()));
            TestDevice.pollUntil(p.cqA, new WorkCompletions(1), 1);
            assertEquals(0x0DD0_0DD0_0DD0_0DD0L, target.segment().get(ValueLayout.JAVA_LONG, 40960));
        }
    }
}
