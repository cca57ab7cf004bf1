package io.jverbs.dpdk;

import java.util.HexFormat;

/**
 * An Ethernet address ({@code struct rte_ether_addr}), held in the low 48 bits in wire order
 * (the first byte is the most significant).
 */
public record MacAddress(long bits) {
    public MacAddress {
        if ((bits & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits, got 0x" + Long.toHexString(bits));
        }
    }

    /** From 6 bytes in wire order. */
    public static MacAddress of(byte[] bytes) {
        if (bytes.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + bytes.length);
        }
        long b = 0;
        for (byte x : bytes) b = b << 8 | (x & 0xFF);
        return new MacAddress(b);
    }

    /** Parses {@code "02:00:00:00:00:01"}. */
    public static MacAddress parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address (six hex bytes joined by ':'): " + text);
        }
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) b[i] = (byte) Integer.parseInt(parts[i], 16);
        return of(b);
    }

    /** The 6 bytes in wire order. */
    public byte[] bytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) b[i] = (byte) (bits >>> (40 - 8 * i));
        return b;
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes());
    }
}
