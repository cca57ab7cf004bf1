package io.jverbs.core;

/**
 * A native library or one of its symbols is missing. The message names the Debian package that
 * provides it, so the fix is one {@code apt-get install} away.
 */
public final class NativeLibraryException extends JverbsException {
    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
