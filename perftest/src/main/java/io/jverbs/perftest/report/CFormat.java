package io.jverbs.perftest.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** The few C printf conversions perftest uses whose Java equivalents differ. */
public final class CFormat {
    private CFormat() {
    }

    /** {@link String#format} in the C locale (a dot as decimal separator, whatever the user's locale). */
    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /**
     * C's {@code %#0<width>x}: {@code 0x} then hex digits zero-padded so the whole is {@code width}
     * wide; a zero value gets no {@code 0x} (so {@code %#04x} prints 0 as {@code 0000}).
     */
    public static String hex(long value, int width) {
        String digits = Long.toHexString(value);
        String prefix = value == 0 ? "" : "0x";
        int pad = width - prefix.length() - digits.length();
        return prefix + "0".repeat(Math.max(0, pad)) + digits;
    }

    /** C's {@code %g}: 6 significant digits, trailing zeros removed, exponent form outside 1e-4..1e6. */
    public static String g(double value) {
        if (value == 0) {
            return "0";
        }
        if (!Double.isFinite(value)) {
            return Double.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(6));
        int exponent = rounded.precision() - rounded.scale() - 1;
        if (exponent < -4 || exponent >= 6) {
            BigDecimal mantissa = rounded.movePointLeft(exponent);
            String m = strip(mantissa.toPlainString());
            return m + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
        }
        return strip(rounded.toPlainString());
    }

    private static String strip(String plain) {
        if (plain.indexOf('.') < 0) {
            return plain;
        }
        String s = plain.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
