package io.jverbs.verbs.mlx5;

import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QueuePair;

/**
 * A DC target (DCT, {@code MLX5DV_DCTYPE_DCT}): one receiving QP for any number of initiators,
 * which address it per request with its {@link #number()} and {@link #accessKey()} (no per-peer
 * state on either side). Receives go to its SRQ. Closing it closes its {@link QueuePair}.
 */
public final class DcTarget implements AutoCloseable {
    static final int DCT = 1; // MLX5DV_DCTYPE_DCT

    private final QueuePair qp;
    private final long accessKey;

    DcTarget(QueuePair qp, long accessKey) {
        this.qp = qp;
        this.accessKey = accessKey;
    }

    /**
     * The DCT number initiators address ({@code qp_num}): known once {@link #connect} (or a move
     * to RTR) has run, since mlx5 creates the DCT in the device only then.
     */
    public int number() {
        return qp.qpNumber();
    }

    /** The key initiators must present. */
    public long accessKey() {
        return accessKey;
    }

    /** The QP (type {@code DRIVER}): state, close, the SRQ it receives into. */
    public QueuePair queuePair() {
        return qp;
    }

    /**
     * RESET → INIT (port, the remote access flags of {@code path}) → RTR (path MTU, the port's GID
     * from {@code path.gidIndex()}, RNR timer). A DCT works in RTR; it never sends.
     */
    public void connect(PathSettings path) {
        Endpoint self = qp.endpoint(path.port(), path.gidIndex(), 0);
        qp.connect(self, self, path);
    }

    /** This target's address for initiators: LID, GID and its {@link #number()} as the QP number. */
    public Endpoint endpoint(int port, int gidIndex) {
        return qp.endpoint(port, gidIndex, 0);
    }

    @Override
    public void close() {
        qp.close();
    }

    @Override
    public String toString() {
        return "DcTarget[dctn=0x" + Integer.toHexString(qp.qpNumber()) + ", key=0x" + Long.toHexString(accessKey) + "]";
    }
}
