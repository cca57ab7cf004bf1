package io.jverbs.soft.device;

/** The errno values the soft device answers, beyond {@link io.jverbs.core.Errno}'s constants. */
final class Errnos {
    private Errnos() {}

    static final int EINVAL = io.jverbs.core.Errno.EINVAL;
    static final int ENOMEM = io.jverbs.core.Errno.ENOMEM;
    static final int EOPNOTSUPP = io.jverbs.core.Errno.EOPNOTSUPP;
    /** CQ overrun, as the kernel's ib_uverbs reports it to poll. */
    static final int EOVERFLOW = 75;
}
