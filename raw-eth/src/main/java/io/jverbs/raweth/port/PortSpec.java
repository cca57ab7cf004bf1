package io.jverbs.raweth.port;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which packet port to open, as a user types it: {@code scheme:argument}, e.g.
 * {@code afpacket:veth0}, {@code tap:jv0}, {@code verbs:mlx5_0}, or
 * {@code dpdk:--no-pci --vdev=net_tap0,iface=dtap0}. The scheme names the back end (lower case
 * letters, digits, {@code _} and {@code -}); the argument is the back end's to interpret and may
 * hold further colons and spaces. {@link PortOpeners#open} turns a spec into a {@link PacketPort}.
 *
 * @param scheme   the back end, lower case
 * @param argument what the back end opens (an interface, a device, EAL arguments), never empty
 */
public record PortSpec(String scheme, String argument) {
    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9_-]*");

    public PortSpec {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(argument, "argument");
        if (!SCHEME.matcher(scheme).matches()) {
            throw new IllegalArgumentException("port back end '" + scheme
                    + "' must be lower-case letters, digits, '_' or '-' (e.g. afpacket, tap, verbs, dpdk)");
        }
        if (argument.isBlank()) {
            throw new IllegalArgumentException("port '" + scheme + ":' names nothing to open: give "
                    + scheme + ":<" + hint(scheme) + ">");
        }
    }

    /**
     * Parses {@code scheme:argument}; the scheme is matched case-insensitively.
     *
     * @throws IllegalArgumentException with a message saying what is wrong and the expected form
     */
    public static PortSpec parse(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("port '" + text + "' must be <back end>:<argument>, e.g. afpacket:veth0,"
                    + " tap:jv0, verbs:mlx5_0 or dpdk:<EAL arguments>");
        }
        return new PortSpec(text.substring(0, colon).trim().toLowerCase(Locale.ROOT), text.substring(colon + 1).trim());
    }

    /**
     * An integer option of this spec's argument (e.g. {@code port=2}), for openers' parsers.
     *
     * @throws IllegalArgumentException naming this spec, the option and its range
     */
    public int intOption(String key, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + this + "': " + key + "= must be " + min + ".." + max + ", not '" + value + "'");
    }

    private static String hint(String scheme) {
        return switch (scheme) {
            case "afpacket", "tap" -> "interface";
            case "verbs" -> "device";
            case "dpdk" -> "EAL arguments";
            default -> "argument";
        };
    }

    @Override
    public String toString() {
        return scheme + ":" + argument;
    }
}
