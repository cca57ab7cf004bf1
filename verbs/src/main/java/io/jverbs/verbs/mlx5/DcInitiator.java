package io.jverbs.verbs.mlx5;

import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.ExtendedPost;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.mlx5.ffi.Mlx5Dv;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_qp_ex;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A DC initiator (DCI, {@code MLX5DV_DCTYPE_DCI}): a send-only QP that reaches any DC target
 * per request. Build each request with the QP's {@link ExtendedPost} and give its destination
 * with {@link #address} ({@code mlx5dv_wr_set_dc_addr}) before its SGEs:
 *
 * <pre>{@code
 * ExtendedPost p = dci.post();
 * p.start();
 * p.rdmaWrite(1, SendFlags.SIGNALED, remoteAddress, rkey);
 * dci.address(ah, target.number(), target.accessKey());
 * p.sge(mr, 0, 4096);
 * p.complete();
 * }</pre>
 * Sends, RDMA writes and reads, and atomics take a DC address; one thread at a time, as
 * {@link ExtendedPost}. Closing it closes its {@link QueuePair}.
 */
public final class DcInitiator implements AutoCloseable {
    static final int DCI = 2; // MLX5DV_DCTYPE_DCI
    // void (*wr_set_dc_addr)(struct mlx5dv_qp_ex *, struct ibv_ah *, uint32_t remote_dctn, uint64_t remote_dc_key)
    private static final MethodHandle SET_DC_ADDR = Native.unbound(FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG),
            Native.CRITICAL);

    private final QueuePair qp;
    private final ExtendedPost post;
    private final MemorySegment mqp;
    private final MemorySegment setDcAddr;

    DcInitiator(QueuePair qp) {
        this.qp = qp;
        this.post = qp.extendedPost();
        // Only for a QP mlx5dv_create_qp made: the call is a container_of into mlx5's QP.
        this.mqp = Mlx5Dv.mlx5dv_qp_ex_from_ibv_qp_ex(post.segment()).reinterpret(mlx5dv_qp_ex.sizeof());
        this.setDcAddr = mlx5dv_qp_ex.wr_set_dc_addr(mqp);
    }

    /** The extended post API of this QP: start, opcodes, SGEs, complete. */
    public ExtendedPost post() {
        return post;
    }

    /** The QP (type {@code DRIVER}). */
    public QueuePair queuePair() {
        return qp;
    }

    /**
     * Destination of the request just built ({@code mlx5dv_wr_set_dc_addr}): the DC target
     * {@code remoteDctNumber} with {@code accessKey}, reached through {@code ah}.
     */
    public DcInitiator address(AddressHandle ah, int remoteDctNumber, long accessKey) {
        MemorySegment a = ah.segment();
        post.segment(); // the QP is open
        try {
            SET_DC_ADDR.invokeExact(setDcAddr, mqp, a, remoteDctNumber, accessKey);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        return this;
    }

    /**
     * RESET → INIT (port) → RTR (path MTU, the port's GID from {@code path.gidIndex()}) → RTS
     * (timeout, retries, reads in flight of {@code path}, send PSN 0). Destinations come per request.
     */
    public void connect(PathSettings path) {
        Endpoint self = qp.endpoint(path.port(), path.gidIndex(), 0);
        qp.connect(self, self, path);
    }

    @Override
    public void close() {
        qp.close();
    }

    @Override
    public String toString() {
        return "DcInitiator[qpn=0x" + Integer.toHexString(qp.qpNumber()) + "]";
    }
}
