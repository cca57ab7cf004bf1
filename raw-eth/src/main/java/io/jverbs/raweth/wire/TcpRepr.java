package io.jverbs.raweth.wire;

import java.util.List;

/**
 * A parsed TCP header with the options a stack acts on: MSS, window scale, SACK-permitted, SACK
 * blocks and timestamps (RFC 9293, RFC 7323, RFC 2018). Other options are skipped on parse and
 * never emitted. The payload stays in the segment; {@link #emit} checksums the payload the view
 * holds, so write it first.
 *
 * <p>{@link #emit} lays options out as Linux does ({@code tcp_options_write}): MSS; SACK-permitted
 * and timestamps together, or NOP NOP timestamps, or NOP NOP SACK-permitted; NOP window scale; NOP
 * NOP SACK blocks. Every piece is 4-byte aligned, so no padding follows, and a segment from the
 * kernel re-emits byte for byte. {@link #parse} keeps as many SACK blocks as that layout fits in
 * 40 bytes (a fourth block, or a third beside timestamps and MSS, is dropped, as RFC 2018 3 allows
 * a receiver to).
 *
 * @param sourcePort 0..0xffff
 * @param destinationPort 0..0xffff
 * @param sequenceNumber sequence number (unsigned 32 bits in an int)
 * @param acknowledgmentNumber acknowledgment number, meaningful with {@link TcpPacket#ACK}
 * @param flags control bits, {@link TcpPacket#FIN} to {@link TcpPacket#AE}
 * @param window window field, unscaled, 0..0xffff
 * @param urgentPointer 0..0xffff
 * @param maxSegmentSize MSS option, 0..0xffff, or -1 for none
 * @param windowScale window scale shift count, 0..255 as sent, or -1 for none
 * @param sackPermitted SACK-permitted option
 * @param timestamps timestamps option, or {@code null} for none
 * @param sackBlocks SACK blocks, at most 4, empty for none
 * @param payloadLength bytes of data after the header
 */
