package io.jverbs.soft.wire;

/**
 * A parsed base transport header. The opcode stays a byte: whether it is one RC, UC or UD define,
 * and what follows it, is {@link RocePacket}'s check ({@link Opcode#of} names it). RoCEv2's byte 4
 * keeps only FECN and BECN; its other bits and the 7 bits after AckReq are reserved, emitted as 0.
 *
 * @param opcode the opcode byte, 0..255
 * @param solicitedEvent SE
 * @param migReq M
 * @param padCount PadCnt, 0..3
 * @param transportVersion TVer, 0..15 (0 is the only one defined)
 * @param partitionKey P_Key, 0..0xffff
 * @param fecn forward explicit congestion notification (byte 4, bit 7)
 * @param becn backward explicit congestion notification (byte 4, bit 6)
 * @param destinationQp 24 bits
 * @param ackRequest A
 * @param psn 24 bits
 */
public record BthRepr(int opcode, boolean solicitedEvent, boolean migReq, int padCount, int transportVersion,
        int partitionKey, boolean fecn, boolean becn, int destinationQp, boolean ackRequest, int psn) {
    private static final int FECN = 0x80;
    private static final int BECN = 0x40;

    /** @throws IllegalArgumentException if a field is out of its range */
    public BthRepr {
        if ((opcode & ~0xff) != 0 || (padCount & ~3) != 0 || (transportVersion & ~0xf) != 0
                || (partitionKey & ~0xffff) != 0 || (destinationQp & ~TransportHeader.MASK_24) != 0
                || (psn & ~TransportHeader.MASK_24) != 0) {
            throw new IllegalArgumentException("BTH: opcode 8 bits, PadCnt 2, TVer 4, P_Key 16, QP and PSN 24: " + opcode
                    + ", " + padCount + ", " + transportVersion + ", " + partitionKey + ", " + destinationQp + ", " + psn);
        }
    }

    /**
     * The header of a view whose last {@code wrap} returned OK.
     *
     * @throws io.jverbs.raweth.wire.MalformedPacketException if it returned anything else
     */
    public static BthRepr parse(Bth bth) {
        bth.requireOk();
        return new BthRepr(bth.opcode(), bth.solicitedEvent(), bth.migReq(), bth.padCount(), bth.transportVersion(),
                bth.partitionKey(), bth.fecn(), bth.becn(), bth.destinationQp(), bth.ackRequest(), bth.psn());
    }

    public void emit(Bth bth) {
        bth.setOpcode(opcode).setFlags(solicitedEvent, migReq, padCount, transportVersion).setPartitionKey(partitionKey)
                .setResv8a((fecn ? FECN : 0) | (becn ? BECN : 0)).setDestinationQp(destinationQp)
                .setAckRequest(ackRequest, 0).setPsn(psn);
    }

    /** The bytes {@link #emit} writes. */
    public int bufferLength() {
        return Bth.LENGTH;
    }
}
