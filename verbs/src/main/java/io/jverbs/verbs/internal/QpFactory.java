package io.jverbs.verbs.internal;

import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeResource;

import java.lang.foreign.MemorySegment;

/**
 * Creates and destroys the native QP of a {@code QueuePair} for another library of this module:
 * rdma_cm makes QPs with {@code rdma_create_qp} and destroys them with {@code rdma_destroy_qp},
 * while the Java object stays one {@code QueuePair}.
 */
public interface QpFactory {
    /** The resource the QP belongs to besides its PD and CQs (the rdma_cm id): it closes the QP first. */
    NativeResource owner();

    /** The call that creates, for error messages. */
    NativeCall call();

    /** Creates the QP from a filled {@code struct ibv_qp_init_attr}: the {@code struct ibv_qp *}, or NULL with errno captured. */
    MemorySegment create(MemorySegment pd, MemorySegment initAttr);

    /** Destroys the QP made by {@link #create}. */
    void destroy();

    /**
     * True when {@link #create} takes a filled {@code struct ibv_qp_init_attr_ex} (PD, comp_mask,
     * send_ops_flags for the extended post API), as {@code mlx5dv_create_qp} does; false for
     * {@code rdma_create_qp}, which takes the plain attributes.
     */
    default boolean extendedAttributes() {
        return false;
    }

    /** For a DRIVER QP that is an mlx5 DC QP: {@code MLX5DV_DCTYPE_DCT} (1) or {@code MLX5DV_DCTYPE_DCI} (2); else 0. */
    default int dcType() {
        return 0;
    }
}
