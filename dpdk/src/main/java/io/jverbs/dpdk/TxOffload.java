package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteEthdev;

import java.util.EnumSet;
import java.util.Set;

/** Tx offloads ({@code RTE_ETH_TX_OFFLOAD_*}), as a port offers them ({@link DeviceInfo#txOffloads()}) and a {@link PortConfig} asks for them. */
public enum TxOffload {
    VLAN_INSERT(RteEthdev.RTE_ETH_TX_OFFLOAD_VLAN_INSERT),
    IPV4_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_IPV4_CKSUM),
    UDP_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_UDP_CKSUM),
    TCP_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_TCP_CKSUM),
    SCTP_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_SCTP_CKSUM),
    TCP_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_TCP_TSO),
    UDP_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_UDP_TSO),
    OUTER_IPV4_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM),
    QINQ_INSERT(RteEthdev.RTE_ETH_TX_OFFLOAD_QINQ_INSERT),
    VXLAN_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO),
    GRE_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_GRE_TNL_TSO),
    IPIP_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_IPIP_TNL_TSO),
    GENEVE_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_GENEVE_TNL_TSO),
    MACSEC_INSERT(RteEthdev.RTE_ETH_TX_OFFLOAD_MACSEC_INSERT),
    MT_LOCKFREE(RteEthdev.RTE_ETH_TX_OFFLOAD_MT_LOCKFREE),
    MULTI_SEGS(RteEthdev.RTE_ETH_TX_OFFLOAD_MULTI_SEGS),
    MBUF_FAST_FREE(RteEthdev.RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE),
    SECURITY(RteEthdev.RTE_ETH_TX_OFFLOAD_SECURITY),
    UDP_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_UDP_TNL_TSO),
    IP_TNL_TSO(RteEthdev.RTE_ETH_TX_OFFLOAD_IP_TNL_TSO),
    OUTER_UDP_CKSUM(RteEthdev.RTE_ETH_TX_OFFLOAD_OUTER_UDP_CKSUM),
    SEND_ON_TIMESTAMP(RteEthdev.RTE_ETH_TX_OFFLOAD_SEND_ON_TIMESTAMP);

    private final long bit;

    TxOffload(long bit) {
        this.bit = bit;
    }

    /** The {@code RTE_ETH_TX_OFFLOAD_*} bit. */
    public long bit() {
        return bit;
    }

    /** The offloads whose bits are set in {@code mask} (bits jverbs does not name are dropped). */
    public static Set<TxOffload> of(long mask) {
        EnumSet<TxOffload> s = EnumSet.noneOf(TxOffload.class);
        for (TxOffload o : values()) {
            if ((mask & o.bit) != 0) s.add(o);
        }
        return s;
    }

    /** The bit mask of {@code offloads}. */
    public static long mask(Set<TxOffload> offloads) {
        long m = 0;
        for (TxOffload o : offloads) m |= o.bit;
        return m;
    }
}
