package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The device tests' pairing policy ({@link Runs#pair}), on the host: which failed pairs are run
 * again. The C side's output is what ib_send_bw 6.06 printed in the Soft-RoCE VM when its
 * cycle-counter calibration failed (the InteropIT.rdmaCm "send_bw -R -c UD JC" flake).
 */
class RunsTest {
    private static final String C_CALIBRATION_ERR = " Max msg size in UD is MTU 1024\n Changing to this MTU\n"
            + "Correlation coefficient r^2: 0.434739 < 0.9\nCan't produce a report\n";
    private static final Runs.Result C_CALIBRATION = new Runs.Result("ib_send_bw -R -c UD", 1, "", C_CALIBRATION_ERR);
    private static final Runs.Result JPERF_PEER_LEFT = new Runs.Result("jperf send_bw -R -c UD", 1, "",
            "jperf send_bw: closing handshake: peer 10.77.1.2:40091 disconnected; it exited or failed (see its output)\n");
    private static final Runs.Result OK_S = new Runs.Result("server", 0, " 1024 50 0.00 20.36 0.020848\n", "");
    private static final Runs.Result OK_C = new Runs.Result("client", 0, " 1024 50 0.00 20.36 0.020848\n", "");

    /** Sides that finish with the given results in turn; counts how often the server was awaited to be ready. */
    private static final class Script {
        final Deque<Runs.Result> servers, clients;
        final AtomicInteger ready = new AtomicInteger();

        Script(List<Runs.Result> servers, List<Runs.Result> clients) {
            this.servers = new ArrayDeque<>(servers);
            this.clients = new ArrayDeque<>(clients);
        }

        Runs.Result[] run() {
            return Runs.pair(() -> finished(servers.removeFirst()), () -> finished(clients.removeFirst()), ready::incrementAndGet);
        }

        private static Runs.Side finished(Runs.Result r) {
            return () -> r;
        }
    }

    @Test
    void calibrationFailureIsRecognised() {
        assertTrue(Runs.calibrationFailed(C_CALIBRATION));
        assertFalse(Runs.calibrationFailed(JPERF_PEER_LEFT), "the jperf side's failure is a consequence, not the cause");
        assertFalse(Runs.calibrationFailed(new Runs.Result("c", 0, "", C_CALIBRATION_ERR)), "exit 0 is no failure");
    }

    @Test
    void pairWhoseCSideFailedCalibrationRunsAgainWithTheGivenReadinessWait() {
        Script s = new Script(List.of(JPERF_PEER_LEFT, OK_S), List.of(C_CALIBRATION, OK_C));
        Runs.Result[] r = s.run();
        assertSame(OK_S, r[0]);
        assertSame(OK_C, r[1]);
        assertEquals(2, s.ready.get(), "the server's readiness was awaited before each client");
        assertTrue(s.servers.isEmpty() && s.clients.isEmpty());
    }

    @Test
    void otherFailuresAreReturnedAtOnce() {
        Runs.Result cOther = new Runs.Result("ib_send_bw", 1, "", " Unable to write to socket/rdma_cm\n");
        Script s = new Script(List.of(JPERF_PEER_LEFT, OK_S), List.of(cOther, OK_C));
        Runs.Result[] r = s.run();
        assertSame(JPERF_PEER_LEFT, r[0]);
        assertSame(cOther, r[1]);
        assertEquals(1, s.ready.get());
    }

    @Test
    void threeCalibrationFailuresInARowAreReturned() {
        Script s = new Script(List.of(JPERF_PEER_LEFT, JPERF_PEER_LEFT, JPERF_PEER_LEFT),
                List.of(C_CALIBRATION, C_CALIBRATION, C_CALIBRATION));
        Runs.Result[] r = s.run();
        assertSame(C_CALIBRATION, r[1]);
        assertEquals(3, s.ready.get());
    }
}
