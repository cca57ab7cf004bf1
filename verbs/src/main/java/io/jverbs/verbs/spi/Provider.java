package io.jverbs.verbs.spi;

import io.jverbs.verbs.Device;

import java.util.List;

/**
 * A source of verbs devices implemented outside libibverbs, registered for
 * {@link java.util.ServiceLoader} ({@code provides io.jverbs.verbs.spi.Provider with ...} on
 * the module path, {@code META-INF/services/io.jverbs.verbs.spi.Provider} on the class path).
 * Loaded once per JVM.
 */
public interface Provider {
    /** The devices this provider offers now, in the order {@link Device#list()} shows them. */
    List<Device> devices();

    /**
     * Opens {@code name}, one of {@link #devices()}: the operations of a new context.
     *
     * @throws ProviderException when the device cannot be opened (its socket cannot be bound, ...)
     */
    ContextOps open(String name);
}
