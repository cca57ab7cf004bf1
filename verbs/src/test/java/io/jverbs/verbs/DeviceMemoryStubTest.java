package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NotSupportedException;

import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_alloc_dm_attr;
import io.jverbs.verbs.ffi.ibv_dm;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.DmAllocator;
import io.jverbs.verbs.internal.VerbsAccess;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device-memory data path without hardware: {@link DeviceMemory} against the stub provider of
 * native-test/stub, which fills the {@code verbs_context} slots alloc_dm, free_dm, reg_dm_mr and
 * query_device_ex and the {@code ibv_dm} memcpy pointers with mlx5's checks (size against
 * max_dm_size, 4-byte copies, ZERO_BASED registration). Proves the slot reading (abi_compat, sz,
 * non-NULL), the argument order of each call and the resource tree (the MR a child of the DM and
 * of the PD). On Soft-RoCE the same calls throw {@link NotSupportedException}
 * (it.DeviceMemoryRxeIT, in the VM).
 */
class DeviceMemoryStubTest {
    private StubProvider stub;
    private Context ctx;
    private ProtectionDomain pd;
    private Arena arena;

    @BeforeEach
    void open() {
        stub = new StubProvider(1);
        ctx = Context.adopt(stub.context());
        pd = ctx.allocateProtectionDomain();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        ctx.close();
        assertEquals(0, stub.protectionDomainsLive(), "closing the context deallocated its PD");
        stub.close();
        arena.close();
    }

    @Test
    void capabilityComesFromQueryDeviceEx() {
        assertEquals(256 * 1024, ctx.queryDevice().maxDeviceMemorySize());
        assertEquals(1, stub.protectionDomainsLive(), "ibv_alloc_pd reached the stub");
    }

