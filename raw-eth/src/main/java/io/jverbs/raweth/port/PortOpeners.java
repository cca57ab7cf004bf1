package io.jverbs.raweth.port;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of {@link PortOpener}s by scheme: those registered as services plus those given to
 * {@link #register}. Thread-safe.
 */
public final class PortOpeners {
    private static final Map<String, PortOpener> REGISTERED = new ConcurrentHashMap<>();

    private PortOpeners() {
    }

    /** Adds (or replaces) the opener of {@code opener.scheme()} for this JVM. */
    public static void register(PortOpener opener) {
        REGISTERED.put(opener.scheme(), opener);
    }

    /** Removes what {@link #register} added for {@code scheme}. */
    public static void unregister(String scheme) {
        REGISTERED.remove(scheme);
    }

    /** Every opener available, by scheme: registered ones take precedence over services. */
    public static Map<String, PortOpener> available() {
        Map<String, PortOpener> all = new TreeMap<>();
        for (PortOpener o : ServiceLoader.load(PortOpener.class, PortOpeners.class.getClassLoader())) {
            all.putIfAbsent(o.scheme(), o);
        }
        all.putAll(REGISTERED);
        return all;
    }

    /** {@link #open(PortSpec, PortHints)} with {@link PortHints#NONE}. */
    public static PacketPort open(PortSpec spec) {
        return open(spec, PortHints.NONE);
    }

    /**
     * Opens the port {@code spec} names with its scheme's opener.
     *
     * @throws IllegalArgumentException if no back end for the scheme is available (the message
     *         lists those that are), or the spec is malformed
     */
    public static PacketPort open(PortSpec spec, PortHints hints) {
        return opener(spec).open(spec, hints);
    }

    /**
     * Checks {@code spec}'s syntax with its scheme's opener ({@link PortOpener#check}), opening
     * nothing. A scheme with no opener available passes: {@link #open} reports that.
     *
     * @throws IllegalArgumentException naming what is wrong with the spec
     */
    public static void check(PortSpec spec) {
        PortOpener opener = available().get(spec.scheme());
        if (opener != null) {
            opener.check(spec);
        }
    }

    private static PortOpener opener(PortSpec spec) {
        Map<String, PortOpener> all = available();
        PortOpener opener = all.get(spec.scheme());
        if (opener == null) {
            throw new IllegalArgumentException("no packet port back end '" + spec.scheme() + "' is available"
                    + (all.isEmpty() ? "" : " (available: " + String.join(", ", all.keySet()) + ")")
                    + ": its module is missing from the class path or was not built");
        }
        return opener;
    }
}
