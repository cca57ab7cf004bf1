package io.jverbs.raweth.wire;

/**
 * An IEEE 802.1Q tag as it follows an {@link EthernetFrame} whose EtherType is
 * {@link EtherType#VLAN} (or {@link EtherType#QINQ}): the tag control information (priority code
 * point, drop eligible indicator, VLAN id) and the EtherType of what follows. Stacked tags (QinQ)
 * are one view each, wrapped at the previous one's payload.
 */
public final class VlanTag extends HeaderView<VlanTag> {
    /** TCI and the inner EtherType. */
    public static final int HEADER_LENGTH = 4;

    private static final int TCI = 0;
    private static final int ETHER_TYPE = 2;

    @Override
    protected WireStatus check() {
        return length() < HEADER_LENGTH ? WireStatus.VLAN_TRUNCATED : WireStatus.OK;
    }

    public VlanTag() {
        super(HEADER_LENGTH);
    }

    /** The 16-bit tag control information: PCP (3 bits), DEI (1), VID (12). */
    public int tci() {
        return u16(TCI);
    }

    /** Priority code point, 0..7 (802.1p). */
    public int priority() {
        return tci() >>> 13;
    }

    /** Drop eligible indicator (formerly CFI). */
    public boolean dropEligible() {
        return (tci() & 0x1000) != 0;
    }

    /** VLAN identifier, 0..4095 (0: priority tag only; 4095 reserved). */
    public int vlanId() {
        return tci() & 0xfff;
    }

    /** The EtherType of what follows the tag. */
    public int etherType() {
        return u16(ETHER_TYPE);
    }

    public VlanTag setTci(int tci) {
        setU16(TCI, tci);
        return this;
    }

    public VlanTag setEtherType(int etherType) {
        setU16(ETHER_TYPE, etherType);
        return this;
    }
}
