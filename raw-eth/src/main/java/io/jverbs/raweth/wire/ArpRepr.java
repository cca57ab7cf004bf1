package io.jverbs.raweth.wire;

/**
 * A parsed Ethernet/IPv4 ARP packet. Any operation code parses; the stack decides what to do with
 * one it does not know.
 *
 * @param operation ar$op, 0..0xffff ({@link ArpPacket#REQUEST}, {@link ArpPacket#REPLY})
 * @param senderHardwareAddress sender MAC, low 48 bits
 * @param senderProtocolAddress sender IPv4 address
 * @param targetHardwareAddress target MAC, low 48 bits (zero in a request)
 * @param targetProtocolAddress target IPv4 address
 */
public record ArpRepr(int operation, long senderHardwareAddress, int senderProtocolAddress,
                      long targetHardwareAddress, int targetProtocolAddress) {
    /** @throws IllegalArgumentException if the operation exceeds 16 bits or a MAC 48 */
    public ArpRepr {
        if ((operation & ~0xffff) != 0 || (senderHardwareAddress >>> 48) != 0 || (targetHardwareAddress >>> 48) != 0) {
            throw new IllegalArgumentException("operation is 16 bits, MACs 48: " + operation);
        }
    }

    /**
     * The packet of a view whose last {@code wrap} returned {@link WireStatus#OK}.
     *
     * @throws MalformedPacketException if it returned anything else
     */
    public static ArpRepr parse(ArpPacket arp) {
        arp.requireOk();
        return new ArpRepr(arp.operation(), arp.senderHardwareAddress(), arp.senderProtocolAddress(),
                arp.targetHardwareAddress(), arp.targetProtocolAddress());
    }

    public void emit(ArpPacket arp) {
        arp.setEthernetIpv4().setOperation(operation)
                .setSenderHardwareAddress(senderHardwareAddress).setSenderProtocolAddress(senderProtocolAddress)
                .setTargetHardwareAddress(targetHardwareAddress).setTargetProtocolAddress(targetProtocolAddress);
    }

    /** The 28 bytes {@link #emit} writes. */
    public int bufferLength() {
        return ArpPacket.HEADER_LENGTH;
    }

    @Override
    public String toString() {
        return "ArpRepr[op " + operation + ", " + MacAddress.toString(senderHardwareAddress) + " "
                + Ipv4Address.toString(senderProtocolAddress) + " > " + MacAddress.toString(targetHardwareAddress) + " "
                + Ipv4Address.toString(targetProtocolAddress) + "]";
    }
}
