package io.jverbs.verbs;

import java.util.HexFormat;
import java.util.Locale;

/**
 * What a peer needs to connect a QP to ours: the numbers perftest and ibv_rc_pingpong exchange
 * out of band before moving QPs to RTR. {@link #toPingPongString()} and {@link #parsePingPong}
 * are the text form rdma-core's pingpong programs send; {@code io.jverbs.verbs.oob} carries it
 * over TCP.
 *
 * @param lid local identifier (16 bits; InfiniBand, 0 on RoCE)
 * @param qpn QP number (24 bits)
 * @param psn initial packet sequence number (24 bits)
 * @param gid port GID; required on RoCE, {@link Gid#ZERO} when the fabric routes by LID
 */
public record Endpoint(int lid, int qpn, int psn, Gid gid) {
    /** Characters of {@link #toPingPongString()}: {@code "0000:000000:000000:"} and 32 hex digits. */
    public static final int PINGPONG_TEXT_LENGTH = 4 + 1 + 6 + 1 + 6 + 1 + 32;

    public Endpoint {
        if ((lid & ~0xffff) != 0) {
            throw new IllegalArgumentException("a LID is a 16-bit value: lid=" + lid);
        }
        if ((qpn & ~0xffffff) != 0 || (psn & ~0xffffff) != 0) {
            throw new IllegalArgumentException("QPN and PSN are 24-bit values: qpn=" + qpn + " psn=" + psn);
        }
        if (gid == null) {
            gid = Gid.ZERO;
        }
    }

    /**
     * The text rdma-core's {@code ibv_rc_pingpong}, {@code ibv_ud_pingpong} and
     * {@code ibv_srq_pingpong} send for one QP: {@code "%04x:%06x:%06x:%s"}, LID:QPN:PSN:GID, the
     * GID as 32 hex digits of its 16 bytes in network order ({@code gid_to_wire_gid} prints each
     * 32-bit word through {@code htonl}, which amounts to the raw bytes in order). Always
     * {@link #PINGPONG_TEXT_LENGTH} characters, e.g. {@code 0000:000011:abcdef:00000000000000000000ffff0a4d0001}.
     */
    public String toPingPongString() {
        return String.format(Locale.ROOT, "%04x:%06x:%06x:%s", lid, qpn, psn, HexFormat.of().formatHex(gid.toBytes()));
    }

    /**
     * Parses what {@link #toPingPongString()} writes, as the C programs do with
     * {@code sscanf("%x:%x:%x:%s")} and {@code wire_gid_to_gid}: three hex numbers and a GID of
     * exactly 32 hex digits, separated by colons.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Endpoint parsePingPong(String text) {
        String[] f = text.split(":", -1);
        if (f.length != 4) {
            throw malformed(text, "expected 4 fields separated by ':', got " + f.length);
        }
        if (f[3].length() != 32 || !f[3].chars().allMatch(HexFormat::isHexDigit)) {
            throw malformed(text, "the GID must be 32 hex digits, got " + f[3].length() + " characters");
        }
        return new Endpoint(field(f[0], "LID", 0xffff, text), field(f[1], "QPN", 0xffffff, text),
                field(f[2], "PSN", 0xffffff, text), Gid.of(HexFormat.of().parseHex(f[3])));
    }

    private static int field(String digits, String what, int max, String text) {
        // As %x, minus what sscanf would forgive: no sign, no 0x, nothing but hex digits.
        if (digits.isEmpty() || digits.length() > 8 || !digits.chars().allMatch(HexFormat::isHexDigit)) {
            throw malformed(text, "the " + what + " must be hex digits, got \"" + digits + "\"");
        }
        long v = Long.parseLong(digits, 16);
        if (v > max) {
            throw malformed(text, "the " + what + " 0x" + digits + " is larger than 0x" + Integer.toHexString(max));
        }
        return (int) v;
    }

    private static IllegalArgumentException malformed(String text, String why) {
        return new IllegalArgumentException("malformed endpoint \"" + text + "\": " + why
                + " (expected LID:QPN:PSN:GID as in 0000:000011:abcdef:00000000000000000000ffff0a4d0001)");
    }

    @Override
    public String toString() {
        return String.format("LID 0x%04x QPN 0x%06x PSN 0x%06x GID %s", lid, qpn, psn, gid);
    }
}
