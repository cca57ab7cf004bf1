package io.jverbs.raweth.port;

/**
 * One Ethernet port that receives and transmits bursts of whole frames, whatever is underneath: an
 * ibverbs RAW_PACKET QP, a DPDK ethdev queue, an AF_PACKET ring, a TAP device, or an in-memory
 * pair. Frames live in the port's own memory (registered memory, mbufs, a ring) and are handed out
 * as entries of a reusable {@link FrameBurst}; nothing is allocated per frame or per burst.
 *
 * <h2>Ownership</h2>
 * <ul>
 *   <li>{@link #receive} fills a burst with frames that belong to the caller until
 *       {@link #release} gives them back (an mbuf freed, a ring block returned, a receive
 *       buffer posted again). A port may bound how many frames the caller holds at once.</li>
 *   <li>{@link #allocate} hands out empty transmit buffers of {@link PortCapabilities#maxFrameLength()}
 *       bytes; the caller writes each frame, sets its {@link FrameBurst#length length}, and calls
 *       {@link #transmit}. A port that offers TCP segmentation offload hands out larger buffers for it
 *       through {@link #allocate(FrameBurst, int, int)}. Frames the port did not take stay the caller's: send them again later
 *       or {@link #release} them.</li>
 *   <li>Received frames are not transmit buffers: to forward one, copy it into an allocated
 *       buffer (a port that can do better says so in its documentation).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * One thread uses a port's data path (receive, release, allocate, transmit) at a time, as with a
 * DPDK queue; {@link #stats()} and {@link #close()} may be called from any thread. After close,
 * every method but {@code close} throws {@link IllegalStateException}.
 *
 * <h2>Bad frames</h2>
 * A port delivers what the wire delivered; it never throws because of a frame's content. Frames
 * the device flagged as bad are dropped by the port and counted in {@link PortStats#rxErrors()}.
 */
public interface PacketPort extends AutoCloseable {
    /** A name for messages and statistics, e.g. {@code afpacket:veth0} or {@code dpdk:net_tap0}. */
    String name();

    /** What the port can do: MTU, frame and burst sizes, checksum and segmentation offloads, MAC. */
    PortCapabilities capabilities();

    /**
     * Receives up to {@code burst.capacity()} frames without waiting and returns how many (also
     * {@code burst.count()}). The frames are the caller's until {@link #release}.
     *
     * @throws IllegalStateException if {@code burst} still holds frames (they would be lost)
     */
    int receive(FrameBurst burst);

    /** Gives every frame still in {@code burst} (received or allocated) back to the port; count becomes 0. */
    void release(FrameBurst burst);

    /**
     * Puts up to {@code n} empty transmit buffers in {@code burst} (each {@link FrameBurst#capacity(int)}
     * bytes, length 0) and returns how many it could; fewer when the port's transmit memory is busy.
     *
     * @throws IllegalStateException if {@code burst} still holds frames (they would be lost)
     */
    int allocate(FrameBurst burst, int n);

    /**
     * {@link #allocate(FrameBurst, int)} for frames of up to {@code length} bytes: each buffer has a
     * {@link FrameBurst#capacity(int)} of at least {@code length}. Beyond
     * {@link PortCapabilities#maxFrameLength()} only for TCP segmentation offload, up to
     * {@link PortCapabilities#tsoMaxFrame()}; a port may have fewer such buffers than plain ones.
     * A port that offers TSO overrides this; the default serves ports without it.
     *
     * @throws IllegalArgumentException if {@code length} is above what the port offers
     * @throws IllegalStateException if {@code burst} still holds frames
     */
    default int allocate(FrameBurst burst, int n, int length) {
        PortCapabilities c = capabilities();
        if (length > c.maxFrameLength()) {
            throw new IllegalArgumentException(name() + ": no transmit buffers of " + length + " bytes (maxFrameLength "
                    + c.maxFrameLength() + ", no TSO)");
        }
        return allocate(burst, n);
    }

    /**
     * Transmits frames {@code [0, n)} of {@code burst}, each with its {@link FrameBurst#length length}
     * and offload {@link FrameBurst#flags flags} (and {@link FrameBurst#segmentSize segment size}), and returns how many the port took (a prefix).
     * The burst then holds the frames not taken, moved to its front; its count is their number.
     */
    int transmit(FrameBurst burst, int n);

    /**
     * Waits until a frame may be ready to {@link #receive} or {@code timeoutNanos} passes, whichever
     * is first: {@code poll(2)} on a socket or TAP, a busy spin on a polled device. A true result
     * means "try receive", not a promise.
     */
    boolean awaitReceive(long timeoutNanos);

    /** Counters since the port opened. */
    PortStats stats();

    /** Releases the port's memory and handles; frames the caller still holds become invalid. Idempotent. */
    @Override
    void close();
}
