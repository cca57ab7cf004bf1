package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.raweth.linux.HostNet;
import io.jverbs.raweth.port.PortConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link PortConformance} suite on two {@link DpdkPort}s over net_af_packet, one on each end
 * of a veth pair: what one transmits the kernel's veth hands to the other. The veth ends have no
 * address and IPv6 off, so the kernel sends nothing of its own on them.
 */
class DpdkAfPacketPairConformanceTest extends PortConformance {
    private static HostNet net;
    private static MbufPool poolA;
    private static MbufPool poolB;
    private static EthPort portA;
    private static EthPort portB;

    @BeforeAll
    static void setUp() {
        Eal eal = DpdkTestEal.get();
        net = new HostNet();
        try {
            HostNet.tryRun("modprobe", "veth");
            String ifA = "jrpa" + HostNet.TAG;
            String ifB = "jrpb" + HostNet.TAG;
            net.veth(ifA, ifB, null);
            eal.probe("net_af_packet_jrpa" + HostNet.TAG + ",iface=" + ifA);
            eal.probe("net_af_packet_jrpb" + HostNet.TAG + ",iface=" + ifB);
            portA = EthPort.byName(eal, "net_af_packet_jrpa" + HostNet.TAG);
            portB = EthPort.byName(eal, "net_af_packet_jrpb" + HostNet.TAG);
            poolA = MbufPool.create(eal, "conf-afp-a", 4095, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            poolB = MbufPool.create(eal, "conf-afp-b", 4095, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            if (poolA != null) poolA.close(); // closes the ethdevs that refill from them
            if (poolB != null) poolB.close();
        } finally {
            net.close();
        }
    }

    @Override
    protected Link openLink() {
        DpdkPort a = DpdkPort.open(portA, poolA, 32);
        try {
            return Link.pair(a, DpdkPort.open(portB, poolB, 32), poolA.size());
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }
}
