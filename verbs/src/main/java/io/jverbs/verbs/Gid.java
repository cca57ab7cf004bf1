package io.jverbs.verbs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * A 128-bit port GID: an IB subnet prefix + GUID, or on RoCE an IPv6 address (IPv4 addresses
 * appear IPv4-mapped, {@code ::ffff:a.b.c.d}). Immutable; compares by value.
 */
public record Gid(long high, long low) {
    private static final ValueLayout.OfLong BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static final Gid ZERO = new Gid(0, 0);

    /** Reads 16 bytes in network order. */
    public static Gid read(MemorySegment segment, long offset) {
        return new Gid(segment.get(BE, offset), segment.get(BE, offset + 8));
    }

    /** From 16 bytes in network order. */
    public static Gid of(byte[] raw) {
        if (raw.length != 16) {
            throw new IllegalArgumentException("a GID has 16 bytes, got " + raw.length);
        }
        return read(MemorySegment.ofArray(raw), 0);
    }

    /**
     * Parses IPv6 text: the full form {@link #toString()} prints, and the compressed forms
     * {@link #toInetString()} prints ({@code fe80::1}, {@code ::ffff:10.0.0.1}). No name lookup.
     */
    public static Gid parse(String text) {
        String hex = text;
        if (text.indexOf('.') >= 0) {                 // a trailing dotted quad is the last two groups
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw notAGid(text);
            }
            long v4 = parseDottedQuad(text.substring(colon + 1), text);
            hex = text.substring(0, colon + 1) + Long.toHexString(v4 >>> 16) + ":" + Long.toHexString(v4 & 0xffff);
        }
        int[] groups = parseGroups(hex, text);
        long high = 0, low = 0;
        for (int i = 0; i < 4; i++) {
            high = high << 16 | groups[i];
            low = low << 16 | groups[i + 4];
        }
        return new Gid(high, low);
    }

    private static int[] parseGroups(String s, String text) {
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            throw notAGid(text);
        }
        String[] head = gap < 0 ? s.split(":", -1) : split(s.substring(0, gap));
        String[] tail = gap < 0 ? new String[0] : split(s.substring(gap + 2));
        if (gap < 0 ? head.length != 8 : head.length + tail.length > 7) {
            throw notAGid(text);
        }
        int[] groups = new int[8];
        for (int i = 0; i < head.length; i++) {
            groups[i] = parseGroup(head[i], text);
        }
        for (int i = 0; i < tail.length; i++) {
            groups[8 - tail.length + i] = parseGroup(tail[i], text);
        }
        return groups;
    }

    private static String[] split(String s) {
        return s.isEmpty() ? new String[0] : s.split(":", -1);
    }

    private static int parseGroup(String g, String text) {
        if (g.isEmpty() || g.length() > 4 || !g.chars().allMatch(HexFormat::isHexDigit)) {
            throw notAGid(text);
        }
        return Integer.parseInt(g, 16);
    }

    private static long parseDottedQuad(String s, String text) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw notAGid(text);
        }
        long v = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw notAGid(text);
            }
            int b = Integer.parseInt(part);
            if (b > 255) {
                throw notAGid(text);
            }
            v = v << 8 | b;
        }
        return v;
    }

    private static IllegalArgumentException notAGid(String text) {
        return new IllegalArgumentException("not a GID (IPv6 text, e.g. fe80::1 or ::ffff:10.0.0.1): " + text);
    }

    /** The IPv4-mapped GID RoCE v2 uses for an IPv4 address. */
    public static Gid ofIpv4(byte[] address) {
        if (address.length != 4) {
            throw new IllegalArgumentException("an IPv4 address has 4 bytes, got " + address.length);
        }
        long v4 = ((address[0] & 0xffL) << 24) | ((address[1] & 0xffL) << 16) | ((address[2] & 0xffL) << 8) | (address[3] & 0xffL);
        return new Gid(0, 0xffff_0000_0000L | v4);
    }

    public void write(MemorySegment segment, long offset) {
        segment.set(BE, offset, high);
        segment.set(BE, offset + 8, low);
    }

    public byte[] toBytes() {
        byte[] raw = new byte[16];
        write(MemorySegment.ofArray(raw), 0);
        return raw;
    }

    public boolean isZero() {
        return high == 0 && low == 0;
    }

    /** True for {@code ::ffff:a.b.c.d}. */
    public boolean isIpv4Mapped() {
        return high == 0 && (low >>> 32) == 0xffff;
    }

    /** The IPv4 address of an IPv4-mapped GID. */
    public byte[] ipv4() {
        if (!isIpv4Mapped()) {
            throw new IllegalStateException(this + " is not IPv4-mapped");
        }
        return new byte[] {(byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low};
    }

    /** {@code fe80:0000:0000:0000:0202:c9ff:fe12:3456}, the form ibv_devinfo -v prints. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(39);
        byte[] raw = toBytes();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) sb.append(':');
            sb.append(HexFormat.of().toHexDigits(raw[i])).append(HexFormat.of().toHexDigits(raw[i + 1]));
        }
        return sb.toString();
    }

    /**
     * The GID as glibc's {@code inet_ntop(AF_INET6, ...)} prints it, the form the C perftest and
     * pingpong programs print: RFC 5952 compression of the longest run of two or more zero groups
     * (the first on a tie), lower-case hex, and a dotted quad for IPv4-mapped
     * ({@code ::ffff:a.b.c.d}) and IPv4-compatible ({@code ::a.b.c.d}) addresses.
     */
    public String toInetString() {
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) {
            w[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
            w[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xffff;
        }
        int bestBase = -1, bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) j++;
            if (j - i > bestLen) {
                bestBase = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) bestBase = -1;
        StringBuilder sb = new StringBuilder(46);
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) sb.append(':');
                continue;
            }
            if (i != 0) sb.append(':');
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append((low >>> 24) & 0xff).append('.').append((low >>> 16) & 0xff).append('.')
                        .append((low >>> 8) & 0xff).append('.').append(low & 0xff);
                break;
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) sb.append(':');
        return sb.toString();
    }
}
