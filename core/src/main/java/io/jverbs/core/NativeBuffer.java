package io.jverbs.core;

import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Off-heap memory mapped straight from the kernel, page aligned, zero filled, and released by
 * {@link #close()}. It is the one buffer type of jverbs: register it as an ibverbs memory region,
 * hand it to DPDK as external memory, or slice it into packet and message slots.
 *
 * <h2>Backing</h2>
 * <ul>
 *   <li>{@link Backing#HUGEPAGES}: 2 MiB pages from the hugetlbfs pool
 *       ({@code /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages}); fails when the pool is
 *       too small. Fewer TLB misses for the NIC and the CPU.</li>
 *   <li>{@link Backing#HUGEPAGES_PREFERRED} (the default for 2 MiB or more): tries the pool, and
 *       falls back to normal pages advised with {@code MADV_HUGEPAGE}, so transparent huge pages
 *       back the buffer when the kernel allows it. {@link #hugePages()} tells which happened.</li>
 *   <li>{@link Backing#PAGES}: normal pages (the default below 2 MiB).</li>
 * </ul>
 *
 * <p>The {@link #segment()} is tied to the buffer's lifetime: after close, any access through it
 * throws {@link IllegalStateException}. Slices for hot paths are plain arithmetic: keep
 * {@link #address()} plus an offset and a length, as work requests and mbufs do.
 */
public final class NativeBuffer extends NativeResource {
    /** Size of one huge page (x86_64). */
    public static final long HUGE_PAGE_SIZE = 2L << 20;

    public enum Backing { HUGEPAGES, HUGEPAGES_PREFERRED, PAGES }

    /** Live buffers by start address: how a {@link Registration} finds the buffer it covers. */
    private static final ConcurrentSkipListMap<Long, NativeBuffer> LIVE = new ConcurrentSkipListMap<>();

    private final long address;
    private final long size;
    private final long mappedSize;
    private final boolean hugePages;
    private final Arena arena;
    private final MemorySegment segment;

    private NativeBuffer(long address, long size, long mappedSize, boolean hugePages) {
        super(null);
        this.address = address;
        this.size = size;
        this.mappedSize = mappedSize;
        this.hugePages = hugePages;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(size, arena, null);
        LIVE.put(address, this);
    }

    /**
     * The live buffer that holds {@code [address, address + length)}, or null when none holds
     * its start.
     *
     * @throws IllegalArgumentException when the range starts inside a buffer but runs past its end
     */
    public static NativeBuffer covering(long address, long length) {
        Map.Entry<Long, NativeBuffer> e = LIVE.floorEntry(address);
        if (e == null) {
            return null;
        }
        NativeBuffer b = e.getValue();
        long end = b.address + b.size;
        if (address >= end) {
            return null;
        }
        if (length > end - address) {
            throw new IllegalArgumentException(length + " bytes at 0x" + Long.toHexString(address) + " run past the end of " + b
                    + " (" + (end - address) + " bytes left)");
        }
        return b;
    }

    /** A buffer of {@code size} bytes: huge pages preferred from 2 MiB, normal pages below. */
    public static NativeBuffer allocate(long size) {
        return allocate(size, size >= HUGE_PAGE_SIZE ? Backing.HUGEPAGES_PREFERRED : Backing.PAGES);
    }

    public static NativeBuffer allocate(long size, Backing backing) {
        Objects.requireNonNull(backing, "backing");
        if (size <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + size);
        }
        int prot = LibC.PROT_READ | LibC.PROT_WRITE;
        int flags = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;
        if (backing != Backing.PAGES) {
            long huge = roundUp(size, HUGE_PAGE_SIZE);
            long p = LibC.mmap(huge, prot, flags | LibC.MAP_HUGETLB | LibC.MAP_HUGE_2MB | LibC.MAP_POPULATE);
            if (p != -1L) {
                return new NativeBuffer(p, size, huge, true);
            }
            int errno = Native.lastErrno();
            if (backing == Backing.HUGEPAGES) {
                throw new NativeException(SystemCall.MMAP_HUGETLB, errno, "Reserve 2 MiB huge pages first: echo "
                        + Math.max(1, huge / HUGE_PAGE_SIZE)
                        + " > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages (as root), or use Backing.HUGEPAGES_PREFERRED");
            }
        }
        long mapped = roundUp(size, LibC.pageSize());
        long p = LibC.mmap(mapped, prot, flags);
        if (p == -1L) {
            throw new NativeException(SystemCall.MMAP, Native.lastErrno());
        }
        if (backing == Backing.HUGEPAGES_PREFERRED && mapped >= HUGE_PAGE_SIZE) {
            // Advice only: a kernel with THP disabled says EINVAL, and normal pages still work.
            LibC.madvise(p, mapped, LibC.MADV_HUGEPAGE);
        }
        return new NativeBuffer(p, size, mapped, false);
    }

    /** The size of a normal page (sysconf(_SC_PAGESIZE)): buffers start on, and are mapped in, whole pages. */
    public static long pageSize() {
        return LibC.pageSize();
    }

    /** The whole buffer; invalid after {@link #close()}. */
    public MemorySegment segment() {
        checkOpen();
        return segment;
    }

    /** A view of {@code length} bytes at {@code offset}. Allocates a segment object: not for hot loops. */
    public MemorySegment slice(long offset, long length) {
        checkOpen();
        return segment.asSlice(offset, length);
    }

    /** Start address of the buffer. */
    public long address() {
        checkOpen();
        return address;
    }

    /** Address of byte {@code offset}, bounds-checked against the buffer. */
    public long address(long offset) {
        checkOpen();
        Objects.checkIndex(offset, size);
        return address + offset;
    }

    /** Usable size in bytes (what was asked for). */
    public long size() {
        return size;
    }

    /** True when the buffer sits on 2 MiB hugetlbfs pages. */
    public boolean hugePages() {
        return hugePages;
    }

    @Override
    protected void destroy() {
        LIVE.remove(address, this);
        arena.close();
        if (LibC.munmap(address, mappedSize) != 0) {
            throw new NativeException(SystemCall.MUNMAP, Native.lastErrno());
        }
    }

    @Override
    public String toString() {
        return "NativeBuffer[address=0x" + Long.toHexString(address) + ", size=" + size
                + (hugePages ? ", 2MiB pages" : "") + (isClosed() ? ", closed" : "") + "]";
    }

    private static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
