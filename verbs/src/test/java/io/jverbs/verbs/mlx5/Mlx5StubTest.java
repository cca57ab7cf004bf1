package io.jverbs.verbs.mlx5;

import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.StubPair;
import io.jverbs.verbs.mlx5.ffi.Mlx5Dv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a context that is not mlx5 (the stub provider's, whose device pointer is NULL), every mlx5
 * entry point throws {@link NotSupportedException} before libmlx5 sees the objects: libmlx5 would
 * cast them to its own structs. The same on Soft-RoCE is checked in the VM (it.Mlx5DcIT).
 */
class Mlx5StubTest {
    @Test
    void libmlx5IsInstalledAndBound() {
        // The host has rdma-core's providers: the library loads and exports what the bindings name.
        assertTrue(Mlx5Dv.LIBRARY.has("mlx5dv_is_supported"), "libmlx5.so.1 (Debian package ibverbs-providers)");
        assertTrue(Mlx5Dv.LIBRARY.has("mlx5dv_create_qp"));
        assertTrue(Mlx5Dv.LIBRARY.has("mlx5dv_qp_ex_from_ibv_qp_ex"));
    }

    @Test
    void everyCallIsRefusedOnAnotherProvider() {
        try (StubPair stub = new StubPair(7)) {
            Context ctx = stub.qp().context();
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = stub.cq();
            assertFalse(Mlx5.isSupported(ctx));
            refused("mlx5dv_query_device", ctx, () -> Mlx5.queryDevice(ctx));
            refused("DC target QPs", ctx, () -> Mlx5.createDcTarget(pd, cq, null, 1));
            refused("DC initiator QPs", ctx, () -> Mlx5.createDcInitiator(pd, cq, 16, 0, SendOps.RDMA_WRITE));
            assertThrows(IllegalArgumentException.class, () -> Mlx5.createDcInitiator(pd, cq, 16, 0, 0), "no send ops");
            int contextChildren = ctx.liveChildren();
            for (Mlx5.DmType type : Mlx5.DmType.values()) {
                refused("mlx5 " + type + " device memory", ctx, () -> Mlx5.allocateDeviceMemory(ctx, 4096, type));
            }
            assertEquals(contextChildren, ctx.liveChildren(), "no device memory half-made");
            assertEquals(0, pd.liveChildren(), "nothing half-made is left behind");
            pd.close();
        }
    }

    @Test
    void deviceMemoryArgumentsAreCheckedFirst() {
        try (StubPair stub = new StubPair(7)) {
            Context ctx = stub.qp().context();
            assertThrows(NullPointerException.class, () -> Mlx5.allocateDeviceMemory(ctx, 4096, null));
            assertThrows(IllegalArgumentException.class, () -> Mlx5.allocateDeviceMemory(ctx, 0, Mlx5.DmType.MEMIC));
            assertThrows(IllegalArgumentException.class, () -> Mlx5.allocateDeviceMemory(ctx, -4, Mlx5.DmType.STEERING_SW_ICM));
            IllegalArgumentException pow2 = assertThrows(IllegalArgumentException.class,
                    () -> Mlx5.allocateDeviceMemory(ctx, 3 * 4096, Mlx5.DmType.STEERING_SW_ICM));
            assertTrue(pow2.getMessage().contains("power-of-two"), pow2.getMessage());
            // MEMIC takes any length up to max_dm_size: only the provider check refuses it here.
            refused("mlx5 MEMIC device memory", ctx, () -> Mlx5.allocateDeviceMemory(ctx, 3 * 4096, Mlx5.DmType.MEMIC));
        }
    }

    @Test
    void dmTypesAreMlx5dvValues() {
        // The ABI check compares Mlx5Dv's constants with gcc; ENCAP_SW_ICM (4) postdates rdma-core 44's header.
        assertEquals(Mlx5Dv.MLX5DV_DM_TYPE_MEMIC, Mlx5.DmType.MEMIC.value());
        assertEquals(Mlx5Dv.MLX5DV_DM_TYPE_STEERING_SW_ICM, Mlx5.DmType.STEERING_SW_ICM.value());
        assertEquals(Mlx5Dv.MLX5DV_DM_TYPE_HEADER_MODIFY_SW_ICM, Mlx5.DmType.HEADER_MODIFY_SW_ICM.value());
        assertEquals(Mlx5Dv.MLX5DV_DM_TYPE_HEADER_MODIFY_PATTERN_SW_ICM, Mlx5.DmType.HEADER_MODIFY_PATTERN_SW_ICM.value());
        assertEquals(4, Mlx5.DmType.ENCAP_SW_ICM.value());
        assertTrue(Mlx5.DmType.MEMIC.hostAccessible());
        assertFalse(Mlx5.DmType.ENCAP_SW_ICM.hostAccessible());
        assertTrue(Mlx5Dv.LIBRARY.has("mlx5dv_alloc_dm"));
    }

    private static void refused(String feature, Context ctx, Executable call) {
        NotSupportedException e = assertThrows(NotSupportedException.class, call);
        assertEquals(feature, e.feature());
        assertEquals(ctx.device().name(), e.device());
        assertNull(e.call(), "jverbs refused it, not libmlx5");
        assertTrue(e.getMessage().contains("mlx5 provider"), e.getMessage());
    }
}
