package io.jverbs.raweth.linux;

/**
 * The port contract with the Linux kernel as the peer, on {@code TPACKET_V2} rings
 * ({@link AfPacketPort.Options#lowLatency()}), as {@link AfPacketKernelConformanceTest}. Needs root.
 */
class AfPacketV2KernelConformanceTest extends AfPacketKernelConformanceTest {
    @Override
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS.lowLatency();
    }
}
