package io.jverbs.raweth.wire;

/**
 * A TCP header (RFC 9293 3.1) with its options. {@link #wrap} checks the data offset against the
 * wrapped bytes and the options' framing (an option length below 2 or past the header is
 * {@link WireStatus#TCP_BAD_OPTION}: RFC 9293 3.1 asks a TCP to be "prepared to handle an illegal
 * option length"); a known option with the wrong length is skipped, as Linux does. Wrap it at the
 * IPv4 payload with the IPv4 payload length: TCP has no length field of its own.
 *
 * <p>The option accessors scan the options on each call (at most 40 bytes) and allocate nothing.
 */
public final class TcpPacket extends HeaderView<TcpPacket> {
    /** The header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Data offset 15. */
    public static final int MAX_HEADER_LENGTH = 60;

    /** Control bits, as {@link #flags()} returns them. */
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;
    /** The bit left of CWR: RFC 3540's NS (historic), Accurate ECN's AE. */
    public static final int AE = 0x100;

    /** Option kinds (IANA "TCP Option Kind Numbers"). */
    public static final int OPTION_MSS = 2;
    public static final int OPTION_WINDOW_SCALE = 3;
    public static final int OPTION_SACK_PERMITTED = 4;
    public static final int OPTION_SACK = 5;
    public static final int OPTION_TIMESTAMPS = 8;

    private static final int SOURCE_PORT = 0;
    private static final int DESTINATION_PORT = 2;
    private static final int SEQUENCE = 4;
    private static final int ACKNOWLEDGMENT = 8;
    private static final int OFFSET_FLAGS = 12;
    private static final int WINDOW = 14;
    private static final int CHECKSUM = 16;
    private static final int URGENT = 18;

    private static final int FLAGS_MASK = 0x1ff;

    @Override
    protected WireStatus check() {
        if (length() < MIN_HEADER_LENGTH) {
            return WireStatus.TCP_TRUNCATED;
        }
        int hl = headerLength();
        if (hl < MIN_HEADER_LENGTH) {
            return WireStatus.TCP_BAD_HEADER_LENGTH;
        }
        if (length() < hl) {
            return WireStatus.TCP_TRUNCATED;
        }
        return optionsWellFramed(MIN_HEADER_LENGTH, hl) ? WireStatus.OK : WireStatus.TCP_BAD_OPTION;
    }

    public TcpPacket() {
        super(MIN_HEADER_LENGTH);
    }

    /** Data offset × 4: 20 to 60 bytes. */
    @Override
    public int headerLength() {
        return (u8(OFFSET_FLAGS) >>> 4) << 2;
    }

    public int sourcePort() {
        return u16(SOURCE_PORT);
    }

    public int destinationPort() {
        return u16(DESTINATION_PORT);
    }

    /** The sequence number; compare with {@code Integer.compareUnsigned} or modular arithmetic. */
    public int sequenceNumber() {
        return i32(SEQUENCE);
    }

    public int acknowledgmentNumber() {
        return i32(ACKNOWLEDGMENT);
    }

    /** {@link #FIN} to {@link #CWR} and {@link #AE}; the three reserved bits are left out (RFC 9293: ignored on receipt). */
    public int flags() {
        return u16(OFFSET_FLAGS) & FLAGS_MASK;
    }

    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    public boolean syn() {
        return (flags() & SYN) != 0;
    }

    public boolean rst() {
        return (flags() & RST) != 0;
    }

    public boolean ack() {
        return (flags() & ACK) != 0;
    }

    /** The window field, unscaled. */
    public int window() {
        return u16(WINDOW);
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public int urgentPointer() {
        return u16(URGENT);
    }

    /** Where the options start in {@link #segment()}. */
    public long optionsOffset() {
        return offset() + MIN_HEADER_LENGTH;
    }

    /** Header length − 20, padding included. */
    public int optionsLength() {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** The MSS option's value, or -1 without one. */
    public int maxSegmentSize() {
        int at = findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_MSS, 4);
        return at < 0 ? -1 : u16(at + 2);
    }

    /** The window scale option's shift count as sent (RFC 7323 2.3: a receiver uses at most 14), or -1. */
    public int windowScale() {
        int at = findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_WINDOW_SCALE, 3);
        return at < 0 ? -1 : u8(at + 2);
    }

