package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PortConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The port contract on AF_PACKET: two {@link AfPacketPort}s on the two ends of a veth pair in the
 * root namespace (no addresses, IPv6 off, so the kernel stays quiet on them). Needs root.
 */
class AfPacketPairConformanceTest extends PortConformance {
    private static final String A = "jv" + HostNet.TAG + "pa";
    private static final String B = "jv" + HostNet.TAG + "pb";
    private static HostNet net;

    @BeforeAll
    static void veth() {
        net = new HostNet();
        net.veth(A, B, null);
    }

    @AfterAll
    static void cleanup() {
        if (net != null) net.close();
    }

    @Override
    protected Link openLink() {
        AfPacketPort a = AfPacketPort.open(A);
        try {
            return Link.pair(a, AfPacketPort.open(B), AfPacketPort.Options.DEFAULTS.txFrames());
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }
}
