package io.jverbs.perftest.engine;

/**
 * A failed run, with a message for the one line the CLI prints: an error completion, a stalled
 * peer, a device or setting the test cannot use. Built without a stack trace on the data path.
 */
class EngineException extends RuntimeException {
    EngineException(String message) {
        super(message);
    }

    EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
