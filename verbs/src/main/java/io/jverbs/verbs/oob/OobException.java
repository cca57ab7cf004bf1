package io.jverbs.verbs.oob;

import io.jverbs.core.JverbsException;

/**
 * The out-of-band exchange over TCP failed: no peer connected in time, the peer went silent,
 * closed the connection early or sent something that is not the expected message. The message
 * names the peer, the port and what was awaited.
 */
public class OobException extends JverbsException {
    private static final long serialVersionUID = 1L;

    public OobException(String message) {
        super(message);
    }

    public OobException(String message, Throwable cause) {
        super(message, cause);
    }
}
