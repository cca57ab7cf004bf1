package io.jverbs.core;

/**
 * A native call failed with an errno. Carries the call, the errno number and symbolic name,
 * and, where the cause is usually the same, a hint on what to change (from
 * {@link NativeCall#hint(int)}).
 *
 * <p>Library functions report errors in one of two ways (the ibverbs man pages say which): they
 * return {@code NULL}/-1 and set {@code errno} (captured per call, see
 * {@link io.jverbs.core.ffi.Native#lastErrno()}), or they return the errno value itself. Either way
 * the value ends up here.
 */
public class NativeException extends JverbsException {
    private static final long serialVersionUID = 1L;

    private final transient NativeCall call;
    private final int errno;
    private final String hint;

    /** A failure of {@code call} with {@code errno}, hinted by the call itself. */
    public NativeException(NativeCall call, int errno) {
        this(call, errno, call.hint(errno));
    }

    /** A failure with a hint of the caller's, which knows more than the call does (null for none). */
    public NativeException(NativeCall call, int errno, String hint) {
        super(format(call, errno, hint));
        this.call = call;
        this.errno = errno;
        this.hint = hint;
    }

    /** The C function that failed, e.g. {@code VerbsCall.REG_MR}. */
    public NativeCall call() {
        return call;
    }

    /** The errno value (positive). */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, e.g. {@code ENOMEM}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** What usually fixes this failure, or {@code null}. */
    public String hint() {
        return hint;
    }

    private static String format(NativeCall call, int errno, String hint) {
        String base = call.function() + " failed: " + Errno.name(errno) + " (errno " + errno + ", " + Errno.describe(errno) + ")";
        return hint == null ? base : base + ". " + hint;
    }
}
