package io.jverbs.soft.device;

import io.jverbs.core.Errno;
import io.jverbs.verbs.Device;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.Provider;
import io.jverbs.verbs.spi.ProviderException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The soft RoCEv2 devices, for {@link java.util.ServiceLoader}: {@code Context.open("jsoft0")}.
 * The devices come from the system property {@value SoftDeviceConfig#PROPERTY}, else the
 * environment variable {@value SoftDeviceConfig#ENV}, else {@value SoftDeviceConfig#DEFAULT};
 * {@link #add} adds more at run time (docs/soft-device.md). A device starts (binds its UDP socket,
 * starts its progress thread) when its first context opens and stays up until {@link #remove}.
 */
public final class SoftProvider implements Provider {
    /** node_type CA, transport IB: what rxe reports. */
    private static final int NODE_CA = 1, TRANSPORT_IB = 0;

    private static final Map<String, SoftDeviceConfig> CONFIGS = new LinkedHashMap<>();
    private static final Map<String, SoftDevice> OPEN = new LinkedHashMap<>();
    /**
     * Why the configured devices did not parse, or null. Kept instead of thrown from the class
     * initialiser, where ServiceLoader would wrap it in a ServiceConfigurationError (and the class
     * would be unusable): each use of the provider throws it again, naming the setting and the syntax.
     */
    private static final String CONFIG_ERROR;

    static {
        String spec = System.getProperty(SoftDeviceConfig.PROPERTY);
        String source = "-D" + SoftDeviceConfig.PROPERTY;
        if (spec == null) {
            spec = System.getenv(SoftDeviceConfig.ENV);
            source = SoftDeviceConfig.ENV;
        }
        if (spec == null) {
            spec = SoftDeviceConfig.DEFAULT;
            source = "the default";
        }
        String error = null;
        try {
            for (SoftDeviceConfig c : SoftDeviceConfig.parse(spec)) {
                CONFIGS.put(c.name(), c);
            }
        } catch (IllegalArgumentException e) {
            CONFIGS.clear();
            error = source + "='" + spec + "' is not a soft device configuration: " + e.getMessage()
                    + ". Syntax: name=IPv4[:mtu] entries separated by commas, e.g. " + SoftDeviceConfig.ENV
                    + "=jsoft0=127.0.0.1,jsoft1=127.0.0.2:4096 (MTU 256 to 4096), or none";
        }
        CONFIG_ERROR = error;
    }

    /** Throws the configuration's error, if it had one (a new exception each time: the caller's stack). */
    private static void checkConfiguration() {
        if (CONFIG_ERROR != null) {
            throw new IllegalArgumentException(CONFIG_ERROR);
        }
    }

    /** For ServiceLoader. */
    public SoftProvider() {}

    /**
     * Adds a soft device from now on (a device of that name is replaced while no context has it
     * open). The programmatic form of {@value SoftDeviceConfig#PROPERTY}.
     *
     * @throws IllegalStateException if a device of that name is open
     */
    public static synchronized void add(SoftDeviceConfig config) {
        checkConfiguration();
        shutdown(config.name());
        CONFIGS.put(config.name(), config);
    }

    /**
     * Removes a soft device that no context has open, stopping its thread and releasing its
     * socket; returns whether it existed.
     *
     * @throws IllegalStateException if a context has it open
     */
    public static synchronized boolean remove(String name) {
        shutdown(name);
        return CONFIGS.remove(name) != null;
    }

    /** Takes the running device {@code name} down, if there is one and nobody uses it. */
    private static void shutdown(String name) {
        SoftDevice d = OPEN.get(name);
        if (d == null) return;
        if (d.inUse()) {
            throw new IllegalStateException("soft device " + name + " is open: close its contexts first");
        }
        OPEN.remove(name);
        d.shutdown();
    }

    /**
     * The configured soft devices.
     *
     * @throws IllegalArgumentException if {@value SoftDeviceConfig#PROPERTY} or {@value SoftDeviceConfig#ENV}
     *         does not parse (so does every use of the provider: {@code Device.list()}, {@code Context.open})
     */
    public static synchronized List<SoftDeviceConfig> configs() {
        checkConfiguration();
        return List.copyOf(CONFIGS.values());
    }

    @Override
    public List<Device> devices() {
        List<Device> out = new ArrayList<>();
        for (SoftDeviceConfig c : configs()) {
            out.add(new Device(c.name(), SoftDevice.guid(c), NODE_CA, TRANSPORT_IB));
        }
        return out;
    }

    @Override
    public ContextOps open(String name) {
        checkConfiguration();
        SoftDevice device;
        synchronized (SoftProvider.class) {
            SoftDeviceConfig c = CONFIGS.get(name);
            if (c == null) {
                throw new ProviderException(Errno.ENODEV, "no soft device named " + name);
            }
            device = OPEN.get(name);
            if (device == null) {
                try {
                    device = new SoftDevice(c);
                } catch (java.net.BindException e) {
                    throw new ProviderException(Errno.EADDRINUSE, "cannot bind UDP " + c.address().getHostAddress() + ":"
                            + SoftDeviceConfig.ROCE_PORT + " (" + e.getMessage() + "): another process (or rxe on this address) has it,"
                            + " or the address is not on this host");
                } catch (java.io.IOException e) {
                    throw new ProviderException(Errno.EIO, "cannot open the UDP socket of " + name + ": " + e);
                } catch (RuntimeException e) {
                    if (c.port() == null) throw e;
                    // the packet port's opener: no privilege (CAP_NET_RAW for afpacket), no interface, a bad spec or MTU
                    throw new ProviderException(e instanceof IllegalArgumentException ? Errno.EINVAL : Errno.EIO,
                            "cannot open soft device " + name + " on the packet port " + c.port() + ": " + e.getMessage());
                }
                OPEN.put(name, device);
            }
            device.retain();
        }
        return new SoftContext(device);
    }

    /** The progress engine of the open device {@code name}, or null (for tests: its packet counters). */
    static synchronized SoftEngine engine(String name) {
        SoftDevice d = OPEN.get(name);
        return d == null ? null : d.engine();
    }

}