    @Test
    void writeReadRegisterFree() {
        DeviceMemory dm = ctx.allocateDeviceMemory(4096);
        assertEquals(1, stub.deviceMemoryLive());
        assertEquals(4096, dm.length());
        MemorySegment device = StubProvider.deviceMemoryBytes(dm.segment(), 4096);

        MemorySegment src = arena.allocate(256);
        for (int i = 0; i < 256; i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
        dm.write(1024, src);
        assertArrayEquals(src.toArray(ValueLayout.JAVA_BYTE), device.asSlice(1024, 256).toArray(ValueLayout.JAVA_BYTE),
                "memcpy_to_dm got (dm, offset, host, length)");
        assertEquals(0, device.get(ValueLayout.JAVA_BYTE, 1023));

        MemorySegment dst = arena.allocate(128);
        dm.read(1024 + 64, dst);
        assertArrayEquals(src.asSlice(64, 128).toArray(ValueLayout.JAVA_BYTE), dst.toArray(ValueLayout.JAVA_BYTE),
                "memcpy_from_dm got (host, dm, offset, length)");

        MemoryRegion mr = dm.register(pd, 512, 2048, Access.ALL_REMOTE);
        assertEquals(1, stub.memoryRegionsLive());
        assertEquals(0, mr.address(), "device memory is addressed from 0");
        assertEquals(2048, mr.length());
        assertEquals(Access.ALL_REMOTE | Access.ZERO_BASED, mr.access());
        assertNotEquals(0, mr.lkey());
        assertNotEquals(mr.lkey(), mr.rkey());
        assertEquals(2, dm.liveChildren() + pd.liveChildren(), "the MR is a child of the DM and of the PD");

        dm.close();
        assertTrue(mr.isClosed(), "closing the device memory deregistered its MR first");
        assertEquals(0, stub.memoryRegionsLive(), "ibv_dereg_mr reached the stub");
        assertEquals(0, stub.deviceMemoryLive(), "free_dm ran, after the MR was gone (the stub refuses EBUSY before)");
        assertThrows(IllegalStateException.class, () -> dm.write(0, src));
        assertThrows(IllegalStateException.class, mr::lkey);
    }

    @Test
    void closingThePdDeregistersButKeepsTheMemory() {
        DeviceMemory dm = ctx.allocateDeviceMemory(64);
        MemoryRegion mr = dm.register(pd, Access.LOCAL_WRITE);
        MemorySegment word = arena.allocate(8).fill((byte) 0x5a);
        dm.write(8, word);
        pd.close();
        assertTrue(mr.isClosed());
        assertEquals(0, stub.memoryRegionsLive());
        MemorySegment back = arena.allocate(8);
        dm.read(8, back);
        assertEquals(0x5a5a5a5a5a5a5a5aL, back.get(ValueLayout.JAVA_LONG, 0), "the memory outlives the PD");
        dm.close();
        assertEquals(0, stub.deviceMemoryLive());
    }

    @Test
    void badCopiesAreRefusedBeforeTheProvider() {
        DeviceMemory dm = ctx.allocateDeviceMemory(64);
        MemorySegment device = StubProvider.deviceMemoryBytes(dm.segment(), 64);
        MemorySegment eight = arena.allocate(8).fill((byte) 1);
        assertThrows(IndexOutOfBoundsException.class, () -> dm.write(60, eight));
        assertThrows(IndexOutOfBoundsException.class, () -> dm.read(-4, eight));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dm.write(2, eight));
        assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dm.read(0, arena.allocate(6)));
        assertThrows(IllegalArgumentException.class, () -> dm.write(0, MemorySegment.ofArray(new byte[8])));
        assertEquals(0, device.get(ValueLayout.JAVA_LONG, 0), "nothing reached the device");
        assertThrows(IndexOutOfBoundsException.class, () -> dm.register(pd, 32, 64, Access.LOCAL_WRITE));
        assertEquals(0, stub.memoryRegionsLive());
    }

    /**
     * Memory the host cannot reach (mlx5's SW ICM: libmlx5 leaves the ibv_dm's memcpy pointers NULL)
     * refuses read and write before calling them, and registers only with the access mlx5 allows it.
     * The stub's alloc_dm with both pointers cleared is such an ibv_dm, through the allocator path
     * that Mlx5.allocateDeviceMemory takes.
     */
    @Test
    void memoryWithoutMemcpyIsRefusedAndRegistersRestricted() {
        DmAllocator swIcmLike = new DmAllocator() {
            @Override public io.jverbs.core.NativeCall call() { return VerbsCall.ALLOC_DM; }
            @Override public String feature() { return "SW ICM-like device memory"; }
            @Override public int registerAccess() { return Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ | Access.ZERO_BASED; }
            @Override public String invalidHint() { return "test hint"; }
            @Override public MemorySegment allocate(MemorySegment context, MemorySegment attr) {
                try {
                    MemorySegment d = (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(
                            ctx.extendedOp(verbs_context.alloc_dm$offset()), Native.errnoState(), context, attr);
                    MemorySegment dm = d.reinterpret(ibv_dm.sizeof());
                    ibv_dm.memcpy_to_dm(dm, MemorySegment.NULL);
                    ibv_dm.memcpy_from_dm(dm, MemorySegment.NULL);
                    return dm;
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        };
        DeviceMemory dm = VerbsAccess.get().allocateDeviceMemory(ctx, 4096, swIcmLike);
        assertEquals(1, stub.deviceMemoryLive());
        assertFalse(dm.hostAccessible());
        MemorySegment eight = arena.allocate(8);
        UnsupportedOperationException w = assertThrows(UnsupportedOperationException.class, () -> dm.write(0, eight));
        assertTrue(w.getMessage().contains("SW ICM-like device memory") && w.getMessage().contains("not host-accessible"),
                w.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> dm.read(0, eight));
        IllegalArgumentException atomic = assertThrows(IllegalArgumentException.class, () -> dm.register(pd, Access.ALL_REMOTE));
        assertTrue(atomic.getMessage().contains("LOCAL_WRITE, REMOTE_WRITE and REMOTE_READ"), atomic.getMessage());
        assertEquals(0, stub.memoryRegionsLive(), "refused before ibv_reg_dm_mr");
        MemoryRegion mr = dm.register(pd, Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ);
        assertEquals(1, stub.memoryRegionsLive());
        assertEquals(0, mr.address());
        dm.close();
        assertTrue(mr.isClosed());
        assertEquals(0, stub.deviceMemoryLive());

        assertTrue(ctx.allocateDeviceMemory(64).hostAccessible(), "ibv_alloc_dm memory is");
    }

    /** A failing allocator's errno is reported under its own call and feature, with its hint. */
    @Test
    void allocatorRefusalsNameTheirCall() {
        DmAllocator refusing = new DmAllocator() {
            @Override public io.jverbs.core.NativeCall call() { return VerbsCall.ALLOC_DM; }
            @Override public String feature() { return "typed device memory"; }
            @Override public int registerAccess() { return -1; }
            @Override public String invalidHint() { return "the typed hint"; }
            @Override public MemorySegment allocate(MemorySegment context, MemorySegment attr) {
                try {
                    // more than max_dm_size: the stub answers NULL with EINVAL, as mlx5
                    ibv_alloc_dm_attr.length(attr, 1L << 40);
                    return (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(
                            ctx.extendedOp(verbs_context.alloc_dm$offset()), Native.errnoState(), context, attr);
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        };
        int before = ctx.liveChildren();
        VerbsException e = assertThrows(VerbsException.class, () -> VerbsAccess.get().allocateDeviceMemory(ctx, 64, refusing));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("typed device memory") && e.getMessage().contains("the typed hint"), e.getMessage());
        assertEquals(0, stub.deviceMemoryLive());
        assertEquals(before, ctx.liveChildren(), "no child left behind");
    }

    @Test
    void providerRefusalsBecomeClearErrors() {
        VerbsException tooBig = assertThrows(VerbsException.class, () -> ctx.allocateDeviceMemory(256 * 1024 + 4));
        assertEquals(Errno.EINVAL, tooBig.errno());
        assertTrue(tooBig.getMessage().contains("ibv_alloc_dm") && tooBig.getMessage().contains("maxDeviceMemorySize"),
                tooBig.getMessage());
        assertEquals(0, stub.deviceMemoryLive());

        // mlx5 refuses access bits outside LOCAL_WRITE, REMOTE_*, ZERO_BASED: the errno comes back named.
        DeviceMemory dm = ctx.allocateDeviceMemory(64);
        VerbsException mw = assertThrows(VerbsException.class, () -> dm.register(pd, Access.MW_BIND));
        assertTrue(mw.getMessage().contains("ibv_reg_dm_mr"), mw.getMessage());
        assertEquals(0, dm.liveChildren(), "a failed registration leaves no child");
    }

    @Test
    void aProviderWithoutDeviceMemoryThrowsNotSupported() {
        stub.maxDeviceMemorySize(0);
        assertEquals(0, ctx.queryDevice().maxDeviceMemorySize());
        NotSupportedException e = assertThrows(NotSupportedException.class, () -> ctx.allocateDeviceMemory(64));
        assertEquals("device memory", e.feature());
        assertEquals(ctx.device().name(), e.device());
        assertEquals(0, stub.deviceMemoryLive());
    }

    @Test
    void lengthMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> ctx.allocateDeviceMemory(0));
        assertEquals(0, stub.deviceMemoryLive());
    }
}
