package io.jverbs.raweth.wire;

/** EtherType values (IEEE 802 numbers) that this package and its users switch on. */
public final class EtherType {
    public static final int IPV4 = 0x0800;
    public static final int ARP = 0x0806;
    /** An 802.1Q tag follows: {@link VlanTag}. */
    public static final int VLAN = 0x8100;
    /** An 802.1ad service tag (QinQ outer tag), laid out as {@link VlanTag}. */
    public static final int QINQ = 0x88a8;
    public static final int IPV6 = 0x86dd;
    /** RoCE v1 (InfiniBand GRH directly over Ethernet); RoCE v2 is UDP port {@link UdpPacket#ROCE_V2_PORT}. */
    public static final int ROCE_V1 = 0x8915;

    private EtherType() {}
}
