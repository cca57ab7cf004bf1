package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.raweth.port.PortConformance;
import io.jverbs.raweth.wire.MacAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link PortConformance} suite on a {@link DpdkPort} over net_ring, a port whose tx ring is
 * its rx ring: a loopback, with a locally administered MAC (net_ring's own is all zero). Each test opens the port (configure + start) and closes it (stop); the
 * ethdev and its pool live for the class.
 */
class DpdkRingConformanceTest extends PortConformance {
    private static final MacAddress MAC = MacAddress.parse("02:6a:72:00:00:02");
    private static MbufPool pool;
    private static EthPort ring;

    @BeforeAll
    static void setUp() {
        var eal = DpdkTestEal.get();
        pool = MbufPool.create(eal, "conf-ring", 2047, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
        ring = EthPort.byName(eal, "net_ring2");
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    @Override
    protected Link openLink() {
        return Link.loopback(DpdkPort.open(ring, pool, 32, MAC), pool.size());
    }
}
