package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.PortConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /** The ports' options; a subclass runs the suite on other rings. */
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS;
    }

    @Override
    protected Link openLink() {
        AfPacketPort a = AfPacketPort.open(A, options());
        try {
            assertEquals(options().ring(), a.ringVersion(), "the port's ring version");
            return Link.pair(a, AfPacketPort.open(B, options()), options().txFrames());
        } catch (RuntimeException | Error e) {
            a.close();
            throw e;
        }
    }
}
