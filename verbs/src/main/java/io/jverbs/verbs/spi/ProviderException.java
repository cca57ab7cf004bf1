package io.jverbs.verbs.spi;

/**
 * A provider operation that creates an object failed with {@code errno}: the Java form of a C
 * provider returning NULL with errno set. The public classes turn it into the exception a
 * libibverbs failure of the same call gives ({@code VerbsException} or
 * {@code NotSupportedException}, naming the call, the errno and the device).
 */
public final class ProviderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    /** {@code errno} with a detail for the message (null: none). */
    public ProviderException(int errno, String detail) {
        super(detail, null, false, false);
        this.errno = errno;
    }

    /** The positive errno value ({@code io.jverbs.core.Errno}). */
    public int errno() {
        return errno;
    }
}
