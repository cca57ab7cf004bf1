package io.jverbs.soft.wire;

/**
 * The ACK extended transport header (IBTA 9.3.7): an 8-bit syndrome and the 24-bit MSN, on
 * ACKNOWLEDGE, ATOMIC_ACKNOWLEDGE and READ RESPONSE FIRST/LAST/ONLY.
 *
 * <p>The syndrome (IBTA table 44): bits 7..5 say what it is, bits 4..0 carry its value:
 * {@code 000} ACK with a credit count (rxe sends 31, "invalid": no end-to-end flow control),
 * {@code 001} RNR NAK with the 5-bit timer the requester waits before retrying,
 * {@code 011} NAK with its {@link NakCode code}; {@code 010} is reserved.
 */
public final class Aeth extends TransportHeader<Aeth> {
    public static final int LENGTH = 4;

    /** Syndrome bits 7..5: ACK. */
    public static final int TYPE_ACK = 0;
    /** Syndrome bits 7..5: RNR NAK. */
    public static final int TYPE_RNR_NAK = 1;
    /** Syndrome bits 7..5: reserved. */
    public static final int TYPE_RESERVED = 2;
    /** Syndrome bits 7..5: NAK. */
    public static final int TYPE_NAK = 3;

    /** The credit count that means "no flow control": rxe's ACK syndrome is 0x1F. */
    public static final int CREDITS_INVALID = 31;

    /** The NAK codes of syndrome {@code 011xxxxx} (IBTA 9.7.5.2.8). */
    public enum NakCode {
        /** The packet's PSN is not the expected one: the requester goes back to the AETH's PSN. */
        PSN_SEQUENCE_ERROR(0),
        /** Unsupported or reserved opcode, bad length, opcode out of sequence, or too many reads. */
        INVALID_REQUEST(1),
        /** R_Key, bounds or access rights violation. */
        REMOTE_ACCESS_ERROR(2),
        /** The responder could not complete the request (a local error of its own). */
        REMOTE_OPERATIONAL_ERROR(3),
        /** Invalid RD request (reliable datagram only). */
        INVALID_RD_REQUEST(4);

        private static final NakCode[] BY_CODE = values();
        private final int code;

        NakCode(int code) {
            this.code = code;
        }

        /** The 5-bit value in the syndrome. */
        public int code() {
            return code;
        }

        /** The constant for a 5-bit code, or {@code null} for the reserved codes 5..31. */
        public static NakCode of(int code) {
            return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        }
    }

    /** IBTA table 45 (and ibv_modify_qp(3)'s min_rnr_timer): the RNR NAK timer's 32 values in nanoseconds; 0 is the longest. */
    private static final long[] RNR_TIMER_NANOS = {
        655_360_000, 10_000, 20_000, 30_000, 40_000, 60_000, 80_000, 120_000,
        160_000, 240_000, 320_000, 480_000, 640_000, 960_000, 1_280_000, 1_920_000,
        2_560_000, 3_840_000, 5_120_000, 7_680_000, 10_240_000, 15_360_000, 20_480_000, 30_720_000,
        40_960_000, 61_440_000, 81_920_000, 122_880_000, 163_840_000, 245_760_000, 327_680_000, 491_520_000,
    };

    private static final int SYNDROME = 0;
    private static final int MSN = 1;

    public Aeth() {
        super(LENGTH);
    }

    /** The syndrome byte. */
    public int syndrome() {
        return u8(SYNDROME);
    }

    /** Bits 7..5 of the syndrome: {@link #TYPE_ACK}, {@link #TYPE_RNR_NAK}, {@link #TYPE_NAK} or {@link #TYPE_RESERVED}. */
    public int type() {
        return u8(SYNDROME) >>> 5;
    }

    /** Bits 4..0 of the syndrome: the credit count, the RNR timer or the NAK code. */
    public int value() {
        return u8(SYNDROME) & 0x1f;
    }

    public boolean isAck() {
        return type() == TYPE_ACK;
    }

    public boolean isRnrNak() {
        return type() == TYPE_RNR_NAK;
    }

    public boolean isNak() {
        return type() == TYPE_NAK;
    }

    /** The credit count of an ACK (0..31, 31: {@link #CREDITS_INVALID}); -1 if this is not an ACK. */
    public int credits() {
        return isAck() ? value() : -1;
    }

    /** The 5-bit timer of an RNR NAK; -1 if this is not one. */
    public int rnrTimer() {
        return isRnrNak() ? value() : -1;
    }

    /** The NAK's code, or {@code null} if this is not a NAK or its code is reserved. */
    public NakCode nakCode() {
        return isNak() ? NakCode.of(value()) : null;
    }

    /** Message sequence number, 24 bits: messages the responder has completed. */
    public int msn() {
        return u24(MSN);
    }

    public Aeth setSyndrome(int syndrome) {
        setU8(SYNDROME, syndrome);
        return this;
    }

    public Aeth setMsn(int msn) {
        setU24(MSN, check24("MSN", msn));
        return this;
    }

    /** An ACK with {@code credits} (0..31). */
    public Aeth setAck(int credits, int msn) {
        return setSyndrome(syndrome(TYPE_ACK, credits)).setMsn(msn);
    }

    /** An RNR NAK with its 5-bit timer. */
    public Aeth setRnrNak(int timer, int msn) {
        return setSyndrome(syndrome(TYPE_RNR_NAK, timer)).setMsn(msn);
    }

    public Aeth setNak(NakCode code, int msn) {
        return setSyndrome(syndrome(TYPE_NAK, code.code())).setMsn(msn);
    }

    private static int syndrome(int type, int value) {
        if ((value & ~0x1f) != 0) {
            throw new IllegalArgumentException("an AETH syndrome value is 5 bits: " + value);
        }
        return type << 5 | value;
    }

    /** The wait an RNR NAK timer value (0..31) asks for, in nanoseconds. */
    public static long rnrTimerNanos(int timer) {
        if ((timer & ~0x1f) != 0) {
            throw new IllegalArgumentException("the RNR timer is 5 bits: " + timer);
        }
        return RNR_TIMER_NANOS[timer];
    }
}
