package io.jverbs.verbs;

import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeException;

/**
 * A libibverbs or librdmacm call failed. {@link #call()} is a {@link VerbsCall} or an
 * {@link io.jverbs.rdmacm.RdmaCmCall}; the message names the call and errno and, for the
 * failures that have a usual cause, says what to check. A call that failed because the device
 * lacks the feature throws {@link io.jverbs.core.NotSupportedException} instead.
 */
public final class VerbsException extends NativeException {
    private static final long serialVersionUID = 1L;

    /** A failure of {@code call} with {@code errno}, hinted by the call. */
    public VerbsException(NativeCall call, int errno) {
        super(call, errno);
    }

    /** A failure with a hint of the caller's (null for none). */
    public VerbsException(NativeCall call, int errno, String hint) {
        super(call, errno, hint);
    }
}
