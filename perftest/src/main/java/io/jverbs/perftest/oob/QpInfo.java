package io.jverbs.perftest.oob;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One QP's connection data as perftest sends it over the TCP channel ({@code struct
 * pingpong_dest} printed by {@code ethernet_write_keys}). Two layouts, each ending in a NUL:
 * <pre>
 * without GID, 59 bytes:  "%04x:%04x:%06x:%06x:%08x:%016llx:%08x"
 *                          LID:OUT_READS:QPN:PSN:RKEY:VADDR:SRQN
 * with GID, 108 bytes:    "%04x:%04x:%06x:%06x:%08x:%016llx:" + 16 x "%02x:" + "%08x:"
 *                          LID:OUT_READS:QPN:PSN:RKEY:VADDR:GID0:...:GID15:SRQN:
 * </pre>
 * Each side picks the layout from its own GID index (-1 = none), so both must agree; see
 * {@link #checkLayout}. perftest's {@code --data_validation} layouts (76 and 125 bytes, an
 * extra {@code %016llx}) are not supported.
 *
 * @param lid      port LID (0 on RoCE), 16 bits
 * @param outReads outstanding RDMA reads/atomics the sender accepts as responder; the
 *                 receiver uses it as its own {@code max_rd_atomic} (perftest's RTS step)
 * @param qpn      QP number, 24 bits
 * @param psn      starting PSN, 24 bits (perftest: {@code lrand48() & 0xffffff})
 * @param rkey     remote key of the sender's buffer (unsigned 32 bits)
 * @param vaddr    address of the sender's buffer (unsigned 64 bits)
 * @param gid      the 16 GID bytes, or null for the layout without GID
 * @param srqn     SRQ number (XRC, DC), else 0
 */
public record QpInfo(int lid, int outReads, int qpn, int psn, int rkey, long vaddr, byte[] gid, int srqn) {
    /** {@code KEY_MSG_SIZE}: the message without GID, NUL included. */
    public static final int SIZE = 59;
    /** {@code KEY_MSG_SIZE_GID}: the message with GID, NUL included. */
    public static final int SIZE_GID = 108;

    private static final String FORMAT = "%04x:%04x:%06x:%06x:%08x:%016x:%08x";
    private static final String FORMAT_GID = "%04x:%04x:%06x:%06x:%08x:%016x:"
            + "%02x:".repeat(16) + "%08x:";
    /** Field widths of the common prefix; each field is followed by ':'. */
    private static final int[] PREFIX_WIDTHS = {4, 4, 6, 6, 8, 16};
    private static final String[] PREFIX_NAMES = {"LID", "OUT_READS", "QPN", "PSN", "RKEY", "VADDR"};
    /** Where the GID (or, without GID, the SRQN) starts. */
    private static final int PREFIX_END = 50;

    public QpInfo {
        check("lid", lid, 0xffff);
        check("outReads", outReads, 0xffff);
        check("qpn", qpn, 0xffffff);
        check("psn", psn, 0xffffff);
        if (gid != null) {
            if (gid.length != 16) {
                throw new IllegalArgumentException("gid must be 16 bytes, got " + gid.length);
            }
            gid = gid.clone();
        }
    }

    /** Whether this message uses the layout with GID. */
    public boolean hasGid() {
        return gid != null;
    }

    /** A copy of the GID bytes, or null. */
    @Override
    public byte[] gid() {
        return gid == null ? null : gid.clone();
    }

    /** The wire size of this message: {@link #SIZE} or {@link #SIZE_GID}. */
    public int wireSize() {
        return sizeFor(hasGid());
    }

    public static int sizeFor(boolean withGid) {
        return withGid ? SIZE_GID : SIZE;
    }

    /** The exact bytes {@code ethernet_write_keys} sends, trailing NUL included. */
    public byte[] encode() {
        String text;
        if (gid == null) {
            text = String.format(FORMAT, lid, outReads, qpn, psn, rkey, vaddr, srqn);
        } else {
            Object[] args = new Object[6 + 16 + 1];
            args[0] = lid;
            args[1] = outReads;
            args[2] = qpn;
            args[3] = psn;
            args[4] = rkey;
            args[5] = vaddr;
            for (int i = 0; i < 16; i++) {
                args[6 + i] = gid[i];
            }
            args[22] = srqn;
            text = String.format(FORMAT_GID, args);
        }
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        byte[] wire = Arrays.copyOf(ascii, ascii.length + 1);
        if (wire.length != wireSize()) {
            throw new AssertionError("encoded " + wire.length + " bytes: " + text);
        }
        return wire;
    }

    /** {@code sizeof(struct pingpong_dest)} on x86-64: what perftest sends raw over an rdma_cm channel. */
    public static final int BINARY_SIZE = 56;

    /**
     * The 56 bytes {@code rdma_write_keys} sends over perftest's rdma_cm channel ({@code -z},
     * {@code -R}): {@code struct pingpong_dest} with its integers big-endian ({@code htobe32},
     * {@code htobe64}): lid, out_reads, qpn, psn, rkey at 0..20, 4 bytes of padding, vaddr at 24,
     * the raw GID at 32 (zeros when there is none), srqn at 48, gid_index at 52.
     */
    public byte[] encodeBinary(int gidIndex) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(BINARY_SIZE);
        b.putInt(lid).putInt(outReads).putInt(qpn).putInt(psn).putInt(rkey).putInt(0).putLong(vaddr);
        b.put(gid == null ? new byte[16] : gid);
        b.putInt(srqn).putInt(gidIndex);
        return b.array();
    }

    /**
     * Parses {@link #encodeBinary}'s layout as {@code rdma_read_keys} does (lid, out_reads, qpn,
     * psn, rkey, vaddr, gid; perftest ignores the rest). Values that do not fit perftest's fields
     * (a 24-bit QPN ...) are {@link OobException.Kind#GARBAGE}.
     *
     * @param withGid whether the result carries the GID (this side uses one), as in the text layout
     */
    public static QpInfo decodeBinary(byte[] wire, boolean withGid, String step) {
        if (wire.length != BINARY_SIZE) {
            throw new OobException(OobException.Kind.GARBAGE, step, "expected perftest's " + BINARY_SIZE
                    + "-byte struct pingpong_dest, got " + wire.length + " bytes: " + Bytes.describe(wire));
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wire);
        int lid = b.getInt(0);
        int outReads = b.getInt(4);
        int qpn = b.getInt(8);
        int psn = b.getInt(12);
        int rkey = b.getInt(16);
        long vaddr = b.getLong(24);
        byte[] gid = withGid ? Arrays.copyOfRange(wire, 32, 48) : null;
        try {
            return new QpInfo(lid, outReads, qpn, psn, rkey, vaddr, gid, 0);
        } catch (IllegalArgumentException e) {
            throw new OobException(OobException.Kind.GARBAGE, step, "peer is not perftest/jperf: "
                    + e.getMessage() + " in " + Bytes.describe(wire), e);
        }
    }

    /**
     * Parses a message of {@link #SIZE} or {@link #SIZE_GID} bytes. Every field must be hex of
     * its fixed width with ':' between, as C's printf produces; anything else is
     * {@link OobException.Kind#GARBAGE}.
     */
    public static QpInfo decode(byte[] wire, String step) {
        boolean withGid = wire.length == SIZE_GID;
        if (!withGid && wire.length != SIZE) {
            throw new IllegalArgumentException("a QP message is 59 or 108 bytes, got " + wire.length);
        }
        long[] prefix = new long[PREFIX_WIDTHS.length];
        int pos = 0;
        for (int f = 0; f < PREFIX_WIDTHS.length; f++) {
            prefix[f] = field(wire, pos, PREFIX_WIDTHS[f], PREFIX_NAMES[f], step);
            pos += PREFIX_WIDTHS[f];
            expect(wire, pos++, (byte) ':', "':' after " + PREFIX_NAMES[f], step);
        }
        byte[] gid = null;
        if (withGid) {
            gid = new byte[16];
            for (int i = 0; i < 16; i++) {
                gid[i] = (byte) field(wire, pos, 2, "GID byte " + i, step);
                pos += 2;
                expect(wire, pos++, (byte) ':', "':' after GID byte " + i, step);
            }
        }
        int srqn = (int) field(wire, pos, 8, "SRQN", step);
        pos += 8;
        if (withGid) {
            expect(wire, pos++, (byte) ':', "':' after SRQN", step);
        }
        expect(wire, pos, (byte) 0, "the terminating NUL", step);
        return new QpInfo((int) prefix[0], (int) prefix[1], (int) prefix[2], (int) prefix[3],
                (int) prefix[4], prefix[5], gid, srqn);
    }

    /**
     * Classifies the first 59 bytes of a peer's QP message against the layout this side
     * expects, before waiting for more: the GID layout has hex at byte 58, the layout without
     * GID ends there with its NUL. A mismatch ends in {@link OobException.Kind#MISMATCH} at
     * once instead of a timeout.
     *
     * @param localGidIndex this side's GID index, -1 for none
     */
    static void checkLayout(byte[] first59, int localGidIndex, String step) {
        if (!prefixIsPerftest(first59)) {
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: expected a QP message \"LID:OUT_READS:QPN:PSN:RKEY:VADDR:...\","
                            + " got bytes " + Bytes.describe(first59));
        }
        boolean peerEndsAt59 = first59[SIZE - 1] == 0;
        if (localGidIndex >= 0 && peerEndsAt59) {
            throw new OobException(OobException.Kind.MISMATCH, step,
                    "GID usage differs: local uses GID index " + localGidIndex
                            + ", peer sent a QP message without GID (59 bytes); give both sides a GID"
                            + " index (-x) on RoCE, or neither on InfiniBand");
        }
        if (localGidIndex < 0 && !peerEndsAt59) {
            if (first59[PREFIX_END + 2] == ':' && isHex(first59, PREFIX_END, 2)) {
                throw new OobException(OobException.Kind.MISMATCH, step,
                        "GID usage differs: local uses no GID, peer sent a QP message with a GID"
                                + " (108 bytes); give both sides the same kind of GID index (-x)");
            }
            // KEY_PRINT_FMT_DV: a second %016llx where the GID would start; its first 9 bytes fit here.
            if (isHex(first59, PREFIX_END, SIZE - PREFIX_END)) {
                throw new OobException(OobException.Kind.MISMATCH, step,
                        "peer sent a data-validation QP message (perftest --data_validation),"
                                + " which jperf does not support");
            }
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: expected a 59-byte QP message, got bytes "
                            + Bytes.describe(first59));
        }
    }

    /**
     * perftest's {@code ctx_check_gid_compatibility}: both GIDs must be IPv4-mapped (RoCE over
     * IPv4) or both not. Only meaningful when both sides use GIDs.
     */
    static void checkGidTypes(QpInfo local, QpInfo remote, String step) {
        if (local.gid == null || remote.gid == null) {
            return;
        }
        boolean localV4 = isV4Mapped(local.gid);
        if (localV4 != isV4Mapped(remote.gid)) {
            throw new OobException(OobException.Kind.MISMATCH, step,
                    "GID types differ: local GID " + gidText(local.gid) + " is "
                            + (localV4 ? "" : "not ") + "IPv4-mapped, peer GID " + gidText(remote.gid)
                            + " is " + (localV4 ? "not" : "") + "; pick GID indexes of the same IP"
                            + " version on both sides (-x)");
        }
    }

    /** {@code ipv6_addr_v4mapped}: ::ffff:a.b.c.d, or the IPv4 multicast form ff0e::ffff:a.b.c.d. */
    static boolean isV4Mapped(byte[] g) {
        for (int i = 4; i < 10; i++) {
            if (g[i] != 0) {
                return false;
            }
        }
        if (g[10] != (byte) 0xff || g[11] != (byte) 0xff) {
            return false;
        }
        boolean zeroHead = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0;
        boolean mcastHead = g[0] == (byte) 0xff && g[1] == 0x0e && g[2] == 0 && g[3] == 0;
        return zeroHead || mcastHead;
    }

    private static String gidText(byte[] g) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(HexFormat.of().toHexDigits(g[i])).append(HexFormat.of().toHexDigits(g[i + 1]));
        }
        return sb.toString();
    }

    private static long field(byte[] wire, int pos, int width, String name, String step) {
        if (!isHex(wire, pos, width)) {
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: QP message field " + name + " at byte " + pos
                            + " is not " + width + " hex digits, got bytes " + Bytes.describe(wire));
        }
        long v = 0;
        for (int i = pos; i < pos + width; i++) {
            v = v << 4 | Character.digit(wire[i], 16);
        }
        return v;
    }

    private static void expect(byte[] wire, int pos, byte value, String what, String step) {
        if (wire[pos] != value) {
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: expected " + what + " at byte " + pos + ", got bytes "
                            + Bytes.describe(wire));
        }
    }

    /** The fields every layout shares: fixed-width hex, each followed by ':'. */
    private static boolean prefixIsPerftest(byte[] b) {
        int pos = 0;
        for (int width : PREFIX_WIDTHS) {
            if (!isHex(b, pos, width) || b[pos + width] != ':') {
                return false;
            }
            pos += width + 1;
        }
        return true;
    }

    private static boolean isHex(byte[] b, int pos, int width) {
        for (int i = pos; i < pos + width; i++) {
            if (Character.digit(b[i], 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void check(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + " must be 0.." + Integer.toHexString(max)
                    + " (hex), got " + value);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QpInfo q && lid == q.lid && outReads == q.outReads && qpn == q.qpn
                && psn == q.psn && rkey == q.rkey && vaddr == q.vaddr && srqn == q.srqn
                && Arrays.equals(gid, q.gid);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(lid, outReads, qpn, psn, rkey, vaddr, srqn) + Arrays.hashCode(gid);
    }

    @Override
    public String toString() {
        return String.format("QpInfo[lid=%#x, outReads=%d, qpn=%#x, psn=%#x, rkey=%#x, vaddr=%#x, gid=%s, srqn=%#x]",
                lid, outReads, qpn, psn, rkey, vaddr, gid == null ? "none" : gidText(gid), srqn);
    }
}
