package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;

/** The DPDK calls jverbs makes, with the usual fix for their failures. */
public enum DpdkCall implements NativeCall {
    EAL_INIT("rte_eal_init") {
        @Override
        public String hint(int errno) {
            return switch (errno) {
                case Errno.EINVAL -> "An EAL argument is invalid (EAL printed which one above): check EalOptions, "
                        + "e.g. a malformed --lcores list, -m without --no-huge on a host without hugepages, or an unknown option";
                case EALREADY -> "rte_eal_init already ran in this process: DPDK initializes once per process";
                case Errno.EACCES -> "Permission denied: DPDK needs root (or CAP_SYS_ADMIN/CAP_IPC_LOCK) for hugepages and devices";
                case Errno.ENOMEM -> "EAL could not reserve its memory: reserve hugepages (nr_hugepages) or use EalOptions.noHuge() with a smaller memoryMb";
                case ENOTSUP -> "EAL could not probe its devices: a --vdev names a driver that is not installed (librte-net-*23) "
                        + "or whose arguments it rejected; EAL's log above names the device";
                case Errno.EBUSY -> "Another DPDK process holds this --file-prefix: give each process its own EalOptions.filePrefix";
                default -> null;
            };
        }
    },
    EAL_CLEANUP("rte_eal_cleanup"),
    THREAD_REGISTER("rte_thread_register") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENOMEM ? "All RTE_MAX_LCORE lcore ids are taken: unregister threads that no longer use DPDK" : null;
        }
    },
    DEV_PROBE("rte_dev_probe") {
        @Override
        public String hint(int errno) {
            return switch (errno) {
                case Errno.EEXIST -> "A device of this name exists already: give each vdev a unique name (net_tap0, net_tap1, ...)";
                case Errno.EINVAL, Errno.ENOENT, Errno.ENODEV -> "The driver is not installed (librte-net-*23) or rejected its arguments; "
                        + "EAL's log names the device";
                default -> null;
            };
        }
    },
    PKTMBUF_POOL_CREATE("rte_pktmbuf_pool_create") {
        @Override
        public String hint(int errno) {
            return switch (errno) {
                case Errno.ENOMEM -> "Not enough DPDK memory for the pool: fewer or smaller mbufs, or more EAL memory (EalOptions.memoryMb, hugepages)";
                case Errno.EEXIST -> "A mempool of this name exists already: pool names are unique per process";
                case Errno.EINVAL -> "Bad pool parameters: cache size must be <= RTE_MEMPOOL_CACHE_MAX_SIZE (512) and <= count / 1.5";
                case Errno.ENOSPC -> "No free memzone left (RTE_MAX_MEMZONE): free pools that are no longer used";
                default -> null;
            };
        }
    },
    PKTMBUF_POOL_CREATE_EXTBUF("rte_pktmbuf_pool_create_extbuf") {
        @Override
        public String hint(int errno) {
            return PKTMBUF_POOL_CREATE.hint(errno);
        }
    },
    EXTMEM_REGISTER("rte_extmem_register") {
        @Override
        public String hint(int errno) {
            return switch (errno) {
                case Errno.EEXIST -> "The range overlaps memory DPDK knows already (another ExternalMemory of the same pages): "
                        + "register each range once";
                case Errno.ENOSPC -> "No free memseg list left (RTE_MAX_MEMSEG_LISTS): close ExternalMemory that is no longer used";
                case Errno.EINVAL -> "Bad range: address and length must be multiples of the page size";
                default -> null;
            };
        }
    },
    EXTMEM_UNREGISTER("rte_extmem_unregister"),
    DEV_DMA_MAP("rte_dev_dma_map") {
        @Override
        public String hint(int errno) {
            return errno == ENOTSUP ? "The device's bus or driver cannot map memory for DMA: a device that copies "
                    + "through the kernel (a vdev) needs no mapping" : null;
        }
    },
    DEV_DMA_UNMAP("rte_dev_dma_unmap"),
    MEMPOOL_GET_BULK("rte_mempool_get_bulk"),
    ETH_DEV_GET_PORT_BY_NAME("rte_eth_dev_get_port_by_name") {
        @Override
        public String hint(int errno) {
            return errno == Errno.ENODEV ? "No such port: add the device with EalOptions.vdev(\"net_ring0\") (or probe it) "
                    + "and use the name EAL gave it" : null;
        }
    },
    ETH_DEV_INFO_GET("rte_eth_dev_info_get"),
    ETH_DEV_CONFIGURE("rte_eth_dev_configure") {
        @Override
        public String hint(int errno) {
            return errno == Errno.EINVAL ? "The port rejected the configuration: check queue counts against "
                    + "DeviceInfo.maxRxQueues/maxTxQueues and offloads against its capabilities" : null;
        }
    },
    ETH_RX_QUEUE_SETUP("rte_eth_rx_queue_setup") {
        @Override
        public String hint(int errno) {
            return switch (errno) {
                case Errno.EINVAL -> "Bad rx queue parameters: check the descriptor count against DeviceInfo.rxDescriptorLimits "
                        + "and the pool's data room against DeviceInfo.minRxBufferSize";
                case Errno.ENOMEM -> "Not enough memory for the rx ring or its mbufs: a bigger pool or fewer descriptors";
                default -> null;
            };
        }
    },
    ETH_TX_QUEUE_SETUP("rte_eth_tx_queue_setup"),
    ETH_DEV_START("rte_eth_dev_start"),
    ETH_DEV_STOP("rte_eth_dev_stop"),
    ETH_DEV_CLOSE("rte_eth_dev_close"),
    ETH_LINK_GET_NOWAIT("rte_eth_link_get_nowait"),
    ETH_STATS_GET("rte_eth_stats_get"),
    ETH_STATS_RESET("rte_eth_stats_reset"),
    ETH_XSTATS_GET("rte_eth_xstats_get"),
    ETH_XSTATS_GET_NAMES("rte_eth_xstats_get_names"),
    ETH_XSTATS_RESET("rte_eth_xstats_reset"),
    ETH_MACADDR_GET("rte_eth_macaddr_get"),
    ETH_DEV_DEFAULT_MAC_ADDR_SET("rte_eth_dev_default_mac_addr_set"),
    ETH_PROMISCUOUS_ENABLE("rte_eth_promiscuous_enable"),
    ETH_PROMISCUOUS_DISABLE("rte_eth_promiscuous_disable"),
    ETH_DEV_SET_MTU("rte_eth_dev_set_mtu"),
    ETH_DEV_GET_MTU("rte_eth_dev_get_mtu"),
    // rte_flow: the PMD's own rte_flow_error message says more than any hint here.
    FLOW_VALIDATE("rte_flow_validate"),
    FLOW_CREATE("rte_flow_create"),
    FLOW_DESTROY("rte_flow_destroy"),
    FLOW_FLUSH("rte_flow_flush"),
    FLOW_ISOLATE("rte_flow_isolate");

    /** {@code ENOTSUP}, which DPDK uses apart from EOPNOTSUPP (the same value on Linux). */
    static final int ENOTSUP = 95;
    /** {@code EALREADY}: rte_eal_init ran before. */
    static final int EALREADY = 114;

    private final String function;

    DpdkCall(String function) {
        this.function = function;
    }

    @Override
    public String function() {
        return function;
    }
}
