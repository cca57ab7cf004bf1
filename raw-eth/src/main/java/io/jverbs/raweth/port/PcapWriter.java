package io.jverbs.raweth.port;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Objects;

/**
 * Writes Ethernet frames to a classic pcap file (the libpcap format tcpdump and Wireshark read:
 * a 24-byte file header, then a 16-byte header before each frame), with microsecond or nanosecond
 * timestamps taken from a {@link NanoClock}. Records go to a buffer in memory, written out when it
 * fills, when {@link #flushInterval} of clock time has passed since the last write, on
 * {@link #flush()} and on {@link #close()}; nothing is allocated per frame.
 *
 * <p>A record's time is the capture's {@code start} instant plus the clock time since the writer
 * opened, so a simulation on a {@link ManualClock} with a fixed start writes the same file every
 * run. Thread-safe: two ports on two threads may share one writer.
 *
 * <p>The format: {@code https://www.tcpdump.org/manpages/pcap-savefile.5.txt} (magic
 * {@code 0xa1b2c3d4} for microseconds, {@code 0xa1b23c4d} for nanoseconds, version 2.4, link type
 * 1 for Ethernet), written in this host's byte order, which the magic tells readers.
 */
public final class PcapWriter implements AutoCloseable {
    /** LINKTYPE_ETHERNET. */
    public static final int LINKTYPE_ETHERNET = 1;
    private static final int FILE_HEADER = 24;
    private static final int RECORD_HEADER = 16;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    /** Timestamp resolution of the file. */
    public enum Resolution {
        /** Magic 0xa1b2c3d4: what every reader knows. */
        MICROSECONDS,
        /** Magic 0xa1b23c4d: libpcap 1.5+, Wireshark, tshark. */
        NANOSECONDS
    }

    private final Path path;
    private final FileChannel channel;
    private final NanoClock clock;
    private final long startEpochNanos;
    private final long startClock;
    private final boolean nanos;
    private final int snaplen;
    private final long flushInterval;
    private byte[] bytes;
    private MemorySegment buffer;
    private ByteBuffer view;
    private int used;
    /** Where the staged records begin, or -1: records of a transmit not yet known to be taken. */
    private int staged = -1;
    private int[] stagedEnds = new int[64];
    private int stagedCount;
    private long lastWrite;
    private long frames;
    private boolean closed;

    /**
     * A capture to {@code path} (created or truncated), microsecond timestamps from the system
     * clock, frames kept whole up to 65535 bytes, written out at least every second.
     */
    public static PcapWriter open(Path path) {
        return open(path, NanoClock.system(), Instant.now(), Resolution.MICROSECONDS, 65_535, 1_000_000_000L);
    }

    /**
     * A capture to {@code path} (created or truncated).
     *
     * @param clock the time source of the timestamps
     * @param start the instant the clock's reading at open stands for
     * @param resolution microsecond or nanosecond timestamps
     * @param snaplen the most bytes of each frame kept (the original length is recorded too)
     * @param flushInterval clock nanoseconds after which buffered records are written out
     * @throws UncheckedIOException if the file cannot be written
     */
    public static PcapWriter open(Path path, NanoClock clock, Instant start, Resolution resolution, int snaplen,
                                  long flushInterval) {
        return new PcapWriter(path, clock, start, resolution, snaplen, flushInterval);
    }

