package io.jverbs.core;

/**
 * Names a native function in a {@link NativeException} and knows the usual fix for its errno
 * values. Each binding has an enum of its calls ({@code io.jverbs.verbs.VerbsCall},
 * {@link SystemCall}), so a handler can match {@code e.call() == VerbsCall.REG_MR} instead of
 * comparing strings, and hints live next to the call they explain.
 */
public interface NativeCall {
    /** The C function, e.g. {@code ibv_reg_mr}. */
    String function();

    /** What usually fixes {@code errno} from this call, or null. */
    default String hint(int errno) {
        return null;
    }
}
