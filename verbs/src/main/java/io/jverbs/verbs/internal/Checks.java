package io.jverbs.verbs.internal;

import io.jverbs.core.JverbsException;
import io.jverbs.core.NativeCall;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.VerbsException;

/**
 * Turns failed libibverbs and librdmacm calls into exceptions, the same way in both packages:
 * a "not supported" errno becomes a {@link NotSupportedException} naming the feature and the
 * device, anything else a {@link VerbsException} with the call's hint.
 */
public final class Checks {
    private Checks() {}

    /**
     * The exception for {@code errno} from {@code call} on {@code device} (null when not known);
     * {@code feature} names what a "not supported" errno refers to (null: the call itself).
     */
    public static JverbsException error(NativeCall call, int errno, String device, String feature) {
        if (NotSupportedException.isNotSupported(errno)) {
            return new NotSupportedException(feature != null ? feature : call.function(),
                    device != null ? device : "this device", null, call, errno);
        }
        return new VerbsException(call, errno);
    }

    /** As {@link #error(NativeCall, int, String, String)}, for a call not tied to one device. */
    public static JverbsException error(NativeCall call, int errno) {
        return error(call, errno, null, null);
    }

    /** For calls that return NULL/-1 and set errno: reads this thread's captured errno. */
    public static JverbsException fromErrno(NativeCall call, String device) {
        return error(call, Native.lastErrno(), device, null);
    }

    /**
     * For calls that return an error code: libibverbs returns the errno value itself; a few calls
     * return -1 and set errno instead, so a non-positive code falls back to errno.
     */
    public static JverbsException fromReturn(NativeCall call, int rc, String device) {
        return error(call, rc > 0 ? rc : Native.lastErrno(), device, null);
    }

    /** Throws when {@code rc} is not zero, for a call not tied to one device. */
    public static void check(NativeCall call, int rc) {
        check(call, rc, null);
    }

    /** Throws when {@code rc} is not zero. */
    public static void check(NativeCall call, int rc, String device) {
        if (rc != 0) {
            throw fromReturn(call, rc, device);
        }
    }
}
