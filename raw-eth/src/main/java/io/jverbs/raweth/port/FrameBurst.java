package io.jverbs.raweth.port;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A reusable burst of frames: for each entry, where the frame is in the port's memory, its
 * length, the room it has, offload flags, and a token the port uses to take it back. Made once per
 * thread and filled by {@link PacketPort#receive} or {@link PacketPort#allocate} for every burst;
 * it allocates nothing after construction.
 *
 * <p>All frames of a burst lie in one segment, {@link #memory()}, set by the port that filled it
 * (a ring, a registered buffer, or for DPDK the whole address space); entry {@code i} is the
 * {@link #length(int)} bytes at {@link #offset(int)} in it. The wire views read them in place:
 * {@code eth.wrap(burst.memory(), burst.offset(i), burst.length(i))}.
 *
 * <p>The accessors for the caller are {@code count}, {@code memory}, {@code offset},
 * {@code length}, {@code capacity}, {@code flags} and {@code segmentSize}; {@code set}, {@code count(int)} and
 * {@code handle} are for port implementations. Not thread-safe.
 */
public final class FrameBurst {
    /** Received: the device checked the IPv4 header checksum and found it good. */
    public static final int RX_IP_CHECKSUM_GOOD = 1;
    /** Received: the device checked the TCP/UDP checksum and found it good. */
    public static final int RX_L4_CHECKSUM_GOOD = 1 << 1;
    /** Transmit: the device fills the IPv4 header checksum. */
    public static final int TX_IP_CHECKSUM = 1 << 8;
    /** Transmit: the device fills the TCP/UDP checksum (the field holds the pseudo-header sum). */
    public static final int TX_L4_CHECKSUM = 1 << 9;
    /**
     * Transmit: the device cuts this IPv4/TCP frame (TSO) into segments of {@link #segmentSize(int)}
     * payload bytes each, copying the headers and fixing up each segment's IPv4 total length,
     * identification and checksum, TCP sequence number, flags (FIN and PSH on the last segment only,
     * CWR on the first only) and checksum. It implies {@link #TX_IP_CHECKSUM} and
     * {@link #TX_L4_CHECKSUM}: software leaves the pseudo-header sum of the whole frame's TCP length
     * in the TCP checksum field, as for {@code TX_L4_CHECKSUM}. Only for ports whose
     * {@link PortCapabilities#tsoMaxFrame()} is not 0; a frame longer than
     * {@link PortCapabilities#maxFrameLength()} needs a buffer from
     * {@link PacketPort#allocate(FrameBurst, int, int)}.
     */
    public static final int TX_TCP_SEGMENTATION = 1 << 10;

    private final long[] offsets;
    private final int[] lengths;
    private final int[] capacities;
    private final int[] flags;
    private final long[] handles;
    private final int[] segmentSizes;
    private MemorySegment memory = MemorySegment.NULL;
    private int count;

    /** A burst of at most {@code capacity} frames. */
    public FrameBurst(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity " + capacity + " must be positive");
        }
        offsets = new long[capacity];
        lengths = new int[capacity];
        capacities = new int[capacity];
        flags = new int[capacity];
        handles = new long[capacity];
        segmentSizes = new int[capacity];
    }

    /** The most frames this burst holds. */
    public int capacity() {
        return offsets.length;
    }

    /** How many frames it holds now. */
    public int count() {
        return count;
    }

    /** The segment all frames of this burst lie in. */
    public MemorySegment memory() {
        return memory;
    }

    /** Where frame {@code i} starts in {@link #memory()}. */
    public long offset(int i) {
        return offsets[Objects.checkIndex(i, count)];
    }

    /** Frame {@code i}'s length in bytes. */
    public int length(int i) {
        return lengths[Objects.checkIndex(i, count)];
    }

    /** Sets frame {@code i}'s length, up to its {@link #capacity(int)}: how much of a transmit buffer to send. */
    public void length(int i, int length) {
        Objects.checkIndex(i, count);
        if (length < 0 || length > capacities[i]) {
            throw new IllegalArgumentException("length " + length + " outside [0, " + capacities[i] + "] of frame " + i);
        }
        lengths[i] = length;
    }

    /** The room frame {@code i}'s buffer has. */
    public int capacity(int i) {
        return capacities[Objects.checkIndex(i, count)];
    }

    /** Frame {@code i}'s offload flags ({@code RX_*} on receive, {@code TX_*} requested for transmit). */
    public int flags(int i) {
        return flags[Objects.checkIndex(i, count)];
    }

    /** Sets frame {@code i}'s offload flags for transmit. */
    public void flags(int i, int value) {
        flags[Objects.checkIndex(i, count)] = value;
    }

    /** The TCP payload bytes per segment of frame {@code i} flagged {@link #TX_TCP_SEGMENTATION} (the MSS); 0 if unset. */
    public int segmentSize(int i) {
        return segmentSizes[Objects.checkIndex(i, count)];
    }

    /**
     * Sets frame {@code i}'s segment size for {@link #TX_TCP_SEGMENTATION}: each segment the device
     * cuts carries at most {@code size} payload bytes. Set with the flag; {@link #set} clears it.
     */
    public void segmentSize(int i, int size) {
        Objects.checkIndex(i, count);
        if (size < 1 || size > 0xffff) {
            throw new IllegalArgumentException("segment size " + size + " outside [1, 65535] for frame " + i);
        }
        segmentSizes[i] = size;
    }

    // ---- for port implementations ----

    /**
     * Port use, first thing in {@code receive} and {@code allocate}: a burst that still holds
     * frames would lose them to the port for good.
     *
     * @throws IllegalStateException if the burst holds frames; nothing is changed
     */
    public void requireEmpty(String port, String operation) {
        if (count != 0) {
            throw new IllegalStateException(port + ": " + operation + " into a burst that still holds " + count
                    + " frames; transmit or release them first");
        }
    }

    /** Port use: the segment the port's frames lie in. */
    public void memory(MemorySegment segment) {
        memory = Objects.requireNonNull(segment, "segment");
    }

    /** Port use: entry {@code i} (below {@link #capacity()}), and what the port needs to take it back. */
    public void set(int i, long offset, int length, int capacity, int frameFlags, long handle) {
        Objects.checkIndex(i, offsets.length);
        offsets[i] = offset;
        lengths[i] = length;
        capacities[i] = capacity;
        flags[i] = frameFlags;
        handles[i] = handle;
        segmentSizes[i] = 0;
    }

    /** Port use: the number of valid entries. */
    public void count(int n) {
        count = Objects.checkIndex(n, offsets.length + 1);
    }

    /** Port use: the token the port stored with frame {@code i} (an mbuf, a ring slot, a receive id). */
    public long handle(int i) {
        return handles[Objects.checkIndex(i, count)];
    }

    /** Port use: drops entries {@code [0, n)} and moves the rest to the front (after a partial transmit). */
    public void removeFirst(int n) {
        Objects.checkIndex(n, count + 1);
        int rest = count - n;
        System.arraycopy(offsets, n, offsets, 0, rest);
        System.arraycopy(lengths, n, lengths, 0, rest);
        System.arraycopy(capacities, n, capacities, 0, rest);
        System.arraycopy(flags, n, flags, 0, rest);
        System.arraycopy(handles, n, handles, 0, rest);
        System.arraycopy(segmentSizes, n, segmentSizes, 0, rest);
        count = rest;
    }
}
