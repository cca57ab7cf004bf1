package io.jverbs.soft.transport;

/**
 * Where a QP's packets go: the device layer lays each out with the wire package and sends it (UDP
 * socket or raw port); tests put an in-memory link here.
 */
@FunctionalInterface
public interface PacketSink {
    /**
     * Sends one packet. The packet object and its payload memory are the transport's: the sink
     * copies what it needs before returning, and must not allocate per packet on the data path.
     *
     * @return false if the packet could not be queued (the transport treats it as lost on the wire)
     */
    boolean send(TransportPacket packet);
}
