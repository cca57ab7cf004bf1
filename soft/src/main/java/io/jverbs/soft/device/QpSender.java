package io.jverbs.soft.device;

import io.jverbs.soft.transport.PacketSink;
import io.jverbs.soft.transport.TransportPacket;

import java.nio.channels.DatagramChannel;

/**
 * Where one QP's packets leave: a send-only UDP socket bound to the device address and the QP's
 * rxe source port ({@link io.jverbs.soft.wire.SourcePort}), shared with the device's other QPs
 * on the same port, or the device socket on 4791 when that port could not be bound
 * ({@link SoftEngine#sourcePortFallbacks}). Used with the device lock held, as the transport is.
 */
final class QpSender implements PacketSink {
    private final SoftEngine engine;
    final int qpNum;
    /** The source port rxe's rule gives the QP now. */
    int wanted;
    /** The socket its packets leave from and that socket's port: {@link #wanted}, or 4791 after a fallback. */
    DatagramChannel channel;
    int port;

    QpSender(SoftEngine engine, int qpNum) {
        this.engine = engine;
        this.qpNum = qpNum;
    }

    @Override
    public boolean send(TransportPacket packet) {
        return engine.send(packet, channel, port);
    }
}
