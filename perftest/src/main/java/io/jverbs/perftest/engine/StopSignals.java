package io.jverbs.perftest.engine;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * {@code --run_infinitely}'s way out: while installed, SIGINT and SIGTERM only set a flag that the
 * measured loop reads between passes (perftest's {@code sigint_flag}, set by its SIGINT handler in
 * {@code run_iter_bw_infinitely}), so the run ends through its normal closing steps and exits 0. A
 * second signal exits at once with 128 + its number, as an unhandled one would. {@link #close()}
 * puts the previous handlers back. {@code sun.misc.Signal} (module jdk.unsupported) is the JDK's
 * only way to take a signal without starting the JVM's shutdown.
 */
final class StopSignals implements BooleanSupplier, AutoCloseable {
    private static final String[] SIGNALS = {"INT", "TERM"};

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile String received;

    private StopSignals() {
    }

    static StopSignals install() {
        StopSignals s = new StopSignals();
        SignalHandler handler = sig -> {
            if (s.received != null) {
                System.exit(128 + sig.getNumber());
            }
            s.received = "SIG" + sig.getName();
        };
        for (String name : SIGNALS) {
            Signal sig = new Signal(name);
            s.previous.add(Signal.handle(sig, handler));
            s.signals.add(sig);
        }
        return s;
    }

    /** True once SIGINT or SIGTERM arrived. */
    @Override
    public boolean getAsBoolean() {
        return received != null;
    }

    /** The signal that arrived ({@code SIGINT}, {@code SIGTERM}), or null. */
    String received() {
        return received;
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
        signals.clear();
        previous.clear();
    }
}
