package io.jverbs.core;

/**
 * The root of every failure jverbs reports. Catch this one type to handle them all:
 * <ul>
 *   <li>{@link NativeException}: a native call failed with an errno (libibverbs, librdmacm,
 *       libc); {@code io.jverbs.verbs.VerbsException} is the verbs and rdma_cm kind;</li>
 *   <li>{@link NotSupportedException}: the device or its provider lacks a feature;</li>
 *   <li>{@link NativeLibraryException}: a native library or symbol is missing;</li>
 *   <li>{@code io.jverbs.rdmacm.CmException}: a connection-management step failed or timed out.</li>
 * </ul>
 * Misuse of the API is not a jverbs failure and keeps the JDK's types:
 * {@link IllegalArgumentException} for a bad argument, {@link IllegalStateException} for a
 * closed object or a call in the wrong state.
 */
public class JverbsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JverbsException(String message) {
        super(message);
    }

    public JverbsException(String message, Throwable cause) {
        super(message, cause);
    }
}
