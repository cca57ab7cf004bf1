package io.jverbs.core;

/**
 * Base of every registration of memory with a device: an ibverbs memory region, DPDK external
 * memory. A registration is a child of its owner (the protection domain, the DPDK device) and
 * also of the {@link NativeBuffer} it covers, so closing the buffer first closes the
 * registration: the device never keeps a mapping of memory that has been unmapped.
 *
 * <p>The buffer is found from the address range ({@link NativeBuffer#covering}), so a
 * registration made from a buffer's address, a slice of its segment or the buffer itself is
 * tied to it alike. Memory that no live {@code NativeBuffer} holds (an {@link java.lang.foreign.Arena}
 * segment, memory mapped by other code, an on-demand-paging range) has no such tie: its owner
 * must keep it mapped until the registration is closed.
 */
public abstract class Registration extends NativeResource {
    private final NativeBuffer buffer;

    /**
     * A registration under {@code owner} of {@code length} bytes at {@code address}, tied to the
     * live {@link NativeBuffer} that holds them, if any. Subclasses create the native
     * registration and then call {@link #attach()}.
     *
     * @throws IllegalArgumentException when the range starts inside a buffer and runs past its end
     */
    protected Registration(NativeResource owner, long address, long length) {
        this(owner, NativeBuffer.covering(address, length));
    }

    /**
     * A registration under {@code owner} of memory that {@code memory} holds rather than a
     * {@code NativeBuffer} (memory on the device): closing either closes the registration first.
     */
    protected Registration(NativeResource owner, NativeResource memory) {
        super(owner, memory);
        this.buffer = null;
    }

    private Registration(NativeResource owner, NativeBuffer buffer) {
        super(owner, buffer);
        this.buffer = buffer;
    }

    /** The buffer that holds the registered memory, or null when no {@code NativeBuffer} does. */
    public final NativeBuffer buffer() {
        return buffer;
    }
}
