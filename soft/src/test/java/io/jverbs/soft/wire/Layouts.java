package io.jverbs.soft.wire;

/** Copies every header field of a parsed packet into one laid out for the same opcode, through the views' getters and setters. */
final class Layouts {
    private Layouts() {
    }

    static void copyFields(RocePacket in, RocePacket out) {
        copyIpv4(in, out);
        copyTransport(in, out);
    }

    static void copyIpv4(RocePacket in, RocePacket out) {
        out.ipv4().setDscpEcn(in.ipv4().dscp(), in.ipv4().ecn())
                .setIdentification(in.ipv4().identification())
                .setFragmentation(in.ipv4().dontFragment(), in.ipv4().moreFragments(), in.ipv4().fragmentOffset())
                .setTtl(in.ipv4().ttl())
                .setSource(in.ipv4().source())
                .setDestination(in.ipv4().destination());
        out.udp().setSourcePort(in.udp().sourcePort()).setChecksum(in.udp().checksum());
    }

    static void copyTransport(RocePacket in, RocePacket out) {
        Bth a = in.bth();
        out.bth().setFlags(a.solicitedEvent(), a.migReq(), a.padCount(), a.transportVersion())
                .setPartitionKey(a.partitionKey())
                .setResv8a(a.resv8a())
                .setDestinationQp(a.destinationQp())
                .setAckRequest(a.ackRequest(), a.resv7())
                .setPsn(a.psn());
        Opcode op = in.opcode();
        if (op.hasDeth()) {
            out.deth().setQkey(in.deth().qkey()).setReserved(in.deth().reserved()).setSourceQp(in.deth().sourceQp());
        }
        if (op.hasFeth()) {
            out.feth().setValue(in.feth().value());
        }
        if (op.hasReth()) {
            out.reth().setVirtualAddress(in.reth().virtualAddress()).setRkey(in.reth().rkey())
                    .setDmaLength(in.reth().dmaLength());
        }
        if (op.hasAtomicEth()) {
            out.atomicEth().setVirtualAddress(in.atomicEth().virtualAddress()).setRkey(in.atomicEth().rkey())
                    .setSwapOrAdd(in.atomicEth().swapOrAdd()).setCompare(in.atomicEth().compare());
        }
        if (op.hasAeth()) {
            out.aeth().setSyndrome(in.aeth().syndrome()).setMsn(in.aeth().msn());
        }
        if (op.hasAtomicAckEth()) {
            out.atomicAckEth().setOriginalData(in.atomicAckEth().originalData());
        }
        if (op.hasImmediate()) {
            out.immDt().setImmediate(in.immDt().immediate());
        }
        if (op.hasIeth()) {
            out.ieth().setRkey(in.ieth().rkey());
        }
    }
}