    /** Whether the SACK-permitted option (RFC 2018) is present. */
    public boolean sackPermitted() {
        return findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_SACK_PERMITTED, 2) >= 0;
    }

    /** Whether the timestamps option (RFC 7323 3) is present. */
    public boolean hasTimestamps() {
        return findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_TIMESTAMPS, 10) >= 0;
    }

    /** TSval, or 0 without the option ({@link #hasTimestamps()} tells). */
    public int timestampValue() {
        int at = findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_TIMESTAMPS, 10);
        return at < 0 ? 0 : i32(at + 2);
    }

    /** TSecr, or 0 without the option. */
    public int timestampEchoReply() {
        int at = findOption(MIN_HEADER_LENGTH, headerLength(), OPTION_TIMESTAMPS, 10);
        return at < 0 ? 0 : i32(at + 6);
    }

    /** The number of blocks in the last well-sized SACK option (RFC 2018 3: 8n + 2 bytes), 0 to 4. */
    public int sackBlockCount() {
        int at = sackOption();
        return at < 0 ? 0 : (u8(at + 1) - 2) >>> 3;
    }

    /** The left edge of SACK block {@code i}, {@code 0 <= i < sackBlockCount()}. */
    public int sackLeft(int i) {
        return i32(sackBlock(i));
    }

    /** The right edge (one past the last sequence number) of SACK block {@code i}. */
    public int sackRight(int i) {
        return i32(sackBlock(i) + 4);
    }

    private int sackBlock(int i) {
        if (i < 0 || i >= sackBlockCount()) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackBlockCount());
        }
        return sackOption() + 2 + 8 * i;
    }

    /** The last SACK option whose length is 8n + 2 with n in 1..4, or -1. */
    private int sackOption() {
        int to = headerLength();
        int found = -1;
        for (int p = MIN_HEADER_LENGTH; p < to; p += optionLength(p, to)) {
            if (u8(p) == OPTION_SACK) {
                int len = u8(p + 1);
                if (len >= 10 && (len - 2) % 8 == 0) {
                    found = p;
                }
            }
        }
        return found;
    }

    /** Whether the checksum verifies over the pseudo-header, header and the wrapped payload. */
    public boolean checksumValid(int sourceAddress, int destinationAddress) {
        int len = length();
        return Checksum.add(Checksum.pseudoHeader(sourceAddress, destinationAddress, IpProtocol.TCP, len), sum(0, len))
                == 0xffff;
    }

    /** Computes and writes the checksum over the pseudo-header and the whole wrapped segment. */
    public TcpPacket fillChecksum(int sourceAddress, int destinationAddress) {
        setU16(CHECKSUM, 0);
        int len = length();
        setU16(CHECKSUM, Checksum.finish(Checksum.add(
                Checksum.pseudoHeader(sourceAddress, destinationAddress, IpProtocol.TCP, len), sum(0, len))));
        return this;
    }

    public TcpPacket setSourcePort(int port) {
        setU16(SOURCE_PORT, port);
        return this;
    }

    public TcpPacket setDestinationPort(int port) {
        setU16(DESTINATION_PORT, port);
        return this;
    }

    public TcpPacket setSequenceNumber(int seq) {
        setI32(SEQUENCE, seq);
        return this;
    }

    public TcpPacket setAcknowledgmentNumber(int ack) {
        setI32(ACKNOWLEDGMENT, ack);
        return this;
    }

    /**
     * Writes the data offset and the control bits, the reserved bits zero (RFC 9293: "must be zero
     * in generated segments").
     */
    public TcpPacket setHeaderLengthAndFlags(int headerLength, int flags) {
        if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH || (headerLength & 3) != 0) {
            throw new IllegalArgumentException("TCP header length is a multiple of 4 in 20..60: " + headerLength);
        }
        setU16(OFFSET_FLAGS, (headerLength >>> 2) << 12 | (flags & FLAGS_MASK));
        return this;
    }

    public TcpPacket setWindow(int window) {
        setU16(WINDOW, window);
        return this;
    }

    public TcpPacket setChecksum(int checksum) {
        setU16(CHECKSUM, checksum);
        return this;
    }

    public TcpPacket setUrgentPointer(int urgent) {
        setU16(URGENT, urgent);
        return this;
    }
}
