package io.jverbs.soft.device;

import java.util.Arrays;

/**
 * One soft device, shared by every context open on it (as a kernel device is shared by its
 * contexts): the table of its objects by handle and its progress engine (socket, thread, memory
 * keys, QPs by number). Started by its first context; it stays up until {@link SoftProvider#remove}.
 */
final class SoftDevice {
    private final SoftDeviceConfig config;
    private int refs;
    /** Objects by handle ({@code ibv_cq.handle}, ...): the data path finds one from its struct without a map or boxing. */
    private volatile Object[] objects = new Object[64];
    private int nextHandle = 1;

    private final SoftEngine engine;

    /** Binds the device's UDP socket and starts its progress thread. */
    SoftDevice(SoftDeviceConfig config) throws java.io.IOException {
        this.config = config;
        this.engine = new SoftEngine(this);
    }

    SoftEngine engine() {
        return engine;
    }

    SoftDeviceConfig config() {
        return config;
    }

    /** The node GUID: rxe derives it from the MAC (EUI-64); here from the IPv4 address, so two devices differ. */
    static long guid(SoftDeviceConfig c) {
        byte[] a = c.address().getAddress();
        return 0x02_6a_73_ff_fe_00_00_00L | (a[1] & 0xffL) << 16 | (a[2] & 0xffL) << 8 | (a[3] & 0xffL);
    }

    synchronized void retain() {
        refs++;
    }

    /**
     * Drops one context's reference. The device stays up without contexts, as a kernel device
     * does: opening and closing contexts in a loop then starts no thread and binds no socket each
     * time ({@link SoftProvider#remove} takes it down).
     */
    synchronized void release() {
        refs--;
    }

    /** True while a context has the device open. */
    synchronized boolean inUse() {
        return refs > 0;
    }

    /** Stops the progress thread and closes the socket; the device must not be in use. */
    void shutdown() {
        engine.close();
    }

    /** Registers {@code o} and returns its handle. */
    synchronized int register(Object o) {
        Object[] table = objects;
        int h = nextHandle;
        while (h < table.length && table[h] != null) h++;
        if (h >= table.length) {
            h = table.length;
            table = Arrays.copyOf(table, table.length * 2);
        }
        table[h] = o;
        objects = table;
        nextHandle = h + 1;
        return h;
    }

    /** Puts {@code o} at {@code handle}, which {@link #register} gave. */
    synchronized void replace(int handle, Object o) {
        objects[handle] = o;
    }

    synchronized void unregister(int handle) {
        objects[handle] = null;
        nextHandle = Math.min(nextHandle, handle);
    }

    /** The object with {@code handle}, or null (also for a handle read from a struct that is not this device's). */
    Object object(int handle) {
        Object[] table = objects;
        return handle > 0 && handle < table.length ? table[handle] : null;
    }


}
