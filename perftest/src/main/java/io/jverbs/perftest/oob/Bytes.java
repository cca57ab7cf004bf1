package io.jverbs.perftest.oob;

/** Renders received bytes for error messages: hex, then printable ASCII. */
final class Bytes {
    private static final int SHOWN = 32;

    private Bytes() {
    }

    /** {@code 48 54 54 50 00 ("HTTP.")}: the first {@code length} bytes, at most 32 shown. */
    static String describe(byte[] b, int length) {
        int n = Math.min(length, SHOWN);
        StringBuilder hex = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int v = b[i] & 0xff;
            if (i > 0) {
                hex.append(' ');
            }
            hex.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
            text.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
        }
        return hex + (length > n ? " ..." : "") + " (\"" + text + (length > n ? "..." : "") + "\")";
    }

    static String describe(byte[] b) {
        return describe(b, b.length);
    }
}
