package io.jverbs.raweth.socket;

import io.jverbs.raweth.wire.TcpPacket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.jverbs.raweth.socket.TcpSocket.lt;

/**
 * The options one connection negotiated in its SYNs, and the per-segment state they carry:
 * window scaling (RFC 7323 2), timestamps with TS.Recent, Last.ACK.sent and PAWS (RFC 7323 3 to
 * 5), SACK-permitted (RFC 2018). An option is used only when both SYNs carried it. Writes the
 * options of data and ACK segments in place (Linux's layout: NOP NOP TS, NOP NOP SACK blocks), so
 * nothing is allocated per segment.
 */
final class TcpOptions {
    /** RFC 7323 2.3: the largest shift. */
    static final int MAX_SHIFT = 14;
    /** RFC 7323 5.5: TS.Recent is no longer trusted after 24 days idle. */
    static final long PAWS_IDLE = 24L * 24 * 3600 * 1_000_000_000L;
    static final int TIMESTAMPS_LENGTH = 12;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int NOP_NOP_TS = 0x0101_0000 | TcpPacket.OPTION_TIMESTAMPS << 8 | 10;
    private static final int NOP_NOP_SACK = 0x0101_0000 | TcpPacket.OPTION_SACK << 8;

    /** The shift we would use for a receive buffer of {@code capacity}: the smallest that lets the window field cover it. */
    static int shiftFor(int capacity) {
        int shift = 0;
        while (shift < MAX_SHIFT && (capacity >>> shift) > 0xffff) {
            shift++;
        }
        return shift;
    }

    boolean windowScale;
    int sndShift;
    int rcvShift;
    boolean sack;
    boolean timestamps;
    private int tsOffset;
    private int tsRecent;
    private long tsRecentAt;
    private int lastAckSent;

    void reset() {
        windowScale = false;
        sndShift = 0;
        rcvShift = 0;
        sack = false;
        timestamps = false;
    }

    /**
     * Takes the options of the peer's SYN (or SYN-ACK, {@code weOffered} being those of our SYN):
     * each one is on when both offer it. {@code tsOffset} makes our TSval clock start at a
     * per-connection value.
     */
    void negotiate(TcpPacket syn, int weOffered, int ourShift, int tsOffset, long now) {
        int ws = syn.windowScale();
        windowScale = (weOffered & TcpConfig.WINDOW_SCALE) != 0 && ws >= 0;
        if (windowScale) {
            sndShift = Math.min(ws, MAX_SHIFT); // RFC 7323 2.3: a larger value is taken as 14
            rcvShift = ourShift;
        } else {
            sndShift = 0;
            rcvShift = 0;
        }
        sack = (weOffered & TcpConfig.SACK) != 0 && syn.sackPermitted();
        timestamps = (weOffered & TcpConfig.TIMESTAMPS) != 0 && syn.hasTimestamps();
        tsOffset(tsOffset);
        if (timestamps) {
            tsRecent = syn.timestampValue();
            tsRecentAt = now;
            lastAckSent = syn.sequenceNumber() + 1;
        }
    }

    /** Our TSval clock starts at this per-connection value (RFC 7323 5.4: no shared clock to learn uptime from). */
    void tsOffset(int offset) {
        tsOffset = offset;
    }

    /** Our TSval at {@code now}: milliseconds of the injected clock plus the connection's offset. */
    int tsVal(long now) {
        return (int) (now / 1_000_000L) + tsOffset;
    }

    int tsRecent() {
        return tsRecent;
    }

    /**
     * RFC 7323 5.3 R1 (PAWS): whether a segment with {@code tsVal} is older than TS.Recent, which
     * is trusted only if it was set within 24 days (5.5).
     */
    boolean pawsReject(int tsVal, long now) {
        return lt(tsVal, tsRecent) && now - tsRecentAt <= PAWS_IDLE;
    }

    /** RFC 7323 4.3 (2): TS.Recent = SEG.TSval when SEG.SEQ &lt;= Last.ACK.sent (and it passed PAWS). */
    void received(int seq, int tsVal, long now) {
        if (TcpSocket.le(seq, lastAckSent) && (TcpSocket.le(tsRecent, tsVal) || now - tsRecentAt > PAWS_IDLE)) {
            tsRecent = tsVal;
            tsRecentAt = now;
        }
    }

    /**
     * RFC 7323 4.1 (RTTM): the RTT an ACK's TSecr measures, nanoseconds (millisecond steps), or -1
     * if it echoes nothing usable.
     */
    long rtt(int tsEcr, long now) {
        if (tsEcr == 0) {
            return -1; // nothing echoed (as Linux reads a zero TSecr)
        }
        int ms = tsVal(now) - tsEcr;
        return ms < 0 ? -1 : ms * 1_000_000L; // an echo from the future is no sample
    }

    /** Bytes of options on a non-SYN segment carrying {@code sackBlocks} SACK blocks. */
    int length(int sackBlocks) {
        return (timestamps ? TIMESTAMPS_LENGTH : 0) + (sackBlocks > 0 ? 4 + 8 * sackBlocks : 0);
    }

    /** How many SACK blocks fit beside the other options: 3 with timestamps, else 4 (RFC 2018 3). */
    int maxSackBlocks() {
        return sack ? (timestamps ? 3 : 4) : 0;
    }

    /**
     * Writes the options of a non-SYN segment at {@code at} ({@link #length} bytes): timestamps,
     * then {@code n} SACK blocks from {@code blocks}; records Last.ACK.sent = {@code ack}.
     */
    void write(MemorySegment m, long at, int ack, long now, int[] blocks, int n) {
        if (timestamps) {
            m.set(INT, at, NOP_NOP_TS);
            m.set(INT, at + 4, tsVal(now));
            m.set(INT, at + 8, tsRecent);
            at += TIMESTAMPS_LENGTH;
        }
        if (n > 0) {
            m.set(INT, at, NOP_NOP_SACK | (2 + 8 * n));
            for (int i = 0; i < n; i++) {
                m.set(INT, at + 4 + 8 * i, blocks[2 * i]);
                m.set(INT, at + 8 + 8 * i, blocks[2 * i + 1]);
            }
        }
        lastAckSent = ack;
    }
}
