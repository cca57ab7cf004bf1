package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PortConformance;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The port contract with the Linux kernel as the peer: an {@link AfPacketPort} on the root end of a
 * veth whose other end is in a namespace with an IPv4 address; the kernel answers the suite's ARP
 * and pings. Needs root.
 */
class AfPacketKernelConformanceTest extends PortConformance {
    private static final String LOCAL = "jv" + HostNet.TAG + "ka";
    private static final String KERNEL = "jv" + HostNet.TAG + "kb";
    private static HostNet net;
    private static KernelPeer peer;

    @BeforeAll
    static void kernel() {
        net = new HostNet();
        String ns = net.namespace("k");
        net.veth(LOCAL, KERNEL, ns);
        HostNet.run("ip", "-n", ns, "addr", "add", "10.231." + HostNet.SUBNET + ".1/24", "dev", KERNEL);
        HostNet.run("ip", "-n", ns, "link", "set", KERNEL, "up");
        peer = new KernelPeer(Ipv4Address.parse("10.231." + HostNet.SUBNET + ".2"),
                Ipv4Address.parse("10.231." + HostNet.SUBNET + ".1"), HostNet.mac(ns, KERNEL));
    }

    @AfterAll
    static void cleanup() {
        if (net != null) net.close();
    }

    /** The port's options; a subclass runs the suite on other rings. */
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS;
    }

    @Override
    protected Link openLink() {
        AfPacketPort port = AfPacketPort.open(LOCAL, options());
        assertEquals(options().ring(), port.ringVersion(), "the port's ring version");
        return Link.kernel(port, peer, options().txFrames());
    }
}
