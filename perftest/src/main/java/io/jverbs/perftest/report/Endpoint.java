package io.jverbs.perftest.report;

/**
 * One QP's address as perftest prints it (the fields of its {@code pingpong_dest}).
 *
 * @param lid      port LID (0 on RoCE)
 * @param outReads outstanding reads (printed for read tests)
 * @param qpn      QP number
 * @param psn      initial packet sequence number (24 bits)
 * @param rkey     remote key of the buffer (printed for read and write)
 * @param vaddr    buffer address (printed for read and write)
 * @param srqn     XRC/DC SRQ number (printed for XRC and DC)
 * @param gid      16 GID bytes, or null when no GID is used
 */
public record Endpoint(int lid, int outReads, int qpn, int psn, int rkey, long vaddr, int srqn, byte[] gid) {
    public Endpoint {
        if (gid != null && gid.length != 16) {
            throw new IllegalArgumentException("a GID has 16 bytes, not " + gid.length);
        }
        gid = gid == null ? null : gid.clone();
    }

    @Override
    public byte[] gid() {
        return gid == null ? null : gid.clone();
    }
}
