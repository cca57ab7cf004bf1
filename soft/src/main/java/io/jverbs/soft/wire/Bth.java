package io.jverbs.soft.wire;

/**
 * The base transport header (IBTA 9.2), 12 bytes at the start of every RoCEv2 UDP payload:
 * opcode, solicited event, MigReq, PadCnt, transport version, P_Key, the reserved byte that RoCEv2
 * uses for FECN/BECN (and the ICRC masks), destination QP, AckReq and PSN.
 */
public final class Bth extends TransportHeader<Bth> {
    public static final int LENGTH = 12;
    /** The only transport header version (IBTA 9.2.1.1 "TVer"). */
    public static final int TRANSPORT_VERSION = 0;
    /** The default partition key, full membership, which rxe uses. */
    public static final int DEFAULT_PKEY = 0xffff;

    private static final int OPCODE = 0;
    private static final int FLAGS = 1;         // SE(7) M(6) PadCnt(5:4) TVer(3:0)
    private static final int PKEY = 2;
    /** resv8a: RoCEv2 puts FECN (bit 7) and BECN (bit 6) here; masked in the ICRC. */
    static final int RESV8A = 4;
    private static final int DEST_QP = 5;
    private static final int ACK_REQ = 8;       // A(7) resv7
    private static final int PSN = 9;

    private static final int SOLICITED = 0x80;
    private static final int MIG_REQ = 0x40;
    private static final int FECN = 0x80;
    private static final int BECN = 0x40;

    public Bth() {
        super(LENGTH);
    }

    /** The opcode byte: transport in bits 7..5, operation in 4..0 ({@link Opcode#of}). */
    public int opcode() {
        return u8(OPCODE);
    }

    public boolean solicitedEvent() {
        return (u8(FLAGS) & SOLICITED) != 0;
    }

    public boolean migReq() {
        return (u8(FLAGS) & MIG_REQ) != 0;
    }

    /** Pad bytes (0..3) after the payload, so that payload + pad is a multiple of 4. */
    public int padCount() {
        return u8(FLAGS) >>> 4 & 3;
    }

    public int transportVersion() {
        return u8(FLAGS) & 0xf;
    }

    public int partitionKey() {
        return u16(PKEY);
    }

    /** The whole reserved byte 4 (resv8a). */
    public int resv8a() {
        return u8(RESV8A);
    }

    /** Forward explicit congestion notification (RoCEv2: bit 7 of byte 4). */
    public boolean fecn() {
        return (u8(RESV8A) & FECN) != 0;
    }

    /** Backward explicit congestion notification (RoCEv2: bit 6 of byte 4). */
    public boolean becn() {
        return (u8(RESV8A) & BECN) != 0;
    }

    /** Destination QP number, 24 bits. */
    public int destinationQp() {
        return u24(DEST_QP);
    }

    public boolean ackRequest() {
        return (u8(ACK_REQ) & 0x80) != 0;
    }

    /** The reserved 7 bits after AckReq (byte 8), zero on the wire. */
    public int resv7() {
        return u8(ACK_REQ) & 0x7f;
    }

    /** Packet sequence number, 24 bits. */
    public int psn() {
        return u24(PSN);
    }

    public Bth setOpcode(int opcode) {
        setU8(OPCODE, opcode);
        return this;
    }

    /** Writes byte 1 whole: SE, MigReq, PadCnt (0..3) and TVer (0..15). */
    public Bth setFlags(boolean solicitedEvent, boolean migReq, int padCount, int transportVersion) {
        if ((padCount & ~3) != 0 || (transportVersion & ~0xf) != 0) {
            throw new IllegalArgumentException("PadCnt is 0..3 and TVer 0..15: " + padCount + ", " + transportVersion);
        }
        setU8(FLAGS, (solicitedEvent ? SOLICITED : 0) | (migReq ? MIG_REQ : 0) | padCount << 4 | transportVersion);
        return this;
    }

    /** Writes PadCnt only (0..3), leaving SE, MigReq and TVer. */
    public Bth setPadCount(int padCount) {
        if ((padCount & ~3) != 0) {
            throw new IllegalArgumentException("PadCnt is 0..3: " + padCount);
        }
        setU8(FLAGS, u8(FLAGS) & ~0x30 | padCount << 4);
        return this;
    }

    public Bth setPartitionKey(int pkey) {
        setU16(PKEY, pkey);
        return this;
    }

    public Bth setResv8a(int value) {
        setU8(RESV8A, value);
        return this;
    }

    public Bth setDestinationQp(int qpn) {
        setU24(DEST_QP, check24("destination QP", qpn));
        return this;
    }

    /** Writes byte 8 whole: AckReq and the reserved 7 bits (zero on send). */
    public Bth setAckRequest(boolean ackRequest, int resv7) {
        setU8(ACK_REQ, (ackRequest ? 0x80 : 0) | resv7 & 0x7f);
        return this;
    }

    public Bth setAckRequest(boolean ackRequest) {
        return setAckRequest(ackRequest, 0);
    }

    public Bth setPsn(int psn) {
        setU24(PSN, check24("PSN", psn));
        return this;
    }
}
