package io.jverbs.raweth.linux;

/**
 * The port contract on AF_PACKET with {@code TPACKET_V2} rings ({@link AfPacketPort.Options#lowLatency()}),
 * on a veth pair as {@link AfPacketPairConformanceTest}. Needs root.
 */
class AfPacketV2PairConformanceTest extends AfPacketPairConformanceTest {
    @Override
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS.lowLatency();
    }
}
