package io.jverbs.raweth.wire;

/**
 * A 48-bit IEEE 802 MAC address as a value. The packet path uses the {@code long} form (the
 * address in the low 48 bits, as {@link EthernetFrame#destination()} returns it) and allocates
 * nothing; this record is for configuration, maps and logs.
 *
 * @param value the address in the low 48 bits, first octet highest
 */
public record MacAddress(long value) {
    /** {@code ff:ff:ff:ff:ff:ff}. */
    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);

    /** @throws IllegalArgumentException if bits above the low 48 are set */
    public MacAddress {
        if ((value >>> 48) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits: 0x" + Long.toHexString(value));
        }
    }

    /** From six octets, first on the wire first. */
    public static MacAddress of(byte[] octets) {
        if (octets.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 octets, got " + octets.length);
        }
        long v = 0;
        for (byte b : octets) {
            v = (v << 8) | (b & 0xff);
        }
        return new MacAddress(v);
    }

    /**
     * From {@code aa:bb:cc:dd:ee:ff} (or with {@code -}), as {@code ip link} prints it.
     *
     * @throws IllegalArgumentException if the text is not six hex octets
     */
    public static MacAddress parse(String text) {
        String[] parts = text.split("[:-]", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address (six hex octets): " + text);
        }
        long v = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 2) {
                throw new IllegalArgumentException("not a MAC address (six hex octets): " + text);
            }
            try {
                v = (v << 8) | Integer.parseInt(part, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address (six hex octets): " + text, e);
            }
        }
        return new MacAddress(v);
    }

    /** The six octets, first on the wire first. */
    public byte[] toBytes() {
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            out[i] = (byte) (value >>> (40 - 8 * i));
        }
        return out;
    }

    /** Group bit (I/G, the lowest bit of the first octet): multicast and broadcast. */
    public static boolean isMulticast(long value) {
        return (value & 0x0100_0000_0000L) != 0;
    }

    public boolean isMulticast() {
        return isMulticast(value);
    }

    public boolean isBroadcast() {
        return value == BROADCAST.value;
    }

    /** U/L bit: assigned locally (a veth, a TAP) rather than by the vendor. */
    public boolean isLocallyAdministered() {
        return (value & 0x0200_0000_0000L) != 0;
    }

    /** {@code aa:bb:cc:dd:ee:ff}. */
    public static String toString(long value) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            int octet = (int) (value >>> (40 - 8 * i)) & 0xff;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toString(value);
    }
}
