package io.jverbs.dpdk;

import java.util.Set;

/**
 * What {@code rte_eth_dev_info_get} says about a port.
 *
 * @param driverName          e.g. {@code net_ring}, {@code net_null}
 * @param maxRxQueues         {@code max_rx_queues}
 * @param maxTxQueues         {@code max_tx_queues}
 * @param rxOffloads          {@code rx_offload_capa}, typed
 * @param txOffloads          {@code tx_offload_capa}, typed
 * @param rxOffloadMask       {@code rx_offload_capa}, all bits
 * @param txOffloadMask       {@code tx_offload_capa}, all bits
 * @param rxDescriptorLimits  {@code rx_desc_lim}
 * @param txDescriptorLimits  {@code tx_desc_lim}
 * @param minRxBufferSize     {@code min_rx_bufsize}: the smallest pool data room (minus headroom) rx accepts
 * @param maxRxPacketLength   {@code max_rx_pktlen}
 * @param minMtu              {@code min_mtu}
 * @param maxMtu              {@code max_mtu}
 * @param preferredRxRingSize {@code default_rxportconf.ring_size} (0: no preference)
 * @param preferredTxRingSize {@code default_txportconf.ring_size} (0: no preference)
 * @param preferredBurstSize  {@code default_rxportconf.burst_size} (0: no preference)
 * @param speedCapabilities   {@code speed_capa}: {@code RTE_ETH_LINK_SPEED_*} bits
 * @param interfaceIndex      {@code if_index}: the kernel interface behind the port, or 0
 */
public record DeviceInfo(String driverName, int maxRxQueues, int maxTxQueues, Set<RxOffload> rxOffloads,
                         Set<TxOffload> txOffloads, long rxOffloadMask, long txOffloadMask,
                         DescriptorLimits rxDescriptorLimits, DescriptorLimits txDescriptorLimits, int minRxBufferSize,
                         int maxRxPacketLength, int minMtu, int maxMtu, int preferredRxRingSize, int preferredTxRingSize,
                         int preferredBurstSize, int speedCapabilities, int interfaceIndex) {

    /**
     * {@code struct rte_eth_desc_lim}: a queue's descriptor count must lie in {@code min..max}
     * and be a multiple of {@code align}.
     */
    public record DescriptorLimits(int max, int min, int align) {
        /** True when {@code n} descriptors are acceptable. */
        public boolean accepts(int n) {
            return n >= min && n <= max && (align <= 1 || n % align == 0);
        }
    }
}
