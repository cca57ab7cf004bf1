package io.jverbs.core;

import io.jverbs.core.ffi.LibC;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeBufferTest {

    @Test
    void smallBufferIsPageAlignedZeroedAndWritable() {
        try (NativeBuffer b = NativeBuffer.allocate(10_000)) {
            assertEquals(0, b.address() % LibC.pageSize());
            assertEquals(10_000, b.size());
            assertEquals(10_000, b.segment().byteSize());
            assertFalse(b.hugePages());
            MemorySegment s = b.segment();
            for (long i = 0; i < s.byteSize(); i++) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
            }
            s.set(ValueLayout.JAVA_LONG, 9_992, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, b.slice(9_992, 8).get(ValueLayout.JAVA_LONG, 0));
            assertEquals(b.address() + 9_992, b.address(9_992));
            assertThrows(IndexOutOfBoundsException.class, () -> b.address(10_000));
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() {
        NativeBuffer b = NativeBuffer.allocate(4096);
        MemorySegment s = b.segment();
        b.close();
        b.close(); // idempotent
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, b::segment);
        assertThrows(IllegalStateException.class, b::address);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.slice(0, 1));
        assertEquals("NativeBuffer is closed", e.getMessage());
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> NativeBuffer.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> NativeBuffer.allocate(-1, NativeBuffer.Backing.PAGES));
    }

    /** Either the pool has a free page and we get it, or the error says how to reserve pages. */
    @Test
    void hugepagesRequiredFollowsThePool() throws IOException {
        long free = Long.parseLong(Files.readString(
                Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")).trim());
        if (free > 0) {
            try (NativeBuffer b = NativeBuffer.allocate(4096, NativeBuffer.Backing.HUGEPAGES)) {
                assertTrue(b.hugePages());
                assertEquals(0, b.address() % NativeBuffer.HUGE_PAGE_SIZE);
            }
        } else {
            NativeException e = assertThrows(NativeException.class,
                    () -> NativeBuffer.allocate(4096, NativeBuffer.Backing.HUGEPAGES));
            assertSame(SystemCall.MMAP_HUGETLB, e.call());
            assertTrue(e.getMessage().contains("nr_hugepages"), e.getMessage());
        }
    }

    @Test
    void hugepagesPreferredAlwaysSucceeds() {
        try (NativeBuffer b = NativeBuffer.allocate(4L << 20)) {
            assertEquals(4L << 20, b.size());
            b.segment().fill((byte) 7);
            assertEquals(7, b.segment().get(ValueLayout.JAVA_BYTE, (4L << 20) - 1));
        }
    }
}
