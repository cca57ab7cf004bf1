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
 *     for (int i = 0; i < 32; i++) burst.get(i).length(64);
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
 */
package io.jverbs.dpdk;
