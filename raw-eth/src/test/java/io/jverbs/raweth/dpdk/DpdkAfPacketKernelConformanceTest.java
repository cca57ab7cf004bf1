package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.raweth.linux.HostNet;
import io.jverbs.raweth.port.PortConformance;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link PortConformance} suite on a {@link DpdkPort} over net_af_packet on a veth whose peer
 * lives in a fresh network namespace with an address: the Linux kernel answers the suite's ARP and
 * ping. DPDK's end has no address and IPv6 off, so the root namespace's kernel stays out of it.
 * (net_tap would do too, but once its interface moves into a namespace it cannot be started again,
 * and the suite stops and starts the port for every test.)
 */
class DpdkAfPacketKernelConformanceTest extends PortConformance {
    static final String KERNEL_IP = "10.203.9.1";
    static final String JAVA_IP = "10.203.9.2";

    private static HostNet net;
    private static MbufPool pool;
    private static EthPort port;
    private static String ns;
    private static String kernelSide;

    @BeforeAll
    static void setUp() {
        Eal eal = DpdkTestEal.get();
        net = new HostNet();
        try {
            HostNet.tryRun("modprobe", "veth");
            ns = net.namespace("dk");
            String dpdkSide = "jrka" + HostNet.TAG;
            kernelSide = "jrkb" + HostNet.TAG;
            net.veth(dpdkSide, kernelSide, ns);
            HostNet.run("ip", "-n", ns, "addr", "add", KERNEL_IP + "/24", "dev", kernelSide);
            HostNet.run("ip", "-n", ns, "link", "set", kernelSide, "up");
            String name = "net_af_packet_jrk" + HostNet.TAG;
            eal.probe(name + ",iface=" + dpdkSide);
            port = EthPort.byName(eal, name);
            pool = MbufPool.create(eal, "conf-afp-k", 4095, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            if (pool != null) pool.close(); // closes the ethdev first
        } finally {
            net.close();
        }
    }

    @Override
    protected Link openLink() {
        MacAddress kernelMac = HostNet.mac(ns, kernelSide);
        return Link.kernel(DpdkPort.open(port, pool, 32),
                new KernelPeer(Ipv4Address.parse(JAVA_IP), Ipv4Address.parse(KERNEL_IP), kernelMac), pool.size());
    }
}
