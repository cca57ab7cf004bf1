package io.jverbs.verbs.it;

import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceMemory;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On-device memory follows the device's capability ({@code max_dm_size}): Soft-RoCE has none and
 * says so; a device with some (mlx5) round-trips bytes and registers it zero-based.
 */
@Tag("rdma")
class DeviceMemoryIT {
    private final Context ctx = Context.open(TestDevice.device());

    @AfterEach
    void close() {
        ctx.close();
    }

    @Test
    void deviceMemoryFollowsTheDeviceCapability() {
        long max = ctx.queryDevice().maxDeviceMemorySize();
        System.out.println(ctx.device().name() + ": max_dm_size=" + max);
        if (max == 0) {
            NotSupportedException e = assertThrows(NotSupportedException.class, () -> ctx.allocateDeviceMemory(4096));
            System.out.println(e.getMessage());
            assertEquals("device memory", e.feature());
            assertEquals(TestDevice.device(), e.device());
            assertTrue(e.getMessage().startsWith("device memory is not supported by " + TestDevice.device()), e.getMessage());
            assertEquals(0, ctx.liveChildren(), "nothing half-made is left behind");
            return;
        }
        int n = (int) Math.min(4096, max);
        try (Arena arena = Arena.ofConfined(); DeviceMemory dm = ctx.allocateDeviceMemory(n)) {
            MemorySegment out = arena.allocate(n, 8);
            MemorySegment in = arena.allocate(n, 8);
            for (int i = 0; i < n; i++) out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
            dm.write(0, out);
            dm.read(0, in);
            assertArrayEquals(out.toArray(ValueLayout.JAVA_BYTE), in.toArray(ValueLayout.JAVA_BYTE));
            assertThrows(IndexOutOfBoundsException.class, () -> dm.write(n - 4, out.asSlice(0, 8)));

            ProtectionDomain pd = ctx.allocateProtectionDomain();
            MemoryRegion mr = dm.register(pd, Access.LOCAL_WRITE | Access.REMOTE_READ);
            assertNotEquals(0, mr.access() & Access.ZERO_BASED, "device memory is registered zero-based");
            assertEquals(16, mr.address(16), "SGEs address device memory from 0");
            dm.close();
            assertTrue(mr.isClosed(), "closing device memory deregisters it first");
            assertThrows(IllegalStateException.class, () -> dm.read(0, in));
        }
    }

    @Test
    void aLengthBelowOneIsRefusedBeforeAnyNativeCall() {
        assertThrows(IllegalArgumentException.class, () -> ctx.allocateDeviceMemory(0));
        ctx.close();
        assertThrows(IllegalStateException.class, () -> ctx.allocateDeviceMemory(4096));
    }
}
