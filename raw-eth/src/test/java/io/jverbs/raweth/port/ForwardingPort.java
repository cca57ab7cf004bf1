package io.jverbs.raweth.port;

import java.util.Objects;

/** Test helper: a {@link PacketPort} that passes every call to {@code inner}; tests override what they watch. */
public class ForwardingPort implements PacketPort {
    protected final PacketPort inner;

    public ForwardingPort(PacketPort inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public PortCapabilities capabilities() {
        return inner.capabilities();
    }

    @Override
    public int receive(FrameBurst burst) {
        return inner.receive(burst);
    }

    @Override
    public void release(FrameBurst burst) {
        inner.release(burst);
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        return inner.allocate(burst, n);
    }

    @Override
    public int allocate(FrameBurst burst, int n, int length) {
        return inner.allocate(burst, n, length);
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        return inner.transmit(burst, n);
    }

    @Override
    public boolean awaitReceive(long timeoutNanos) {
        return inner.awaitReceive(timeoutNanos);
    }

    @Override
    public PortStats stats() {
        return inner.stats();
    }

    @Override
    public void close() {
        inner.close();
    }
}
