package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteEthdev;

/**
 * {@code struct rte_eth_link}: speed and three one-bit fields packed into 8 bytes. Java reads the
 * 8 bytes as one {@code long}; the bit positions are {@code RteEthdev.RTE_ETH_LINK_*_BIT}, which
 * gcc computes from the installed header when the bindings are generated.
 *
 * @param speedMbps  {@code link_speed} in Mb/s; 0 ({@code RTE_ETH_SPEED_NUM_NONE}) when down,
 *                   -1 for {@code RTE_ETH_SPEED_NUM_UNKNOWN}
 * @param fullDuplex {@code link_duplex}
 * @param autoneg    {@code link_autoneg}
 * @param up         {@code link_status}
 */
public record LinkStatus(int speedMbps, boolean fullDuplex, boolean autoneg, boolean up) {
    /** Decodes the 8 bytes of a {@code struct rte_eth_link} read as one little-endian long. */
    static LinkStatus decode(long raw) {
        return new LinkStatus((int) raw,
                (raw >>> RteEthdev.RTE_ETH_LINK_DUPLEX_BIT & 1) != 0,
                (raw >>> RteEthdev.RTE_ETH_LINK_AUTONEG_BIT & 1) != 0,
                (raw >>> RteEthdev.RTE_ETH_LINK_STATUS_BIT & 1) != 0);
    }

    /** True when the driver does not know the speed ({@code RTE_ETH_SPEED_NUM_UNKNOWN}). */
    public boolean speedUnknown() {
        return speedMbps == (int) RteEthdev.RTE_ETH_SPEED_NUM_UNKNOWN;
    }

    @Override
    public String toString() {
        return up ? "Link up at " + (speedUnknown() ? "unknown speed" : speedMbps + " Mbps") + (fullDuplex ? " FDX" : " HDX")
                + (autoneg ? " Autoneg" : " Fixed") : "Link down";
    }
}
