package io.jverbs.soft.wire;

/**
 * The BTH opcodes of RC, UC and UD (IBTA 9.2.1.1 table 36; FLUSH and ATOMIC WRITE from the 1.5
 * annexes), each with the extension headers it carries, in wire order, whether it carries a
 * payload, its place in a message and who sends it. The set is what Linux's rdma_rxe sends and
 * accepts ({@code drivers/infiniband/sw/rxe/rxe_opcode.c}); RD and XRC are left out (rxe supports
 * neither QP type).
 *
 * <p>Headers follow the BTH in this order: DETH, FETH, RETH or AtomicETH, AETH, AtomicAckETH,
 * ImmDt or IETH; then the payload, the pad and the ICRC. {@link #of} looks an opcode byte up
 * without allocating.
 */
public enum Opcode {
    RC_SEND_FIRST(0x00, Position.FIRST, Kind.REQUEST, Headers.PAYLOAD),
    RC_SEND_MIDDLE(0x01, Position.MIDDLE, Kind.REQUEST, Headers.PAYLOAD),
    RC_SEND_LAST(0x02, Position.LAST, Kind.REQUEST, Headers.PAYLOAD),
    RC_SEND_LAST_WITH_IMMEDIATE(0x03, Position.LAST, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    RC_SEND_ONLY(0x04, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD),
    RC_SEND_ONLY_WITH_IMMEDIATE(0x05, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    RC_RDMA_WRITE_FIRST(0x06, Position.FIRST, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH),
    RC_RDMA_WRITE_MIDDLE(0x07, Position.MIDDLE, Kind.REQUEST, Headers.PAYLOAD),
    RC_RDMA_WRITE_LAST(0x08, Position.LAST, Kind.REQUEST, Headers.PAYLOAD),
    RC_RDMA_WRITE_LAST_WITH_IMMEDIATE(0x09, Position.LAST, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    RC_RDMA_WRITE_ONLY(0x0a, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH),
    RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE(0x0b, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH | Headers.IMM),
    RC_RDMA_READ_REQUEST(0x0c, Position.ONLY, Kind.REQUEST, Headers.RETH),
    RC_RDMA_READ_RESPONSE_FIRST(0x0d, Position.FIRST, Kind.READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_RDMA_READ_RESPONSE_MIDDLE(0x0e, Position.MIDDLE, Kind.READ_RESPONSE, Headers.PAYLOAD),
    RC_RDMA_READ_RESPONSE_LAST(0x0f, Position.LAST, Kind.READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_RDMA_READ_RESPONSE_ONLY(0x10, Position.ONLY, Kind.READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_ACKNOWLEDGE(0x11, Position.ONLY, Kind.ACK, Headers.AETH),
    RC_ATOMIC_ACKNOWLEDGE(0x12, Position.ONLY, Kind.ACK, Headers.AETH | Headers.ATOMIC_ACK_ETH),
    RC_COMPARE_SWAP(0x13, Position.ONLY, Kind.REQUEST, Headers.ATOMIC_ETH),
    RC_FETCH_ADD(0x14, Position.ONLY, Kind.REQUEST, Headers.ATOMIC_ETH),
    RC_SEND_LAST_WITH_INVALIDATE(0x16, Position.LAST, Kind.REQUEST, Headers.PAYLOAD | Headers.IETH),
    RC_SEND_ONLY_WITH_INVALIDATE(0x17, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.IETH),
    /** Persistent memory flush (IBTA 1.5 annex A19; rxe since Linux 6.2). */
    RC_FLUSH(0x1c, Position.ONLY, Kind.REQUEST, Headers.FETH | Headers.RETH),
    /** An 8-byte atomic write (IBTA 1.5 annex A19; rxe since Linux 6.2): the payload is exactly 8 bytes. */
    RC_ATOMIC_WRITE(0x1d, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH),

    UC_SEND_FIRST(0x20, Position.FIRST, Kind.REQUEST, Headers.PAYLOAD),
    UC_SEND_MIDDLE(0x21, Position.MIDDLE, Kind.REQUEST, Headers.PAYLOAD),
    UC_SEND_LAST(0x22, Position.LAST, Kind.REQUEST, Headers.PAYLOAD),
    UC_SEND_LAST_WITH_IMMEDIATE(0x23, Position.LAST, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    UC_SEND_ONLY(0x24, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD),
    UC_SEND_ONLY_WITH_IMMEDIATE(0x25, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    UC_RDMA_WRITE_FIRST(0x26, Position.FIRST, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH),
    UC_RDMA_WRITE_MIDDLE(0x27, Position.MIDDLE, Kind.REQUEST, Headers.PAYLOAD),
    UC_RDMA_WRITE_LAST(0x28, Position.LAST, Kind.REQUEST, Headers.PAYLOAD),
    UC_RDMA_WRITE_LAST_WITH_IMMEDIATE(0x29, Position.LAST, Kind.REQUEST, Headers.PAYLOAD | Headers.IMM),
    UC_RDMA_WRITE_ONLY(0x2a, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH),
    UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE(0x2b, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.RETH | Headers.IMM),

    UD_SEND_ONLY(0x64, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.DETH),
    UD_SEND_ONLY_WITH_IMMEDIATE(0x65, Position.ONLY, Kind.REQUEST, Headers.PAYLOAD | Headers.DETH | Headers.IMM);

    /** Where a packet stands in its message. */
    public enum Position {
        FIRST, MIDDLE, LAST, ONLY
    }

    /** Who sends it: the requester, or the responder (read response data, or an acknowledgement). */
    public enum Kind {
        REQUEST, READ_RESPONSE, ACK
    }

    /** The transport, bits 7..5 of the opcode. */
    public enum Transport {
        RC(0), UC(1), UD(3);

        private final int bits;

        Transport(int bits) {
            this.bits = bits;
        }

        /** Bits 7..5 of the opcode byte. */
        public int bits() {
            return bits;
        }
    }

    /** Header flags, package-private: the public face is the has* methods. */
    static final class Headers {
        static final int RETH = 1;
        static final int AETH = 1 << 1;
        static final int ATOMIC_ETH = 1 << 2;
        static final int ATOMIC_ACK_ETH = 1 << 3;
        static final int DETH = 1 << 4;
        static final int IMM = 1 << 5;
        static final int IETH = 1 << 6;
        static final int FETH = 1 << 7;
        static final int PAYLOAD = 1 << 8;

        private Headers() {
        }
    }

    /** The payload of {@link #RC_ATOMIC_WRITE}. */
    public static final int ATOMIC_WRITE_LENGTH = 8;

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode o : values()) {
            BY_CODE[o.code] = o;
        }
    }

    private final int code;
    private final Position position;
    private final Kind kind;
    private final int flags;
    private final byte dethOffset;
    private final byte fethOffset;
    private final byte rethOffset;
    private final byte atomicEthOffset;
    private final byte aethOffset;
    private final byte atomicAckEthOffset;
    private final byte immOffset;
    private final byte iethOffset;
    private final byte headerLength;

    Opcode(int code, Position position, Kind kind, int flags) {
        this.code = code;
        this.position = position;
        this.kind = kind;
        this.flags = flags;
        // Offsets from the start of the BTH, -1 where the header is absent; the order is IBTA's.
        int at = Bth.LENGTH;
        dethOffset = (byte) ((flags & Headers.DETH) != 0 ? at : -1);
        at += (flags & Headers.DETH) != 0 ? Deth.LENGTH : 0;
        fethOffset = (byte) ((flags & Headers.FETH) != 0 ? at : -1);
        at += (flags & Headers.FETH) != 0 ? Feth.LENGTH : 0;
        rethOffset = (byte) ((flags & Headers.RETH) != 0 ? at : -1);
        at += (flags & Headers.RETH) != 0 ? Reth.LENGTH : 0;
        atomicEthOffset = (byte) ((flags & Headers.ATOMIC_ETH) != 0 ? at : -1);
        at += (flags & Headers.ATOMIC_ETH) != 0 ? AtomicEth.LENGTH : 0;
        aethOffset = (byte) ((flags & Headers.AETH) != 0 ? at : -1);
        at += (flags & Headers.AETH) != 0 ? Aeth.LENGTH : 0;
        atomicAckEthOffset = (byte) ((flags & Headers.ATOMIC_ACK_ETH) != 0 ? at : -1);
        at += (flags & Headers.ATOMIC_ACK_ETH) != 0 ? AtomicAckEth.LENGTH : 0;
        immOffset = (byte) ((flags & Headers.IMM) != 0 ? at : -1);
        at += (flags & Headers.IMM) != 0 ? ImmDt.LENGTH : 0;
        iethOffset = (byte) ((flags & Headers.IETH) != 0 ? at : -1);
        at += (flags & Headers.IETH) != 0 ? Ieth.LENGTH : 0;
        headerLength = (byte) at;
    }

    /** The opcode with this byte value, or {@code null} for one that RC, UC and UD do not define. */
    public static Opcode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** The BTH opcode byte. */
    public int code() {
        return code;
    }

    public Transport transport() {
        return switch (code >>> 5) {
            case 0 -> Transport.RC;
            case 1 -> Transport.UC;
            default -> Transport.UD;
        };
    }

    public Position position() {
        return position;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the requester sends it (SEND, WRITE, READ request, atomics, FLUSH). */
    public boolean isRequest() {
        return kind == Kind.REQUEST;
    }

    /** Whether the responder sends it: read response data or an acknowledgement. */
    public boolean isResponse() {
        return kind != Kind.REQUEST;
    }

    /** ACKNOWLEDGE or ATOMIC ACKNOWLEDGE. */
    public boolean isAck() {
        return kind == Kind.ACK;
    }

    /** FIRST or ONLY: the packet starts a message. */
    public boolean startsMessage() {
        return position == Position.FIRST || position == Position.ONLY;
    }

    /** LAST or ONLY: the packet ends a message, so only it may carry a pad. */
    public boolean endsMessage() {
        return position == Position.LAST || position == Position.ONLY;
    }

    public boolean hasPayload() {
        return (flags & Headers.PAYLOAD) != 0;
    }

    public boolean hasReth() {
        return rethOffset >= 0;
    }

    public boolean hasAeth() {
        return aethOffset >= 0;
    }

    public boolean hasAtomicEth() {
        return atomicEthOffset >= 0;
    }

    public boolean hasAtomicAckEth() {
        return atomicAckEthOffset >= 0;
    }

    public boolean hasDeth() {
        return dethOffset >= 0;
    }

    public boolean hasImmediate() {
        return immOffset >= 0;
    }

    public boolean hasIeth() {
        return iethOffset >= 0;
    }

    public boolean hasFeth() {
        return fethOffset >= 0;
    }

    /** BTH and extension headers: where the payload starts, from the BTH. */
    public int headerLength() {
        return headerLength;
    }

    int rethOffset() {
        return rethOffset;
    }

    int aethOffset() {
        return aethOffset;
    }

    int atomicEthOffset() {
        return atomicEthOffset;
    }

    int atomicAckEthOffset() {
        return atomicAckEthOffset;
    }

    int dethOffset() {
        return dethOffset;
    }

    int immOffset() {
        return immOffset;
    }

    int iethOffset() {
        return iethOffset;
    }

    int fethOffset() {
        return fethOffset;
    }
}
