package io.jverbs.perftest;

import io.jverbs.perftest.report.Reporter;

/**
 * The RDMA side of a jperf test: sets up device, QPs and the out-of-band exchange, runs the
 * measured loops and hands timestamps to the {@link Reporter}. The CLI finds implementations with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.jverbs.perftest.Engine}) and uses
 * the first that {@link #supports} the parameters.
 */
public interface Engine {
    /** Whether this engine runs these parameters (test kind, measure, connection, ...). */
    boolean supports(TestParameters parameters);

    /**
     * Runs the test to completion.
     *
     * @throws Exception on any failure; the CLI prints its message as one line (the stack trace
     *                   only with {@code --debug}) and exits with {@link ExitCodes#FAILURE}
     */
    void run(TestParameters parameters, Reporter reporter) throws Exception;
}
