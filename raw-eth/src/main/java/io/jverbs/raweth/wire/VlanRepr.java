package io.jverbs.raweth.wire;

/**
 * A parsed 802.1Q tag.
 *
 * @param priority priority code point, 0..7
 * @param dropEligible drop eligible indicator
 * @param vlanId VLAN identifier, 0..4095
 * @param etherType EtherType of what follows, 0..0xffff
 */
public record VlanRepr(int priority, boolean dropEligible, int vlanId, int etherType) {
    /** @throws IllegalArgumentException if a field is out of its range */
    public VlanRepr {
        if ((priority & ~7) != 0 || (vlanId & ~0xfff) != 0 || (etherType & ~0xffff) != 0) {
            throw new IllegalArgumentException("PCP 0..7, VID 0..4095, EtherType 0..0xffff: " + priority + ", "
                    + vlanId + ", 0x" + Integer.toHexString(etherType));
        }
    }

    /**
     * The tag of a view whose last {@code wrap} returned {@link WireStatus#OK}.
     *
     * @throws MalformedPacketException if it returned anything else
     */
    public static VlanRepr parse(VlanTag tag) {
        tag.requireOk();
        return new VlanRepr(tag.priority(), tag.dropEligible(), tag.vlanId(), tag.etherType());
    }

    public void emit(VlanTag tag) {
        tag.setTci(priority << 13 | (dropEligible ? 0x1000 : 0) | vlanId).setEtherType(etherType);
    }

    /** The bytes {@link #emit} writes: the 4-byte tag. */
    public int bufferLength() {
        return VlanTag.HEADER_LENGTH;
    }
}