public record TcpRepr(int sourcePort, int destinationPort, int sequenceNumber, int acknowledgmentNumber, int flags,
                      int window, int urgentPointer, int maxSegmentSize, int windowScale, boolean sackPermitted,
                      Timestamps timestamps, List<SackBlock> sackBlocks, int payloadLength) {
    /** Room for options: data offset 15 less the fixed header. */
    private static final int MAX_OPTIONS = TcpPacket.MAX_HEADER_LENGTH - TcpPacket.MIN_HEADER_LENGTH;

    /**
     * The timestamps option (RFC 7323 3).
     *
     * @param value TSval
     * @param echoReply TSecr
     */
    public record Timestamps(int value, int echoReply) {}

    /**
     * One SACK block (RFC 2018 3): the data from {@code left} up to, not including, {@code right}.
     *
     * @param left left edge, the first sequence number of the block
     * @param right right edge, the sequence number after the block
     */
    public record SackBlock(int left, int right) {}

    /** @throws IllegalArgumentException if a field is out of its range or the options exceed 40 bytes */
    public TcpRepr {
        if ((sourcePort & ~0xffff) != 0 || (destinationPort & ~0xffff) != 0 || (flags & ~0x1ff) != 0
                || (window & ~0xffff) != 0 || (urgentPointer & ~0xffff) != 0 || maxSegmentSize < -1
                || maxSegmentSize > 0xffff || windowScale < -1 || windowScale > 0xff || payloadLength < 0) {
            throw new IllegalArgumentException("TCP field out of range: ports " + sourcePort + ", " + destinationPort
                    + ", flags 0x" + Integer.toHexString(flags) + ", window " + window + ", urgent " + urgentPointer
                    + ", mss " + maxSegmentSize + ", wscale " + windowScale + ", payload " + payloadLength);
        }
        sackBlocks = List.copyOf(sackBlocks);
        if (sackBlocks.size() > 4) {
            throw new IllegalArgumentException("at most 4 SACK blocks fit in a TCP header: " + sackBlocks.size());
        }
        int options = optionsLength(maxSegmentSize, windowScale, sackPermitted, timestamps != null, sackBlocks.size());
        if (options > MAX_OPTIONS) {
            throw new IllegalArgumentException("TCP options of " + options + " bytes exceed 40: " + maxSegmentSize
                    + ", " + windowScale + ", " + sackPermitted + ", " + timestamps + ", " + sackBlocks);
        }
    }

    /** A segment without options. */
    public TcpRepr(int sourcePort, int destinationPort, int sequenceNumber, int acknowledgmentNumber, int flags,
                   int window, int payloadLength) {
        this(sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, flags, window, 0, -1, -1, false, null,
                List.of(), payloadLength);
    }

    /**
     * The header of a segment whose last {@code wrap} returned {@link WireStatus#OK}; the payload
     * is the rest of the wrapped bytes. The checksum is not checked here: see
     * {@link TcpPacket#checksumValid(int, int)}.
     *
     * @throws MalformedPacketException if the wrap returned anything else
     */
    public static TcpRepr parse(TcpPacket tcp) {
        tcp.requireOk();
        int mss = tcp.maxSegmentSize();
        int ws = tcp.windowScale();
        boolean sackOk = tcp.sackPermitted();
        Timestamps ts = tcp.hasTimestamps() ? new Timestamps(tcp.timestampValue(), tcp.timestampEchoReply()) : null;
        int blocks = tcp.sackBlockCount();
        while (blocks > 0 && optionsLength(mss, ws, sackOk, ts != null, blocks) > MAX_OPTIONS) {
            blocks--;
        }
        List<SackBlock> sacks = List.of();
        if (blocks > 0) {
            SackBlock[] b = new SackBlock[blocks];
            for (int i = 0; i < blocks; i++) {
                b[i] = new SackBlock(tcp.sackLeft(i), tcp.sackRight(i));
            }
            sacks = List.of(b);
        }
        return new TcpRepr(tcp.sourcePort(), tcp.destinationPort(), tcp.sequenceNumber(), tcp.acknowledgmentNumber(),
                tcp.flags(), tcp.window(), tcp.urgentPointer(), mss, ws, sackOk, ts, sacks, tcp.payloadLength());
    }

    /**
     * Writes the header and options, then the checksum over the pseudo-header of
     * {@code sourceAddress} and {@code destinationAddress}, the header and the payload in the view.
     *
     * @throws IllegalArgumentException if the view is not exactly {@link #bufferLength()} long (the
     *         checksum covers the whole wrapped segment)
     */
    public void emit(TcpPacket tcp, int sourceAddress, int destinationAddress) {
        if (tcp.length() != bufferLength()) {
            throw new IllegalArgumentException("TCP segment of " + bufferLength() + " bytes emitted into a view of "
                    + tcp.length() + ": wrap exactly the segment");
        }
        int hl = headerLength();
        tcp.setSourcePort(sourcePort).setDestinationPort(destinationPort).setSequenceNumber(sequenceNumber)
                .setAcknowledgmentNumber(acknowledgmentNumber).setHeaderLengthAndFlags(hl, flags).setWindow(window)
                .setUrgentPointer(urgentPointer);
        int p = TcpPacket.MIN_HEADER_LENGTH;
        if (maxSegmentSize >= 0) {
            tcp.setI32(p, TcpPacket.OPTION_MSS << 24 | 4 << 16 | maxSegmentSize);
            p += 4;
        }
        if (timestamps != null) {
            tcp.setI32(p, sackPermitted
                    ? TcpPacket.OPTION_SACK_PERMITTED << 24 | 2 << 16 | TcpPacket.OPTION_TIMESTAMPS << 8 | 10
                    : nopNop(TcpPacket.OPTION_TIMESTAMPS, 10));
            tcp.setI32(p + 4, timestamps.value());
            tcp.setI32(p + 8, timestamps.echoReply());
            p += 12;
        } else if (sackPermitted) {
            tcp.setI32(p, nopNop(TcpPacket.OPTION_SACK_PERMITTED, 2));
            p += 4;
        }
        if (windowScale >= 0) {
            tcp.setI32(p, HeaderView.OPTION_NOP << 24 | TcpPacket.OPTION_WINDOW_SCALE << 16 | 3 << 8 | windowScale);
            p += 4;
        }
        if (!sackBlocks.isEmpty()) {
            tcp.setI32(p, nopNop(TcpPacket.OPTION_SACK, 2 + 8 * sackBlocks.size()));
            p += 4;
            for (SackBlock b : sackBlocks) {
                tcp.setI32(p, b.left());
                tcp.setI32(p + 4, b.right());
                p += 8;
            }
        }
        tcp.fillChecksum(sourceAddress, destinationAddress);
    }

    private static int nopNop(int kind, int length) {
        return HeaderView.OPTION_NOP << 24 | HeaderView.OPTION_NOP << 16 | kind << 8 | length;
    }

    private static int optionsLength(int mss, int ws, boolean sackOk, boolean ts, int sackBlocks) {
        return (mss >= 0 ? 4 : 0) + (ts ? 12 : sackOk ? 4 : 0) + (ws >= 0 ? 4 : 0)
                + (sackBlocks > 0 ? 4 + 8 * sackBlocks : 0);
    }

    /** 20 + the options in Linux's layout. */
    public int headerLength() {
        return TcpPacket.MIN_HEADER_LENGTH
                + optionsLength(maxSegmentSize, windowScale, sackPermitted, timestamps != null, sackBlocks.size());
    }

    /** Header + payload: the bytes {@link #emit} writes and checksums. */
    public int bufferLength() {
        return headerLength() + payloadLength;
    }
}
