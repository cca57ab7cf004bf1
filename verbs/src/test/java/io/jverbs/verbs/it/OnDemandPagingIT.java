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
 * {@link NotSupportedException} that names the device and the capability to check. Implicit
 * ODP (one key for the whole address space) and {@code ibv_advise_mr} prefetch the same way.
 */
@Tag("rdma")
class OnDemandPagingIT {
    @Test
    void onDemandPagingWorksOrIsRefusedByCapability() {
        try (TestDevice.Pair p = TestDevice.pair(QpType.RC); NativeBuffer target = NativeBuffer.allocate(1 << 16)) {
            DeviceAttributes attr = p.context.queryDevice();
            System.out.println(TestDevice.device() + ": odp general_caps=0x" + Long.toHexString(attr.odpGeneralCaps())
                    + " rc_odp_caps=0x" + Integer.toHexString(attr.odpRcCaps()) + " (kernel " + System.getProperty("os.version") + ")");
            // Advice is for ODP regions only: refused before the provider sees a pinned one.
            assertThrows(IllegalArgumentException.class, () -> p.mrA.advise(MemoryRegion.Advice.PREFETCH, 0, 4096, true));
            if ((attr.odpGeneralCaps() & DeviceAttributes.ODP_SUPPORT_IMPLICIT) == 0) {
                int before = p.pd.liveChildren();
                NotSupportedException e = assertThrows(NotSupportedException.class, () -> p.pd.registerImplicitOnDemand(Access.ALL_REMOTE));
                System.out.println("implicit ODP on " + TestDevice.device() + ": " + e.getMessage());
                assertEquals("implicit on-demand paging", e.feature());
                assertEquals(TestDevice.device(), e.device());
                assertEquals(before, p.pd.liveChildren());
            } else {
                implicitOnDemand(p);
            }
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
            // Prefetch the first page writable and wait for it; the rest fault in on first access.
            odp.advise(MemoryRegion.Advice.PREFETCH_WRITE, 0, 4096, true);
            assertThrows(IndexOutOfBoundsException.class, () -> odp.advise(MemoryRegion.Advice.PREFETCH, 65536 - 8, 16, true));
            p.memA().set(ValueLayout.JAVA_LONG, 0, 0x0DD0_0DD0_0DD0_0DD0L);
            p.a.postSend(new SendRequests(1, 1).add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 0, 8)
                    .rdma(odp.address(40960), odp.rkey()));
            TestDevice.pollUntil(p.cqA, new WorkCompletions(1), 1);
            assertEquals(0x0DD0_0DD0_0DD0_0DD0L, target.segment().get(ValueLayout.JAVA_LONG, 40960));
        }
    }

    /** One rkey for all memory: an RDMA write through it lands in a buffer mapped after registration. */
    private static void implicitOnDemand(TestDevice.Pair p) {
        MemoryRegion all = p.pd.registerImplicitOnDemand(Access.ALL_REMOTE);
        assertEquals(-1, all.length());
        try (NativeBuffer later = NativeBuffer.allocate(1 << 16)) {
            all.advise(MemoryRegion.Advice.PREFETCH_WRITE, later.address(), 4096, true);
            p.memA().set(ValueLayout.JAVA_LONG, 8, 0x1D1D_1D1D_1D1D_1D1DL);
            p.a.postSend(new SendRequests(1, 1).add(2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(p.mrA, 8, 8)
                    .rdma(later.address(4096), all.rkey()));
            TestDevice.pollUntil(p.cqA, new WorkCompletions(1), 1);
            assertEquals(0x1D1D_1D1D_1D1D_1D1DL, later.segment().get(ValueLayout.JAVA_LONG, 4096));
        }
        all.close();
    }
}
