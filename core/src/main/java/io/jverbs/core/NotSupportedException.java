package io.jverbs.core;

/**
 * The device (or its provider library) does not support a feature: a QP type, device memory,
 * on-demand paging, an extended verb. Thrown instead of the raw {@code EOPNOTSUPP},
 * {@code ENOTSUP} or {@code EPROTONOSUPPORT} so that code can test for a capability by catching
 * one type, and the message names the feature and the device, e.g. {@code RAW_PACKET QPs are not
 * supported by rxe0: they need an mlx5 (ConnectX) device}.
 */
public class NotSupportedException extends JverbsException {
    private static final long serialVersionUID = 1L;

    private final String feature;
    private final String device;
    private final transient NativeCall call;
    private final int errno;

    /**
     * @param feature what is missing, e.g. {@code "RAW_PACKET QPs"}
     * @param device  the device's name, e.g. {@code rxe0}
     * @param advice  what to use instead, or null
     * @param call    the native call that refused, or null when jverbs found the gap itself
     * @param errno   that call's errno, or 0
     */
    public NotSupportedException(String feature, String device, String advice, NativeCall call, int errno) {
        super(feature + " " + (feature.endsWith("s") ? "are" : "is") + " not supported by " + device
                + (call == null ? "" : " (" + call.function() + ": " + Errno.name(errno) + ")")
                + (advice == null ? "" : ": " + advice));
        this.feature = feature;
        this.device = device;
        this.call = call;
        this.errno = errno;
    }

    /** True for the errno values that mean "not supported": EOPNOTSUPP (= ENOTSUP on Linux), EPROTONOSUPPORT. */
    public static boolean isNotSupported(int errno) {
        return errno == Errno.EOPNOTSUPP || errno == Errno.EPROTONOSUPPORT;
    }

    /** The missing feature, as in the message. */
    public String feature() {
        return feature;
    }

    /** The name of the device that lacks it. */
    public String device() {
        return device;
    }

    /** The native call that refused, or null when jverbs found the gap itself (e.g. an empty provider slot). */
    public NativeCall call() {
        return call;
    }

    /** The errno of {@link #call()}, or 0. */
    public int errno() {
        return errno;
    }
}
