package io.jverbs.raweth.port;

/**
 * A back end that opens {@link PacketPort}s for one {@link PortSpec#scheme() scheme}. Back ends
 * register themselves as services ({@code provides io.jverbs.raweth.port.PortOpener} in their
 * module, or {@code META-INF/services/io.jverbs.raweth.port.PortOpener} on the class path);
 * {@link PortOpeners} finds them. Tests may also {@link PortOpeners#register register} one.
 */
public interface PortOpener {
    /** The scheme this back end opens, e.g. {@code afpacket}. */
    String scheme();

    /**
     * Checks the syntax of {@code spec}'s argument without opening anything or calling native
     * code, so that a command line can reject a bad spec as a usage error before it starts.
     * The default accepts every argument.
     *
     * @throws IllegalArgumentException naming what is wrong and the expected form
     */
    default void check(PortSpec spec) {
    }

    /**
     * Opens the port {@code spec} names ({@code spec.scheme()} is {@link #scheme()}), using
     * {@code hints} if the back end must steer frames to the port; the port owns whatever the
     * opener created for it (a device context, an EAL) and its {@link PacketPort#close()} releases
     * all of it.
     *
     * @throws IllegalArgumentException when the spec is malformed (as {@link #check} says)
     * @throws RuntimeException the back end's error (a native call's errno, a missing device, a
     *         refused permission, a device without the feature), with a message that says what to fix
     */
    PacketPort open(PortSpec spec, PortHints hints);

    /** {@link #open(PortSpec, PortHints)} with {@link PortHints#NONE}. */
    default PacketPort open(PortSpec spec) {
        return open(spec, PortHints.NONE);
    }
}
