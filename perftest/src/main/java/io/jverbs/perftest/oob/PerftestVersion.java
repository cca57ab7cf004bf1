package io.jverbs.perftest.oob;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A perftest version as exchanged on the wire: 16 bytes, ASCII, NUL-padded
 * ({@code strncpy(version, VERSION, 16)}). perftest compares versions with {@code atof}, so
 * "6.1" is above "6.06"; {@link #number()} mirrors that.
 *
 * <p>What the C peer does with our version (perftest_communication.c, 6.06 and 6.29):
 * ≥ 5.1 MTU exchange, ≥ 5.31 the MTU message is 2 bytes, ≥ 5.32 system data, ≥ 5.33 64-bit
 * iterations in the BW report, ≥ 5.70 required ({@code check_version_compatibility}), ≥ 6.28
 * binary parameter negotiation ({@code negotiate_params}, decided by each side from the
 * <em>remote</em> version alone). Every version in [5.70, 6.28) therefore gets the same
 * behaviour from every C perftest.
 */
public record PerftestVersion(String text) {
    /** The wire size, perftest's {@code MAX_VERSION}. */
    public static final int WIRE_SIZE = 16;

    /**
     * Number, then an optional build suffix ("6.06", "6.29-rc1"); perftest reads the number.
     * Declared before {@link #JPERF}, whose construction uses it.
     */
    private static final Pattern VERSION = Pattern.compile("(\\d{1,4}\\.\\d{1,6})[0-9A-Za-z._+~-]{0,9}");

    /**
     * What jperf advertises: 6.06, Debian bookworm's perftest, whose protocol jperf implements
     * byte for byte. It is below 6.28, so no C perftest (and no jperf) asks for the 6.28
     * binary parameter negotiation, whose struct embeds a raw {@code struct ibv_device_attr}
     * and build-dependent mlx5dv fields.
     */
    public static final PerftestVersion JPERF = new PerftestVersion("6.06");
    /** Oldest peer perftest itself accepts ({@code check_version_compatibility}). */
    public static final double MIN_COMPATIBLE = 5.70;
    /** From this remote version on, perftest runs {@code negotiate_params}. */
    public static final double NEGOTIATION = 6.28;
    /** From this remote version on, perftest exchanges page and cache-line size. */
    public static final double SYSTEM_DATA = 5.32;

    public PerftestVersion {
        if (!VERSION.matcher(text).matches()) {
            throw new IllegalArgumentException("not a perftest version: \"" + text + "\"");
        }
    }

    /** The numeric value as perftest's {@code atof(rem_version)} sees it. */
    public double number() {
        Matcher m = VERSION.matcher(text);
        if (!m.matches()) {
            throw new AssertionError(text); // the constructor checked it
        }
        return Double.parseDouble(m.group(1));
    }

    /** The 16 wire bytes: ASCII digits, NUL padding. */
    public byte[] encode() {
        byte[] wire = new byte[WIRE_SIZE];
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ascii, 0, wire, 0, ascii.length);
        return wire;
    }

    /**
     * Parses a peer's 16 bytes. perftest always sends digits, a dot, digits and NUL padding;
     * anything else means the peer is not perftest.
     */
    public static PerftestVersion decode(byte[] wire, String step) {
        if (wire.length != WIRE_SIZE) {
            throw new IllegalArgumentException("version message is 16 bytes, got " + wire.length);
        }
        int end = 0;
        while (end < WIRE_SIZE && wire[end] != 0) {
            end++;
        }
        String text = new String(wire, 0, end, StandardCharsets.US_ASCII);
        Matcher m = VERSION.matcher(text);
        if (end == WIRE_SIZE || !m.matches()) {
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: expected a NUL-padded version such as \"6.06\", got bytes "
                            + Bytes.describe(wire));
        }
        return new PerftestVersion(text);
    }

    @Override
    public String toString() {
        return text;
    }
}
