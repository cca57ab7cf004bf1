package io.jverbs.raweth.linux;

/** {@link AfPacketTsoKernelConformanceTest} on {@code TPACKET_V2} rings. Needs root. */
class AfPacketV2TsoKernelConformanceTest extends AfPacketKernelConformanceTest {
    @Override
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS.lowLatency().withTso(true);
    }
}
