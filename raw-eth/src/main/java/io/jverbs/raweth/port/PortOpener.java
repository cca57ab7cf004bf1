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
     * Opens the port {@code spec} names ({@code spec.scheme()} is {@link #scheme()}).
     *
     * @throws RuntimeException the back end's error (a native call's errno, a missing device, a
     *         refused permission), with a message that says what to fix
     */
    PacketPort open(PortSpec spec);
}
