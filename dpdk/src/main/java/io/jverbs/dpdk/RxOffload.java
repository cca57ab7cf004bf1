package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteEthdev;

import java.util.EnumSet;
import java.util.Set;

/** Rx offloads ({@code RTE_ETH_RX_OFFLOAD_*}), as a port offers them ({@link DeviceInfo#rxOffloads()}) and a {@link PortConfig} asks for them. */
public enum RxOffload {
    VLAN_STRIP(RteEthdev.RTE_ETH_RX_OFFLOAD_VLAN_STRIP),
    IPV4_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_IPV4_CKSUM),
    UDP_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_UDP_CKSUM),
    TCP_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_TCP_CKSUM),
    TCP_LRO(RteEthdev.RTE_ETH_RX_OFFLOAD_TCP_LRO),
    QINQ_STRIP(RteEthdev.RTE_ETH_RX_OFFLOAD_QINQ_STRIP),
    OUTER_IPV4_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_OUTER_IPV4_CKSUM),
    MACSEC_STRIP(RteEthdev.RTE_ETH_RX_OFFLOAD_MACSEC_STRIP),
    VLAN_FILTER(RteEthdev.RTE_ETH_RX_OFFLOAD_VLAN_FILTER),
    VLAN_EXTEND(RteEthdev.RTE_ETH_RX_OFFLOAD_VLAN_EXTEND),
    SCATTER(RteEthdev.RTE_ETH_RX_OFFLOAD_SCATTER),
    TIMESTAMP(RteEthdev.RTE_ETH_RX_OFFLOAD_TIMESTAMP),
    SECURITY(RteEthdev.RTE_ETH_RX_OFFLOAD_SECURITY),
    KEEP_CRC(RteEthdev.RTE_ETH_RX_OFFLOAD_KEEP_CRC),
    SCTP_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_SCTP_CKSUM),
    OUTER_UDP_CKSUM(RteEthdev.RTE_ETH_RX_OFFLOAD_OUTER_UDP_CKSUM),
    RSS_HASH(RteEthdev.RTE_ETH_RX_OFFLOAD_RSS_HASH),
    BUFFER_SPLIT(RteEthdev.RTE_ETH_RX_OFFLOAD_BUFFER_SPLIT);

    private final long bit;

    RxOffload(long bit) {
        this.bit = bit;
    }

    /** The {@code RTE_ETH_RX_OFFLOAD_*} bit. */
    public long bit() {
        return bit;
    }

    /** The offloads whose bits are set in {@code mask} (bits jverbs does not name are dropped). */
    public static Set<RxOffload> of(long mask) {
        EnumSet<RxOffload> s = EnumSet.noneOf(RxOffload.class);
        for (RxOffload o : values()) {
            if ((mask & o.bit) != 0) s.add(o);
        }
        return s;
    }

    /** The bit mask of {@code offloads}. */
    public static long mask(Set<RxOffload> offloads) {
        long m = 0;
        for (RxOffload o : offloads) m |= o.bit;
        return m;
    }
}
