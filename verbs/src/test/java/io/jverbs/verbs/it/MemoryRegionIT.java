package io.jverbs.verbs.it;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A memory region is a child of the buffer it covers as well as of its PD. */
@Tag("rdma")
class MemoryRegionIT {
    @Test
    void closingTheBufferDeregistersItsRegionsFirst() {
        try (Context ctx = TestDevice.open()) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            NativeBuffer buf = NativeBuffer.allocate(1 << 20);
            MemoryRegion whole = pd.register(buf, Access.ALL_REMOTE);
            MemoryRegion part = pd.register(buf, 4096, 8192, Access.LOCAL_WRITE);
            MemoryRegion fromAddress = pd.register(buf.address(65536), 4096, buf.address(65536), Access.LOCAL_WRITE);
            assertSame(buf, whole.buffer());
            assertSame(buf, part.buffer());
            assertSame(buf, fromAddress.buffer(), "found from the address range alone");
            assertEquals(buf.address() + 4096, part.address());
            assertEquals(3, buf.liveChildren());
            assertEquals(3, pd.liveChildren());

            buf.close(); // ibv_dereg_mr for all three, then munmap
            assertTrue(whole.isClosed() && part.isClosed() && fromAddress.isClosed());
            assertEquals(0, pd.liveChildren(), "the PD forgets the deregistered regions");
            assertFalse(pd.isClosed());
            assertThrows(IllegalStateException.class, whole::lkey);

            // The PD still registers new memory.
            try (NativeBuffer other = NativeBuffer.allocate(4096)) {
                MemoryRegion mr = pd.register(other, Access.LOCAL_WRITE);
                assertTrue(mr.lkey() != 0 || mr.rkey() != 0);
            }
        }
    }

    @Test
    void closingThePdLeavesTheBufferMapped() {
        try (Context ctx = TestDevice.open();
             NativeBuffer buf = NativeBuffer.allocate(8192)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            pd.close();
            assertTrue(mr.isClosed());
            assertEquals(0, buf.liveChildren());
            buf.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 42);
            assertEquals(42, buf.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void aRangePastTheBufferIsRefusedBeforeTheDeviceSeesIt() {
        try (Context ctx = TestDevice.open();
             NativeBuffer buf = NativeBuffer.allocate(8192)) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            assertThrows(IndexOutOfBoundsException.class, () -> pd.register(buf, 4096, 8192, Access.LOCAL_WRITE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pd.register(buf.address(4096), 8192, buf.address(4096), Access.LOCAL_WRITE));
            assertTrue(e.getMessage().contains("run past the end"), e.getMessage());
            assertEquals(0, pd.liveChildren());
        }
    }

    @Test
    void arenaMemoryHasNoBufferToFollow() {
        try (Context ctx = TestDevice.open(); Arena arena = Arena.ofConfined()) {
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            MemorySegment seg = arena.allocate(4096, 4096);
            MemoryRegion mr = pd.register(seg, Access.LOCAL_WRITE);
            assertNull(mr.buffer());
            mr.close();
        }
    }
}
