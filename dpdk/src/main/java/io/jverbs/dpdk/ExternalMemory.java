package io.jverbs.dpdk;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeResource;
import io.jverbs.core.Registration;
import io.jverbs.dpdk.ffi.RteEal;
import io.jverbs.dpdk.ffi.RteEthdev;
import io.jverbs.dpdk.ffi.rte_eth_dev_info;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Memory of a {@link NativeBuffer} made known to DPDK ({@code rte_extmem_register}): a
 * {@link Registration}, so it is a child of the buffer it covers and of the {@link Eal}, and
 * closing either first closes it and everything that uses it (extbuf pools, DMA mappings), then
 * {@code rte_extmem_unregister}, and only then unmaps the buffer. The same buffer can be
 * registered as an ibverbs memory region too: a frame DPDK receives into an
 * {@linkplain MbufPool#createExternal external-buffer pool} lies in memory the MR's lkey covers,
 * so it can be sent by RDMA without a copy ({@link #offsetOf(Mbuf)}).
 *
 * <p>Pages: 2 MiB when the buffer is on hugetlbfs pages and the range is 2 MiB aligned, otherwise
 * the normal page size; the range must be aligned to the normal page size. IO addresses: in IOVA
 * as VA mode (what EAL picks with {@code --no-huge}, with vdevs, or with an IOMMU; EAL logs
 * "Selected IOVA mode") each page's IOVA is its virtual address; in IOVA as PA mode the pages are
 * registered with {@code RTE_BAD_IOVA}, which virtual devices (net_ring, net_tap, net_af_packet,
 * net_memif) never read and mlx5 does not need (it registers memory by virtual address), but a
 * PCI device behind UIO would: run such a device with {@code --iova-mode=va} and VFIO.
 *
 * <p>A physical device DMAs into external memory only after {@link #dmaMap(EthPort)}
 * ({@code rte_dev_dma_map}; mlx5 registers an MR for it there, VFIO maps it in the IOMMU). The
 * vdev bus accepts the call and does nothing for drivers that copy through the kernel.
 */
public final class ExternalMemory extends Registration {
    private static final long RTE_BAD_IOVA = RteEal.RTE_BAD_IOVA;
    /**
     * Live registrations by start address. DPDK 22.11 takes a range that overlaps a registered one
     * as a second memseg list over the same pages (measured: a whole buffer after its second
     * half), after which lookups by address may find either: jverbs refuses any overlap.
     */
    private static final TreeMap<Long, ExternalMemory> LIVE = new TreeMap<>();

    private final Eal eal;
    private final long address;
    private final long length;
    private final long pageSize;
    private final boolean iovaIsVa;
    private final Map<EthPort, DmaMapping> mappings = new IdentityHashMap<>();

    private ExternalMemory(Eal eal, long address, long length, long pageSize) {
        super(eal, address, length);
        if (buffer() == null) {
            // The buffer was closed between the caller's check and here: nothing was registered.
            throw new IllegalArgumentException(describeRange(address, length) + " is held by no live NativeBuffer");
        }
        this.eal = eal;
        this.address = address;
        this.length = length;
        this.pageSize = pageSize;
        this.iovaIsVa = RteEal.rte_eal_iova_mode() == (int) RteEal.RTE_IOVA_VA;
        long pages = length / pageSize;
        synchronized (LIVE) {
            Map.Entry<Long, ExternalMemory> below = LIVE.floorEntry(address + length - 1);
            if (below != null && below.getValue().address + below.getValue().length > address) {
                throw new IllegalArgumentException(describeRange(address, length) + " overlaps " + below.getValue()
                        + ", registered already: register each range once (share that ExternalMemory)");
            }
            register(address, length, pages, pageSize, iovaIsVa, buffer());
            LIVE.put(address, this);
        }
        attach(); // unregisters and throws if the buffer or the EAL was closed meanwhile
    }

    private static void register(long address, long length, long pages, long pageSize, boolean iovaIsVa, NativeBuffer buffer) {
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iovas = MemorySegment.NULL;
            if (iovaIsVa) {
                iovas = arena.allocate(ValueLayout.JAVA_LONG, pages);
                for (long i = 0; i < pages; i++) {
                    iovas.setAtIndex(ValueLayout.JAVA_LONG, i, address + i * pageSize);
                }
            }
            rc = RteEal.rte_extmem_register(MemorySegment.ofAddress(address), length, iovas, (int) pages, pageSize);
        }
        if (rc < 0) {
            int errno = RteErrno.get();
            throw new DpdkException(DpdkCall.EXTMEM_REGISTER, errno, join(DpdkCall.EXTMEM_REGISTER.hint(errno),
                    describeRange(address, length) + " of " + buffer + " in " + pages + " pages of " + pageSize + " bytes"));
        }
    }

    /** Registers the whole of {@code buffer} (its size must be a multiple of the normal page size). */
    public static ExternalMemory register(Eal eal, NativeBuffer buffer) {
        return register(eal, buffer, 0, buffer.size());
    }

    /** Registers {@code length} bytes of {@code buffer} from {@code offset}, both page aligned. */
    public static ExternalMemory register(Eal eal, NativeBuffer buffer, long offset, long length) {
        if (offset < 0 || length <= 0 || offset > buffer.size() - length) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + " + " + length + ") is not inside " + buffer);
        }
        return register(eal, buffer.address() + offset, length);
    }

    /**
     * Registers {@code [address, address + length)}, which a live {@link NativeBuffer} must hold:
     * DPDK would keep a mapping of memory nobody keeps mapped otherwise.
     *
     * @throws IllegalArgumentException when no live buffer holds the range, or it is not page aligned
     * @throws DpdkException            when DPDK refuses ({@code EEXIST}: the range overlaps a registered one)
     */
    public static ExternalMemory register(Eal eal, long address, long length) {
        eal.checkLive();
        NativeBuffer buffer = NativeBuffer.covering(address, length);
        if (buffer == null) {
            throw new IllegalArgumentException(describeRange(address, length) + " is held by no live NativeBuffer: "
                    + "register memory of a NativeBuffer (NativeBuffer.allocate), so that closing it unregisters it first");
        }
        long small = NativeBuffer.pageSize();
        if (address % small != 0 || length % small != 0) {
            throw new IllegalArgumentException(describeRange(address, length) + " is not aligned to the " + small
                    + "-byte page: rte_extmem_register takes whole pages (allocate the buffer in multiples of the page size)");
        }
        long huge = NativeBuffer.HUGE_PAGE_SIZE;
        boolean hugeAligned = buffer.hugePages() && (address - buffer.address()) % huge == 0 && length % huge == 0;
        return new ExternalMemory(eal, address, length, hugeAligned ? huge : small);
    }

    /** The EAL the memory is registered with. */
    public Eal eal() {
        return eal;
    }

    /** Start address of the registered range. */
    public long address() {
        checkOpen();
        return address;
    }

    /** Bytes registered. */
    public long length() {
        return length;
    }

    /** The page size the range was registered with: 2 MiB (hugetlbfs pages) or the normal page size. */
    public long pageSize() {
        return pageSize;
    }

    /** The IO address of byte {@code offset} of the range: its virtual address in IOVA-as-VA mode, else {@code RTE_BAD_IOVA} (-1). */
    public long iova(long offset) {
        checkOpen();
        return iovaIsVa ? address + offset : RTE_BAD_IOVA;
    }

    /**
     * The offset, within the {@linkplain #buffer() NativeBuffer}, of the first data byte of
     * {@code mbuf}: with a memory region registered over the same buffer, {@code mbuf.dataAddress()}
     * and the MR's lkey (or {@code buffer + offset}) name the frame for a work request.
     *
     * @throws IllegalArgumentException when the mbuf's data does not lie in this registered range
     *                                  (an mbuf of another pool)
     */
    public long offsetOf(Mbuf mbuf) {
        checkOpen();
        long data = mbuf.dataAddress();
        int len = mbuf.dataLength();
        if (data < address || data - address > length - len) {
            throw new IllegalArgumentException("mbuf data " + describeRange(data, len) + " is not in " + this);
        }
        return data - buffer().address();
    }

    /** True when {@code [start, start + bytes)} lies in the registered range. */
    public boolean contains(long start, long bytes) {
        checkOpen();
        return bytes >= 0 && start >= address && start - address <= length - bytes;
    }

    /** Checks {@code [offset, offset + bytes)} of the range; used by {@link MbufPool#createExternal}. */
    void checkRange(long offset, long bytes) {
        checkOpen();
        if (offset < 0 || bytes < 0 || offset > length - bytes) {
            throw new IllegalArgumentException(bytes + " bytes at offset " + offset + " do not fit in " + this);
        }
    }

    /**
     * Maps the range for DMA by {@code port}'s device ({@code rte_dev_dma_map}), which a physical
     * device needs before it reads or writes external memory; once per port (again is a no-op).
     * The mapping is undone ({@code rte_dev_dma_unmap}) when this memory or the port closes,
     * whichever comes first, before either is released.
     *
     * @throws DpdkException when the device's bus cannot map ({@code ENOTSUP}) or refuses
     */
    public void dmaMap(EthPort port) {
        checkOpen();
        if (port.isClosed()) {
            throw new IllegalStateException("port " + port.name() + " is closed");
        }
        synchronized (mappings) {
            DmaMapping m = mappings.get(port);
            if (m == null || m.isClosed()) {
                mappings.put(port, new DmaMapping(this, port));
            }
        }
    }

    /** True while the range is DMA-mapped for {@code port}. */
    public boolean isDmaMapped(EthPort port) {
        synchronized (mappings) {
            DmaMapping m = mappings.get(port);
            return m != null && !m.isClosed();
        }
    }

    /** {@code rte_dev_dma_map} for one port's device, a child of the memory and of the port. */
    private static final class DmaMapping extends NativeResource {
        private final ExternalMemory memory;
        private final MemorySegment device;

        DmaMapping(ExternalMemory memory, EthPort port) {
            super(memory, port);
            this.memory = memory;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment di = arena.allocate(rte_eth_dev_info.layout());
                int rc = RteEthdev.rte_eth_dev_info_get((short) port.id(), di);
                if (rc < 0) {
                    throw new DpdkException(DpdkCall.ETH_DEV_INFO_GET, -rc);
                }
                this.device = rte_eth_dev_info.device(di);
            }
            if (RteEal.rte_dev_dma_map(device, MemorySegment.ofAddress(memory.address), memory.dmaIova(), memory.length) < 0) {
                int errno = RteErrno.get();
                throw new DpdkException(DpdkCall.DEV_DMA_MAP, errno, join(DpdkCall.DEV_DMA_MAP.hint(errno),
                        memory + " for port " + port.name()));
            }
            attach();
        }

        @Override
        protected void destroy() {
            if (RteEal.rte_dev_dma_unmap(device, MemorySegment.ofAddress(memory.address), memory.dmaIova(), memory.length) < 0) {
                throw new DpdkException(DpdkCall.DEV_DMA_UNMAP, RteErrno.get());
            }
        }

        @Override
        protected String describe() {
            return "DMA mapping of " + memory;
        }
    }

    private long dmaIova() {
        return iovaIsVa ? address : RTE_BAD_IOVA;
    }

    @Override
    protected void destroy() {
        synchronized (LIVE) {
            LIVE.remove(address, this);
            if (RteEal.rte_extmem_unregister(MemorySegment.ofAddress(address), length) < 0) {
                throw new DpdkException(DpdkCall.EXTMEM_UNREGISTER, RteErrno.get());
            }
        }
    }

    private static String describeRange(long address, long length) {
        return "[0x" + Long.toHexString(address) + ", +" + length + ")";
    }

    private static String join(String hint, String more) {
        return hint == null ? more : hint + "; " + more;
    }

    @Override
    protected String describe() {
        return "ExternalMemory " + describeRange(address, length);
    }

    @Override
    public String toString() {
        return describe() + (isClosed() ? " (closed)" : "");
    }
}
