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

    /** Parses the form {@link #toString()} prints: eight colon-separated groups of four hex digits. */
    public static Gid parse(String text) {
        String hex = text.replace(":", "");
        if (hex.length() != 32) {
            throw new IllegalArgumentException("not a GID (8 groups of 4 hex digits): " + text);
        }
        return of(HexFormat.of().parseHex(hex));
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
}
