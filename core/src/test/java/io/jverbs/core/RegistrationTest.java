package io.jverbs.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The core half of "every registration is a child of the memory it covers", without a device. */
class RegistrationTest {
    /** Stands for a protection domain or a DPDK device. */
    static final class Owner extends NativeResource {
        final List<String> log;

        Owner(List<String> log) {
            super(null);
            this.log = log;
        }

        @Override
        protected void destroy() {
            log.add("owner");
        }
    }

    /** Stands for an MR: records when it is released, and whether its memory was still mapped then. */
    static final class Reg extends Registration {
        final List<String> log;
        final long address;

        Reg(Owner owner, long address, long length, List<String> log) {
            super(owner, address, length);
            this.log = log;
            this.address = address;
            attach();
        }

        @Override
        protected void destroy() {
            // Reads the memory through a raw pointer, as a device would: were it already unmapped,
            // this would crash the JVM rather than pass.
            long marker = java.lang.foreign.MemorySegment.ofAddress(address).reinterpret(8)
                    .get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
            log.add("dereg, memory reads " + marker);
        }
    }

    @Test
    void closingTheBufferDeregistersFirst() {
        List<String> log = new ArrayList<>();
        Owner pd = new Owner(log);
        NativeBuffer buf = NativeBuffer.allocate(1 << 16);
        buf.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 7L);
        buf.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 4096, 9L);
        Reg whole = new Reg(pd, buf.address(), buf.size(), log);
        Reg part = new Reg(pd, buf.address(4096), 100, log);
        assertSame(buf, whole.buffer());
        assertSame(buf, part.buffer());
        assertEquals(2, buf.liveChildren());

        buf.close();
        assertTrue(whole.isClosed() && part.isClosed());
        assertEquals(List.of("dereg, memory reads 9", "dereg, memory reads 7"), log, "newest first, both before munmap");
        assertEquals(0, pd.liveChildren(), "the owner forgets the closed registrations");
        pd.close();
        assertEquals("owner", log.getLast());
    }

    @Test
    void closingTheOwnerLeavesTheBufferUsable() {
        List<String> log = new ArrayList<>();
        Owner pd = new Owner(log);
        try (NativeBuffer buf = NativeBuffer.allocate(8192)) {
            Reg r = new Reg(pd, buf.address(), 8192, log);
            pd.close();
            assertTrue(r.isClosed());
            assertEquals(0, buf.liveChildren());
            buf.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 42L);
            assertEquals(42L, buf.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        }
        assertEquals(List.of("dereg, memory reads 0", "owner"), log);
    }

    @Test
    void aRangePastTheBufferEndIsRefused() {
        Owner pd = new Owner(new ArrayList<>());
        try (NativeBuffer buf = NativeBuffer.allocate(4096)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Reg(pd, buf.address(100), 4096, new ArrayList<>()));
            assertTrue(e.getMessage().contains("run past the end"), e.getMessage());
            assertEquals(0, buf.liveChildren());
        }
    }

    @Test
    void memoryOutsideAnyBufferHasNoBuffer() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            long address = arena.allocate(256).address();
            Reg r = new Reg(new Owner(new ArrayList<>()), address, 256, new ArrayList<>());
            assertNull(r.buffer());
            r.close();
        }
    }

    @Test
    void aClosedBufferTakesNoRegistration() {
        NativeBuffer buf = NativeBuffer.allocate(4096);
        long address = buf.address();
        buf.close();
        assertNull(NativeBuffer.covering(address, 16), "a closed buffer is no longer found");
    }
}
