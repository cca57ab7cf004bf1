package io.jverbs.raweth.port;

import java.util.Objects;

/**
 * A {@link PacketPort} that passes every call to the port it wraps: the base of wrappers such as
 * {@link PcapPort} and {@link FaultInjector}, which override only what they change. Every method
 * of the interface is forwarded, the three-argument {@link #allocate(FrameBurst, int, int)}
 * included (the interface's default would refuse TSO buffers the wrapped port offers); frames,
 * capabilities and statistics are the wrapped port's own.
 *
 * <h2>Lifetime</h2>
 * The wrapper owns the port it wraps: {@link #close()} closes it. A subclass that holds more
 * (a file, memory of its own) overrides {@code close} and calls {@code super.close()}, releasing
 * its own in a {@code finally}. Threads: as the wrapped port's.
 */
public abstract class ForwardingPort implements PacketPort {
    /** The wrapped port. */
    protected final PacketPort inner;

    /**
     * Wraps {@code inner}.
     *
     * @param inner the port every call goes to
     */
    protected ForwardingPort(PacketPort inner) {
        this.inner = Objects.requireNonNull(inner, "port");
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

    /** Closes the wrapped port. */
    @Override
    public void close() {
        inner.close();
    }
}
