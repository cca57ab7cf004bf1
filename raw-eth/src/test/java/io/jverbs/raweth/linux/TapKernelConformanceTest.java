package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PortConformance;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The port contract on TAP: each test opens a {@link TapPort} (creating the interface), moves the
 * interface into a namespace and gives it an address there; the kernel answers the suite's ARP and
 * pings through the descriptor opened in the root namespace. Closing the port removes the
 * interface. Needs root.
 */
class TapKernelConformanceTest extends PortConformance {
    private static final String TAP = "jv" + HostNet.TAG + "t";
    private static HostNet net;
    private static String ns;

    @BeforeAll
    static void namespace() {
        net = new HostNet();
        ns = net.namespace("t");
    }

    @AfterAll
    static void cleanup() {
        if (net != null) net.close();
    }

    /** The port's options; a subclass runs the suite with offloads. */
    TapPort.Options options() {
        return TapPort.Options.DEFAULTS;
    }

    @Override
    protected Link openLink() {
        TapPort port = TapPort.open(TAP, options());
        try {
            String kernelIp = "10.232." + HostNet.SUBNET + ".1";
            HostNet.run("ip", "link", "set", TAP, "netns", ns);
            HostNet.run("ip", "-n", ns, "addr", "add", kernelIp + "/24", "dev", TAP);
            HostNet.run("ip", "-n", ns, "link", "set", TAP, "up");
            KernelPeer peer = new KernelPeer(Ipv4Address.parse("10.232." + HostNet.SUBNET + ".2"),
                    Ipv4Address.parse(kernelIp), port.interfaceMac());
            return Link.kernel(port, peer, TapPort.Options.DEFAULTS.buffers());
        } catch (RuntimeException e) {
            port.close();
            throw e;
        }
    }
}
