package io.jverbs.perftest.engine;

import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Engine;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.oob.OobSession;
import io.jverbs.perftest.report.Reporter;

import java.time.Duration;

/**
 * jperf's RDMA engine: the eight perftest tests over libibverbs, RC/UC/UD, with perftest's TCP
 * out-of-band exchange, so either side may be C perftest ({@code ib_write_bw} ...). Registered in
 * {@code META-INF/services/io.jverbs.perftest.Engine}.
 */
public final class RdmaEngine implements Engine {
    /** How long a wait in a measured loop may see nothing (property {@code jperf.stallSeconds}, 20). */
    static long stallNs() {
        return Long.getLong("jperf.stallSeconds", 20) * 1_000_000_000L;
    }

    /** Bound of one out-of-band step (property {@code jperf.stepSeconds}, 30). */
    static Duration stepTimeout() {
        return Duration.ofSeconds(Long.getLong("jperf.stepSeconds", 30));
    }

    @Override
    public boolean supports(TestParameters p) {
        boolean connection = p.connection() == Connection.RC || p.connection() == Connection.UC
                || p.connection() == Connection.UD;
        return connection && !p.rdmaCm() && !p.commRdmaCm() && !p.runInfinitely();
    }

    @Override
    public void run(TestParameters p, Reporter reporter) throws Exception {
        if (p.loopback()) {
            Loopback.run(p, reporter, stallNs());
            return;
        }
        boolean server = p.isServer();
        try (TestRun run = new TestRun(p, reporter, server, TcpOob::open, stallNs())) {
            run.run();
        }
    }

    /** perftest's TCP channel: the server accepts one client (waiting as long as perftest), the client retries. */
    static final class TcpOob {
        private TcpOob() {
        }

        static OobSession open(TestParameters p) {
            if (p.isServer()) {
                // perftest waits for its client forever; property jperf.acceptSeconds bounds it (0 = forever).
                return OobSession.server(p.port(), Duration.ofSeconds(Long.getLong("jperf.acceptSeconds", 0)),
                        stepTimeout());
            }
            return OobSession.client(p.serverName(), p.port(), stepTimeout(), stepTimeout());
        }
    }
}
