package io.jverbs.dpdk;

/**
 * {@code struct rte_eth_stats}: the port's basic counters since start or the last reset.
 *
 * @param rxPackets {@code ipackets}
 * @param txPackets {@code opackets}
 * @param rxBytes   {@code ibytes}
 * @param txBytes   {@code obytes}
 * @param rxMissed  {@code imissed}: dropped by the hardware (rx ring full)
 * @param rxErrors  {@code ierrors}
 * @param txErrors  {@code oerrors}
 * @param rxNoMbuf  {@code rx_nombuf}: rx refill failures (pool exhausted)
 */
public record PortStats(long rxPackets, long txPackets, long rxBytes, long txBytes, long rxMissed, long rxErrors,
                        long txErrors, long rxNoMbuf) {
}
