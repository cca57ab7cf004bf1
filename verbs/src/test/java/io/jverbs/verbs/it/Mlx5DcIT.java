package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceMemory;
import io.jverbs.verbs.ExtendedPost;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.mlx5.DcInitiator;
import io.jverbs.verbs.mlx5.DcTarget;
import io.jverbs.verbs.mlx5.Mlx5;
import io.jverbs.verbs.mlx5.Mlx5Attributes;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * mlx5 direct verbs by capability: on an mlx5 device, a DC target on an SRQ and two DC initiators
 * that reach it per request with send, RDMA write and read, fetch-and-add and compare-and-swap;
 * on any other device (Soft-RoCE), every entry point throws {@link NotSupportedException} naming
 * the feature and the device, and leaves nothing behind.
 */
@Tag("rdma")
class Mlx5DcIT {
    private static final long KEY = 0xffeeddccL;
    private static final long OPS = SendOps.SEND | SendOps.RDMA_WRITE | SendOps.RDMA_READ | SendOps.ATOMIC_FETCH_AND_ADD
            | SendOps.ATOMIC_CMP_AND_SWP;

    @Test
    void dcFollowsTheProvider() {
        try (Context ctx = TestDevice.open()) {
            boolean mlx5 = Mlx5.isSupported(ctx);
            System.out.println(ctx.device().name() + ": mlx5dv_is_supported=" + mlx5);
            assertEquals(TestDevice.isMlx5(), mlx5, "mlx5dv_is_supported agrees with the kernel driver");
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(64);
            SharedReceiveQueue srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(16, 1));
            if (!mlx5) {
                int before = pd.liveChildren();
                assertRefused("mlx5dv_query_device", () -> Mlx5.queryDevice(ctx));
                assertRefused("DC target QPs", () -> Mlx5.createDcTarget(pd, cq, srq, KEY));
                assertRefused("DC initiator QPs", () -> Mlx5.createDcInitiator(pd, cq, 16, 0, OPS));
                assertEquals(before, pd.liveChildren(), "nothing half-made is left behind");
                return;
            }
            Mlx5Attributes attr = Mlx5.queryDevice(ctx);
            System.out.println(ctx.device().name() + ": " + attr);
            dataPath(ctx, pd, cq, srq);
        }
    }

    /**
     * mlx5dv_alloc_dm by type. On mlx5: 4 KiB of MEMIC written, read back equal and registered with
     * every remote access; 64 KiB of STEERING_SW_ICM allocated, not host-accessible (copies refused),
     * registered zero-based for RDMA write and read (atomics refused, as the driver does). Elsewhere
     * every type throws NotSupportedException naming it and the device, before libmlx5.
     */
    @Test
    void deviceMemoryTypesFollowTheProvider() {
        try (Context ctx = TestDevice.open()) {
            int before = ctx.liveChildren();
            if (!Mlx5.isSupported(ctx)) {
                for (Mlx5.DmType type : Mlx5.DmType.values()) {
                    assertRefused("mlx5 " + type + " device memory", () -> Mlx5.allocateDeviceMemory(ctx, 65536, type));
                }
                assertEquals(before, ctx.liveChildren(), "nothing half-made is left behind");
                return;
            }
            System.out.println(ctx.device().name() + ": max_dm_size=" + ctx.queryDevice().maxDeviceMemorySize());
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            try (NativeBuffer buf = NativeBuffer.allocate(8192)) {
                MemorySegment out = buf.segment().asSlice(0, 4096);
                MemorySegment in = buf.segment().asSlice(4096, 4096);
                for (int i = 0; i < 4096; i += 4) out.set(ValueLayout.JAVA_INT_UNALIGNED, i, i * 31 + 7);
                try (DeviceMemory memic = Mlx5.allocateDeviceMemory(ctx, 4096, Mlx5.DmType.MEMIC)) {
                    assertTrue(memic.hostAccessible());
                    memic.write(0, out);
                    memic.read(0, in);
                    assertEquals(-1, out.mismatch(in), "MEMIC read back what was written");
                    MemoryRegion mr = memic.register(pd, Access.ALL_REMOTE);
                    assertEquals(0, mr.address());
                    assertNotEquals(0, mr.rkey());
                }
                try (DeviceMemory icm = Mlx5.allocateDeviceMemory(ctx, 65536, Mlx5.DmType.STEERING_SW_ICM)) {
                    assertFalse(icm.hostAccessible());
                    assertThrows(UnsupportedOperationException.class, () -> icm.write(0, out));
                    assertThrows(UnsupportedOperationException.class, () -> icm.read(0, in));
                    assertThrows(IllegalArgumentException.class, () -> icm.register(pd, Access.ALL_REMOTE));
                    MemoryRegion mr = icm.register(pd, Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ);
                    assertEquals(0, mr.address());
                    assertEquals(65536, mr.length());
                }
            }
            assertEquals(0, pd.liveChildren(), "closing each DM deregistered its MR");
            pd.close();
        }
    }

    private static void assertRefused(String feature, org.junit.jupiter.api.function.Executable call) {
        NotSupportedException e = assertThrows(NotSupportedException.class, call);
        System.out.println(e.getMessage());
        assertEquals(feature, e.feature());
        assertEquals(TestDevice.device(), e.device());
        assertTrue(e.getMessage().contains("mlx5"), e.getMessage());
    }

    /** Two DCIs, one DCT: each operation from each initiator, checked in the target's memory. */
    private static void dataPath(Context ctx, ProtectionDomain pd, CompletionQueue cq, SharedReceiveQueue srq) {
        PathSettings o = TestDevice.options();
        CompletionQueue initiatorCq = ctx.createCompletionQueue(64);
        try (NativeBuffer targetBuf = NativeBuffer.allocate(1 << 16); NativeBuffer sourceBuf = NativeBuffer.allocate(1 << 16)) {
            MemoryRegion target = pd.register(targetBuf, Access.ALL_REMOTE);
            MemoryRegion source = pd.register(sourceBuf, Access.ALL_REMOTE);
            DcTarget dct = Mlx5.createDcTarget(pd, cq, srq, KEY);
            dct.connect(o);
            assertEquals(QpState.RTR, dct.queuePair().state(), "a DCT works in RTR");
            DcInitiator[] dcis = {Mlx5.createDcInitiator(pd, initiatorCq, 16, 0, OPS), Mlx5.createDcInitiator(pd, initiatorCq, 16, 0, OPS)};
            for (DcInitiator dci : dcis) {
                dci.connect(o);
                assertEquals(QpState.RTS, dci.queuePair().state());
            }
            assertNotEquals(dcis[0].queuePair().qpNumber(), dcis[1].queuePair().qpNumber());
            AddressHandle ah = pd.createAddressHandle(dct.endpoint(o.port(), o.gidIndex()), o);
            MemorySegment src = sourceBuf.segment();
            MemorySegment dst = targetBuf.segment();
            WorkCompletions wc = new WorkCompletions(4);
            for (int i = 0; i < dcis.length; i++) {
                DcInitiator dci = dcis[i];
                ExtendedPost p = dci.post();
                long base = i * 4096L;

                // Send: lands in the SRQ's buffer on the target side.
                srq.postReceive(new ReceiveRequests(1, 1).add(100 + i).sge(target, base, 64));
                src.asSlice(base, 64).fill((byte) (0x40 + i));
                p.start();
                p.send(1, SendFlags.SIGNALED);
                dci.address(ah, dct.number(), KEY);
                p.sge(source, base, 64);
                p.complete();
                TestDevice.pollUntil(initiatorCq, wc, 1);
                assertEquals(WcOpcode.SEND, wc.opcode(0));
                TestDevice.pollUntil(cq, wc, 1);
                assertEquals(100 + i, wc.wrId(0));
                assertEquals(64, wc.byteLength(0));
                assertEquals((byte) (0x40 + i), dst.get(ValueLayout.JAVA_BYTE, base + 63), "DCI " + i + " send");

                // Write, then read it back into another place of the source.
                src.asSlice(base + 512, 256).fill((byte) (0x60 + i));
                p.start();
                p.rdmaWrite(2, SendFlags.SIGNALED, target.address(base + 1024), target.rkey());
                dci.address(ah, dct.number(), KEY);
                p.sge(source, base + 512, 256);
                p.complete();
                TestDevice.pollUntil(initiatorCq, wc, 1);
                assertEquals((byte) (0x60 + i), dst.get(ValueLayout.JAVA_BYTE, base + 1024 + 255), "DCI " + i + " write");
                p.start();
                p.rdmaRead(3, SendFlags.SIGNALED, target.address(base + 1024), target.rkey());
                dci.address(ah, dct.number(), KEY);
                p.sge(source, base + 2048, 256);
                p.complete();
                TestDevice.pollUntil(initiatorCq, wc, 1);
                assertEquals(WcOpcode.RDMA_READ, wc.opcode(0));
                assertEquals((byte) (0x60 + i), src.get(ValueLayout.JAVA_BYTE, base + 2048 + 255), "DCI " + i + " read");

                // Atomics on one shared counter: fetch-add 5, then compare-and-swap the sum.
                long counter = 60_000;
                long before = dst.get(ValueLayout.JAVA_LONG, counter);
                p.start();
                p.atomicFetchAdd(4, SendFlags.SIGNALED, target.address(counter), target.rkey(), 5);
                dci.address(ah, dct.number(), KEY);
                p.sge(source, base + 3072, 8);
                p.complete();
                TestDevice.pollUntil(initiatorCq, wc, 1);
                assertEquals(before, src.get(ValueLayout.JAVA_LONG, base + 3072), "fetch-add returns the old value");
                p.start();
                p.atomicCompareSwap(5, SendFlags.SIGNALED, target.address(counter), target.rkey(), before + 5, 1000L * (i + 1));
                dci.address(ah, dct.number(), KEY);
                p.sge(source, base + 3080, 8);
                p.complete();
                TestDevice.pollUntil(initiatorCq, wc, 1);
                assertEquals(before + 5, src.get(ValueLayout.JAVA_LONG, base + 3080));
                assertEquals(1000L * (i + 1), dst.get(ValueLayout.JAVA_LONG, counter), "DCI " + i + " compare-and-swap");
            }
            // Closing the PD closes DCIs, DCT and MRs before the buffers go.
            pd.close();
            assertTrue(dct.queuePair().isClosed() && dcis[0].queuePair().isClosed() && target.isClosed());
        }
    }
}
