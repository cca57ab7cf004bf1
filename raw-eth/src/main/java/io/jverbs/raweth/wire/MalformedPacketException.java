package io.jverbs.raweth.wire;

import io.jverbs.core.JverbsException;

/**
 * Bytes that are not a well-formed header: thrown by the {@code wrapOrThrow} conveniences and by a
 * {@code Repr.parse} of a view whose last {@code wrap} was not {@link WireStatus#OK}. The only
 * exception a parser in this package lets out for bad input. The packet path does not throw: it
 * checks the {@link WireStatus} that {@code wrap} returns and counts {@link #reason()} instead.
 *
 * <p>Unchecked like every jverbs failure ({@link JverbsException} is the one root): after a
 * {@code wrap} that returned {@code OK}, {@code parse} cannot fail, and a checked type would force
 * a dead catch on every such call.
 */
public final class MalformedPacketException extends JverbsException {
    private static final long serialVersionUID = 1L;

    private final WireStatus reason;

    public MalformedPacketException(WireStatus reason) {
        super(reason.name() + ": " + reason.description());
        if (reason == WireStatus.OK) {
            throw new IllegalArgumentException("OK is not a malformation");
        }
        this.reason = reason;
    }

    /** Why the bytes were rejected; never {@link WireStatus#OK}. */
    public WireStatus reason() {
        return reason;
    }
}
