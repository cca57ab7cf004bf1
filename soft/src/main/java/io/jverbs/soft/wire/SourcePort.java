package io.jverbs.soft.wire;

/**
 * rdma_rxe's UDP source port per QP (measured on Linux 6.1; the tests check the captured rxe
 * packets against it): fixed for the QP's life and the same in both directions, so that ECMP keeps
 * a connection on one path. The destination port is always 4791.
 */
public final class SourcePort {
    /** RoCEv2 source ports come from the dynamic range's top quarter, 0xC000..0xFFFF. */
    public static final int BASE = 0xc000;

    private SourcePort() {
    }

    /**
     * An RC QP set up over plain verbs: the flow label of the QP pair (the product of the two QP
     * numbers, folded to 20 bits) folded to 14 bits.
     */
    public static int rc(int localQpn, int remoteQpn) {
        long v = (long) (localQpn & TransportHeader.MASK_24) * (remoteQpn & TransportHeader.MASK_24);
        v ^= v >>> 20;
        v ^= v >>> 40;
        return fold((int) (v & 0xf_ffff));
    }

    /**
     * An RC QP connected by rdma_cm: the flow label comes from the CM's own ports (carried in the
     * CM REQ) instead of the QP numbers.
     */
    public static int rdmaCm(int cmSourcePort, int cmDestinationPort) {
        return fold((cmSourcePort * 31 + cmDestinationPort) & 0xf_ffff);
    }

    /** UD QPs and QP1 (GSI): a multiplicative hash of the QP number. */
    public static int ud(int qpn) {
        return BASE + (int) (((qpn & 0xffff_ffffL) * 0x61c8_8647L & 0xffff_ffffL) >>> 18);
    }

    /** A 20-bit flow label to a port: its low 14 bits XOR its high 6, in the top quarter. */
    public static int fold(int flowLabel) {
        return BASE | ((flowLabel & 0x3fff) ^ (flowLabel >>> 14));
    }
}
