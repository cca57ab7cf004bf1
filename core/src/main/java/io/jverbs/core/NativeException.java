package io.jverbs.core;

/**
 * A native call failed with an errno. Carries the call's name, the errno number and symbolic name,
 * and, where the cause is usually the same, a hint on what to change.
 *
 * <p>Library functions report errors in one of two ways (the ibverbs man pages say which): they
 * return {@code NULL}/-1 and set {@code errno} (captured per call, see
 * {@link io.jverbs.core.ffi.Native#lastErrno()}), or they return the errno value itself. Either way
 * the value ends up here.
 */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String hint;

    public NativeException(String call, int errno, String hint) {
        super(format(call, errno, hint));
        this.call = call;
        this.errno = errno;
        this.hint = hint;
    }

    /** The C function that failed, e.g. {@code ibv_reg_mr}. */
    public String call() {
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

    private static String format(String call, int errno, String hint) {
        String base = call + " failed: " + Errno.name(errno) + " (errno " + errno + ", " + Errno.describe(errno) + ")";
        return hint == null ? base : base + ". " + hint;
    }
}
