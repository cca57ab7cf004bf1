package io.jverbs.dpdk;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How {@link EthPort#configure(PortConfig)} sets a port up: {@code rte_eth_dev_configure} with
 * the queue counts and port-wide offloads, then {@code rte_eth_rx_queue_setup} for each rx queue
 * (refilled from {@code rxPool}) and {@code rte_eth_tx_queue_setup} for each tx queue, on the
 * port's socket with the driver's default queue configuration.
 *
 * @param rxQueues      rx queues, 1.. {@link DeviceInfo#maxRxQueues()}
 * @param txQueues      tx queues, 1.. {@link DeviceInfo#maxTxQueues()}
 * @param rxDescriptors descriptors per rx queue (0: the driver's preferred ring size, or 1024)
 * @param txDescriptors descriptors per tx queue (0: as above)
 * @param rxPool        the pool rx queues take mbufs from
 * @param rxOffloads    port-wide rx offloads; each must be in {@link DeviceInfo#rxOffloads()}
 * @param txOffloads    port-wide tx offloads; each must be in {@link DeviceInfo#txOffloads()}
 */
public record PortConfig(int rxQueues, int txQueues, int rxDescriptors, int txDescriptors, MbufPool rxPool,
                         Set<RxOffload> rxOffloads, Set<TxOffload> txOffloads) {
    public PortConfig {
        Objects.requireNonNull(rxPool, "rxPool");
        if (rxQueues < 0 || rxQueues > 0xFFFF || txQueues < 0 || txQueues > 0xFFFF || rxQueues + txQueues == 0) {
            throw new IllegalArgumentException("queue counts must be 0..65535 and not both 0, got rx " + rxQueues + " tx " + txQueues);
        }
        if (rxDescriptors < 0 || rxDescriptors > 0xFFFF || txDescriptors < 0 || txDescriptors > 0xFFFF) {
            throw new IllegalArgumentException("descriptor counts must be 0..65535, got rx " + rxDescriptors + " tx " + txDescriptors);
        }
        rxOffloads = rxOffloads.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(rxOffloads));
        txOffloads = txOffloads.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(txOffloads));
    }

    /** One rx and one tx queue with the driver's ring sizes and no offloads. */
    public static PortConfig simple(MbufPool rxPool) {
        return new PortConfig(1, 1, 0, 0, rxPool, Set.of(), Set.of());
    }

    public PortConfig withQueues(int rx, int tx) {
        return new PortConfig(rx, tx, rxDescriptors, txDescriptors, rxPool, rxOffloads, txOffloads);
    }

    public PortConfig withDescriptors(int rx, int tx) {
        return new PortConfig(rxQueues, txQueues, rx, tx, rxPool, rxOffloads, txOffloads);
    }

    public PortConfig withOffloads(Set<RxOffload> rx, Set<TxOffload> tx) {
        return new PortConfig(rxQueues, txQueues, rxDescriptors, txDescriptors, rxPool, rx, tx);
    }
}
