package io.jverbs.raweth.linux;

/**
 * The port contract with the Linux kernel as the peer, with {@code PACKET_VNET_HDR} offloads
 * ({@link AfPacketPort.Options#withTso}): every frame carries a virtio_net_hdr on both rings, as
 * {@link AfPacketKernelConformanceTest}. Needs root.
 */
class AfPacketTsoKernelConformanceTest extends AfPacketKernelConformanceTest {
    @Override
    AfPacketPort.Options options() {
        return AfPacketPort.Options.DEFAULTS.withTso(true);
    }
}
