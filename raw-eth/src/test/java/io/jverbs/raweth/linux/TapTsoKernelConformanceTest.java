package io.jverbs.raweth.linux;

/**
 * The port contract on a TAP opened with {@code IFF_VNET_HDR} ({@link TapPort.Options#withTso}):
 * a virtio_net_hdr before every frame read and written, as {@link TapKernelConformanceTest}. Needs root.
 */
class TapTsoKernelConformanceTest extends TapKernelConformanceTest {
    @Override
    TapPort.Options options() {
        return TapPort.Options.DEFAULTS.withTso(4);
    }
}
