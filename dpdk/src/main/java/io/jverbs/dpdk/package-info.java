/**
 * DPDK from Java: the EAL, mbuf pools and ethdev ports, with a burst fast path that allocates
 * nothing. The path every program walks:
 *
 * {@snippet :
 * try (Eal eal = Eal.init(EalOptions.builder().lcores("0").noHuge().memoryMb(256).noPci()
 *         .vdev("net_ring0").filePrefix("demo").build())) {
 *     MbufPool pool = MbufPool.create(eal, "pool", 4095);
 *     EthPort port = EthPort.byName(eal, "net_ring0");
 *     port.configure(PortConfig.simple(pool));
 *     port.start();
 *     MbufArray burst = new MbufArray(eal, 32);
 *     pool.allocate(burst, 32);                 // rte_pktmbuf_alloc_bulk
 *     MemorySegment header = MemorySegment.ofArray(ETHERNET_HEADER); // 14 bytes: dst, src, EtherType
 *     for (int i = 0; i < 32; i++) {
 *         burst.get(i).length(64).write(0, header); // data_len/pkt_len, then the memcpy of a C program
 *     }
 *     // or both in one pass over the burst: pool.allocate(burst, 32, 64, header);
 *     int sent = port.txBurst(0, burst);        // rte_eth_tx_burst
 *     int got = port.rxBurst(0, burst);         // rte_eth_rx_burst: net_ring loops them back
 *     burst.freeAll();                          // rte_pktmbuf_free_bulk
 * }                                             // closes ports and pools, then rte_eal_cleanup
 * }
 *
 * <p>Memory shared with RDMA: {@link io.jverbs.dpdk.ExternalMemory} registers a
 * {@link io.jverbs.core.NativeBuffer} with DPDK ({@code rte_extmem_register}) and
 * {@link io.jverbs.dpdk.MbufPool#createExternal} puts a pool's data buffers in it, so frames a
 * port receives lie in memory that an ibverbs memory region over the same buffer also covers.
 * Both registrations are children of the buffer: closing it frees the pool, unregisters the
 * memory and deregisters the MR before it unmaps ({@code examples/DpdkToRdma}).
 *
 * <p>Lifetimes follow {@link io.jverbs.core.NativeResource}: pools, ports and mbuf arrays are
 * children of the {@link io.jverbs.dpdk.Eal}; a pool closes the ports that refill from it before
 * it is freed; anything used after close throws {@link java.lang.IllegalStateException}. Failed
 * DPDK calls throw {@link io.jverbs.dpdk.DpdkException} naming the call, the errno
 * ({@code rte_errno} of the failing thread, or the negated return value) and the usual fix.
 *
 * <p>Where this differs from a C program: {@code rte_eal_init} runs on a dedicated thread that
 * owns the main lcore (so the caller keeps its CPU affinity), and jverbs launches no worker
 * lcores: packets are handled by ordinary Java threads, each of which calls
 * {@link io.jverbs.dpdk.Eal#registerThread()} to get an lcore id and with it the mempool's
 * per-lcore cache. The functions DPDK keeps inline in its headers ({@code rte_eth_rx_burst},
 * {@code rte_eth_tx_burst}, {@code rte_pktmbuf_alloc_bulk}, the {@code rte_pktmbuf_*} field
 * helpers) are done in Java the way the headers do them, through function pointers cached at
 * {@link io.jverbs.dpdk.EthPort#start()} and pool creation. Ownership of mbufs is DPDK's: the
 * application owns what it allocated or received until it frees it or a tx burst takes it, and
 * the mbufs a tx burst did not take are still the caller's to retry or free. The repository's
 * {@code docs/dpdk.md} covers set-up (hugepages, virtual devices, NICs, mlx5 flow isolation) and
 * {@code examples/run.sh DpdkForward} is a complete forwarding program.
 */
package io.jverbs.dpdk;
