package io.jverbs.raweth.wire;

/**
 * An IPv4 address as a value. The packet path uses the {@code int} form (first octet in the high
 * byte, as {@link Ipv4Packet#source()} returns it) and allocates nothing; this record is for
 * configuration, maps and logs.
 *
 * @param value the address, first octet in the high byte
 */
public record Ipv4Address(int value) {
    /** {@code 0.0.0.0}. */
    public static final Ipv4Address UNSPECIFIED = new Ipv4Address(0);
    /** {@code 255.255.255.255}, the limited broadcast. */
    public static final Ipv4Address BROADCAST = new Ipv4Address(-1);

    /** From four octets, each 0..255. */
    public static Ipv4Address of(int a, int b, int c, int d) {
        if (((a | b | c | d) & ~0xff) != 0) {
            throw new IllegalArgumentException("IPv4 octets are 0..255: " + a + "." + b + "." + c + "." + d);
        }
        return new Ipv4Address(a << 24 | b << 16 | c << 8 | d);
    }

    /** From four octets, first on the wire first. */
    public static Ipv4Address of(byte[] octets) {
        if (octets.length != 4) {
            throw new IllegalArgumentException("an IPv4 address has 4 octets, got " + octets.length);
        }
        return of(octets[0] & 0xff, octets[1] & 0xff, octets[2] & 0xff, octets[3] & 0xff);
    }

    /**
     * From dotted-quad text, {@code 10.0.0.1}; no name lookup, no shorthand forms.
     *
     * @throws IllegalArgumentException if the text is not four decimal octets
     */
    public static Ipv4Address parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
        }
        int v = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address (octet above 255): " + text);
            }
            v = (v << 8) | octet;
        }
        return new Ipv4Address(v);
    }

    /** The four octets, first on the wire first. */
    public byte[] toBytes() {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    /** 224.0.0.0/4. */
    public boolean isMulticast() {
        return (value >>> 28) == 0xe;
    }

    public boolean isBroadcast() {
        return value == -1;
    }

    public boolean isUnspecified() {
        return value == 0;
    }

    /** 127.0.0.0/8. */
    public boolean isLoopback() {
        return (value >>> 24) == 127;
    }

    /** Dotted quad. */
    public static String toString(int value) {
        return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }

    @Override
    public String toString() {
        return toString(value);
    }
}
