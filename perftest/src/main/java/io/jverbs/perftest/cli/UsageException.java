package io.jverbs.perftest.cli;

/** A command line that perftest would refuse: reported as one line, exit code 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A usage error with a one-line message. */
    public UsageException(String message) {
        super(message);
    }
}