    private PcapWriter(Path path, NanoClock clock, Instant start, Resolution resolution, int snaplen,
                       long flushInterval) {
        this.path = Objects.requireNonNull(path, "path");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (snaplen < 60 || snaplen > 262_144) {
            throw new IllegalArgumentException("snaplen " + snaplen + " outside [60, 262144]");
        }
        if (flushInterval < 0) {
            throw new IllegalArgumentException("flushInterval " + flushInterval + " must not be negative");
        }
        this.snaplen = snaplen;
        this.flushInterval = flushInterval;
        this.nanos = Objects.requireNonNull(resolution, "resolution") == Resolution.NANOSECONDS;
        startEpochNanos = Math.addExact(Math.multiplyExact(start.getEpochSecond(), 1_000_000_000L), start.getNano());
        startClock = clock.nanos();
        lastWrite = startClock;
        grow(Math.max(1 << 16, 8 * (RECORD_HEADER + snaplen)));
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open pcap file " + path + ": " + e.getMessage(), e);
        }
        buffer.set(I32, 0, nanos ? 0xa1b23c4d : 0xa1b2c3d4);
        buffer.set(I16, 4, (short) 2);
        buffer.set(I16, 6, (short) 4);
        buffer.set(I32, 8, 0); // thiszone: timestamps are UTC
        buffer.set(I32, 12, 0); // sigfigs
        buffer.set(I32, 16, snaplen);
        buffer.set(I32, 20, LINKTYPE_ETHERNET);
        used = FILE_HEADER;
        writeOut();
    }

    private void grow(int size) {
        byte[] b = new byte[size];
        if (bytes != null) {
            System.arraycopy(bytes, 0, b, 0, used);
        }
        bytes = b;
        buffer = MemorySegment.ofArray(b);
        view = ByteBuffer.wrap(b);
    }

    /** The file written to. */
    public Path path() {
        return path;
    }

    /** Frames written so far. */
    public synchronized long frames() {
        return frames;
    }

    /** Records one frame: {@code length} bytes at {@code offset} of {@code memory}, timestamped now. */
    public synchronized void write(MemorySegment memory, long offset, int length) {
        open();
        long now = clock.nanos();
        append(memory, offset, length, now);
        if (staged < 0 && (used > bytes.length - RECORD_HEADER - snaplen || now - lastWrite >= flushInterval)) {
            writeOut();
        }
    }

    /**
     * Records the first {@code n} frames of a burst about to be transmitted, to be kept or dropped
     * by {@link #commit} once the port says how many it took (the frames may be gone after).
     */
    synchronized void stage(FrameBurst burst, int n) {
        open();
        if (used + n * (RECORD_HEADER + snaplen) > bytes.length) {
            writeOut();
            if (n * (RECORD_HEADER + snaplen) > bytes.length) {
                grow(n * (RECORD_HEADER + snaplen) + FILE_HEADER); // once, at the first big burst
            }
        }
        if (stagedEnds.length < n) {
            stagedEnds = new int[n];
        }
        staged = used;
        long now = clock.nanos();
        MemorySegment m = burst.memory();
        for (int i = 0; i < n; i++) {
            append(m, burst.offset(i), burst.length(i), now);
            stagedEnds[i] = used;
        }
        stagedCount = n;
    }

    /** Keeps the first {@code taken} staged records and drops the rest. */
    synchronized void commit(int taken) {
        if (staged < 0) {
            return;
        }
        used = taken == 0 ? staged : stagedEnds[taken - 1];
        frames -= stagedCount - taken;
        staged = -1;
        if (used > bytes.length - RECORD_HEADER - snaplen || clock.nanos() - lastWrite >= flushInterval) {
            writeOut();
        }
    }

    private void append(MemorySegment memory, long offset, int length, long now) {
        int kept = Math.min(length, snaplen);
        if (used + RECORD_HEADER + kept > bytes.length) {
            writeOut();
        }
        long t = startEpochNanos + (now - startClock);
        long seconds = Math.floorDiv(t, 1_000_000_000L);
        long fraction = Math.floorMod(t, 1_000_000_000L);
        buffer.set(I32, used, (int) seconds);
        buffer.set(I32, used + 4, (int) (nanos ? fraction : fraction / 1000));
        buffer.set(I32, used + 8, kept);
        buffer.set(I32, used + 12, length);
        MemorySegment.copy(memory, offset, buffer, used + RECORD_HEADER, kept);
        used += RECORD_HEADER + kept;
        frames++;
    }

    /** Writes buffered records to the file. */
    public synchronized void flush() {
        open();
        if (staged < 0) {
            writeOut();
        }
    }

    private void writeOut() {
        try {
            view.clear().limit(used);
            while (view.hasRemaining()) {
                channel.write(view);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing pcap file " + path + " failed: " + e.getMessage(), e);
        }
        used = 0;
        lastWrite = clock.nanos();
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("pcap writer for " + path + " is closed");
        }
    }

    /** Writes what is buffered and closes the file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            staged = -1;
            writeOut();
        } finally {
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("closing pcap file " + path + " failed: " + e.getMessage(), e);
            }
        }
    }
}
