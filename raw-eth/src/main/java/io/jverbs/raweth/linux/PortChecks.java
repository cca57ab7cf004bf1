package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.FrameBurst;

/** Argument checks both ports make before touching their memory: caller bugs throw and lose nothing. */
final class PortChecks {
    private static final int ETH_HLEN = 14;

    private PortChecks() {}

    static void checkAllocate(FrameBurst burst, int n, String port) {
        burst.requireEmpty(port, "allocate");
        if (n < 0 || n > burst.capacity()) {
            throw new IllegalArgumentException("n " + n + " outside [0, " + burst.capacity() + "]");
        }
    }

    /** The offloads a port with a virtio_net_hdr (TAP's IFF_VNET_HDR, AF_PACKET's PACKET_VNET_HDR) takes. */
    static final int VNET_OFFLOADS = FrameBurst.TX_L4_CHECKSUM | FrameBurst.TX_TCP_SEGMENTATION;

    /** Frames [0, n) are whole Ethernet frames and ask for no offload beyond {@code offered}. */
    static void checkTransmit(FrameBurst burst, int n, String port, int offered) {
        if (n < 0 || n > burst.count()) {
            throw new IllegalArgumentException("n " + n + " outside [0, " + burst.count() + "]");
        }
        for (int i = 0; i < n; i++) {
            if (burst.length(i) < ETH_HLEN) {
                throw new IllegalArgumentException("frame " + i + " is " + burst.length(i) + " bytes, shorter than an Ethernet header");
            }
            if ((burst.flags(i) & ~offered) != 0) {
                throw new IllegalArgumentException("frame " + i + " asks for offloads (flags " + burst.flags(i) + ") that "
                        + port + " does not offer");
            }
        }
    }

    /** poll(2) counts milliseconds: round a wait up so that a short one does not become a spin. */
    static long pollMillis(long timeoutNanos) {
        return timeoutNanos <= 0 ? 0 : (timeoutNanos + 999_999) / 1_000_000;
    }
}
