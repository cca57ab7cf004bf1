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
 * The {@link PortConformance} suite on a {@link DpdkPort} over net_tap, with the Linux kernel on
 * the other side of the tap answering the suite's ARP and ping. The tap stays in the root
 * namespace with a test-only address (a net_tap interface moved into another namespace cannot be
 * started again, and the suite stops and starts the port for every test); IPv6 is off on it so
 * the kernel sends nothing of its own.
 */
class DpdkTapKernelConformanceTest extends PortConformance {
    static final String KERNEL_IP = "10.203.10.1";
    static final String JAVA_IP = "10.203.10.2";

    private static MbufPool pool;
    private static EthPort port;
    private static String ifname;

    @BeforeAll
    static void setUp() {
        Eal eal = DpdkTestEal.get();
        try {
            HostNet.tryRun("modprobe", "tun");
            ifname = "jrt" + HostNet.TAG;
            String name = "net_tap_jrt" + HostNet.TAG;
            eal.probe(name + ",iface=" + ifname);
            port = EthPort.byName(eal, name);
            pool = MbufPool.create(eal, "conf-tap-k", 4095, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            HostNet.run("sysctl", "-qw", "net.ipv6.conf." + ifname + ".disable_ipv6=1");
            HostNet.run("ip", "addr", "add", KERNEL_IP + "/24", "dev", ifname);
            HostNet.run("ip", "link", "set", ifname, "up");
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        if (pool != null) {
            pool.close(); // closes the ethdev first: the tap interface goes with its fds
        }
    }

    @Override
    protected Link openLink() {
        MacAddress kernelMac = HostNet.mac(null, ifname);
        return Link.kernel(DpdkPort.open(port, pool, 32),
                new KernelPeer(Ipv4Address.parse(JAVA_IP), Ipv4Address.parse(KERNEL_IP), kernelMac), pool.size());
    }
}
