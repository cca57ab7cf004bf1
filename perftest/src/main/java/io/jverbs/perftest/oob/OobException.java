package io.jverbs.perftest.oob;

import io.jverbs.core.JverbsException;

/**
 * The one failure type of the out-of-band protocol: every bad peer (silent, closed, speaking
 * something else, too old, set up differently) ends in this exception, with a one-line message
 * that names the protocol step and says what was expected.
 */
public final class OobException extends JverbsException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers that choose an exit code or a hint. */
    public enum Kind {
        /** Could not connect, accept, or the socket failed. */
        CONNECT,
        /** The peer sent nothing within the step's time bound. */
        TIMEOUT,
        /** The peer closed the connection (or it was reset) before the message was complete. */
        CLOSED,
        /** The bytes are not perftest's: another program, or a corrupted stream. */
        GARBAGE,
        /** The peer's perftest version is too old for this protocol. */
        VERSION,
        /** Both speak perftest but were started with settings that cannot work together. */
        MISMATCH
    }

    private final Kind kind;
    private final String step;

    public OobException(Kind kind, String step, String message) {
        this(kind, step, message, null);
    }

    public OobException(Kind kind, String step, String message, Throwable cause) {
        super(step + ": " + message, cause);
        this.kind = kind;
        this.step = step;
    }

    public Kind kind() {
        return kind;
    }

    /** The protocol step that failed, e.g. {@code "version exchange"}. */
    public String step() {
        return step;
    }
}
