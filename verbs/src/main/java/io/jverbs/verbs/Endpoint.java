package io.jverbs.verbs;

/**
 * What a peer needs to connect a QP to ours: the numbers perftest and ibv_rc_pingpong exchange
 * out of band before moving QPs to RTR.
 *
 * @param lid local identifier (InfiniBand; 0 on RoCE)
 * @param qpn QP number (24 bits)
 * @param psn initial packet sequence number (24 bits)
 * @param gid port GID; required on RoCE, {@link Gid#ZERO} when the fabric routes by LID
 */
public record Endpoint(int lid, int qpn, int psn, Gid gid) {
    public Endpoint {
        if ((qpn & ~0xffffff) != 0 || (psn & ~0xffffff) != 0) {
            throw new IllegalArgumentException("QPN and PSN are 24-bit values: qpn=" + qpn + " psn=" + psn);
        }
        if (gid == null) {
            gid = Gid.ZERO;
        }
    }

    @Override
    public String toString() {
        return String.format("LID 0x%04x QPN 0x%06x PSN 0x%06x GID %s", lid, qpn, psn, gid);
    }
}
