package io.jverbs.verbs.mlx5;

import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.VerbsCall;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.QpFactory;
import io.jverbs.verbs.internal.VerbsAccess;
import io.jverbs.verbs.mlx5.ffi.Mlx5Dv;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_context;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_dc_init_attr;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_dci_streams_caps;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_qp_init_attr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * mlx5 direct verbs ({@code mlx5dv.h}, libmlx5): what NVIDIA/Mellanox ConnectX devices offer
 * beyond libibverbs. Every method checks {@link #isSupported} first and throws
 * {@link NotSupportedException} naming the feature and the device on any other device (Soft-RoCE,
 * a context without a device), before any other libmlx5 call: mlx5dv functions cast the verbs
 * objects they get to mlx5's own structs.
 */
public final class Mlx5 {
    private Mlx5() {}

    private static final String NEEDS_MLX5 =
            "this needs an NVIDIA/Mellanox ConnectX device driven by the mlx5 provider (libmlx5, Debian package ibverbs-providers)";

    /**
     * True when {@code context} is an mlx5 device ({@code mlx5dv_is_supported}); false on any other
     * device, for a context without a device pointer, and when libmlx5 is not installed.
     */
    public static boolean isSupported(Context context) {
        MemorySegment device = ibv_context.device(context.segment());
        if (Native.isNull(device) || !Mlx5Dv.LIBRARY.has("mlx5dv_is_supported")) {
            return false;
        }
        return Mlx5Dv.mlx5dv_is_supported(device) != 0;
    }

    /** Throws {@link NotSupportedException} for {@code feature} unless {@code context} is an mlx5 device. */
    static void require(Context context, String feature) {
        if (!isSupported(context)) {
            throw new NotSupportedException(feature, context.device().name(), NEEDS_MLX5, null, 0);
        }
    }

    /** The mlx5 capabilities of the device ({@code mlx5dv_query_device}). */
    public static Mlx5Attributes queryDevice(Context context) {
        require(context, "mlx5dv_query_device");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(mlx5dv_context.layout());
            long asked = Mlx5Dv.MLX5DV_CONTEXT_MASK_DC_ODP_CAPS | Mlx5Dv.MLX5DV_CONTEXT_MASK_NUM_LAG_PORTS
                    | Mlx5Dv.MLX5DV_CONTEXT_MASK_DCI_STREAMS | Mlx5Dv.MLX5DV_CONTEXT_MASK_WR_MEMCPY_LENGTH;
            mlx5dv_context.comp_mask(a, asked);
            int rc = Mlx5Dv.mlx5dv_query_device(context.segment(), a);
            if (rc != 0) {
                throw Checks.error(Mlx5Call.QUERY_DEVICE, Math.abs(rc), context.device().name(), "mlx5dv_query_device");
            }
            // The provider clears the comp_mask bits of what it did not fill.
            long got = mlx5dv_context.comp_mask(a);
            MemorySegment streams = mlx5dv_context.dci_streams_caps(a);
            boolean hasStreams = (got & Mlx5Dv.MLX5DV_CONTEXT_MASK_DCI_STREAMS) != 0;
            return new Mlx5Attributes(
                    Byte.toUnsignedInt(mlx5dv_context.version(a)),
                    mlx5dv_context.flags(a),
                    (got & Mlx5Dv.MLX5DV_CONTEXT_MASK_DC_ODP_CAPS) != 0 ? mlx5dv_context.dc_odp_caps(a) : 0,
                    (got & Mlx5Dv.MLX5DV_CONTEXT_MASK_NUM_LAG_PORTS) != 0 ? Byte.toUnsignedInt(mlx5dv_context.num_lag_ports(a)) : 0,
                    mlx5dv_context.max_dynamic_bfregs(a),
                    hasStreams ? Byte.toUnsignedInt(mlx5dv_dci_streams_caps.max_log_num_concurent(streams)) : 0,
                    hasStreams ? Byte.toUnsignedInt(mlx5dv_dci_streams_caps.max_log_num_errored(streams)) : 0,
                    (got & Mlx5Dv.MLX5DV_CONTEXT_MASK_WR_MEMCPY_LENGTH) != 0 ? mlx5dv_context.max_wr_memcpy_length(a) : 0);
        }
    }

    /**
     * Creates a DC target ({@code mlx5dv_create_qp}, {@code IBV_QPT_DRIVER}, {@code MLX5DV_DCTYPE_DCT}):
     * the receiving end any DC initiator reaches with this target's number and {@code accessKey}.
     * Received sends land in {@code srq}; their completions on {@code cq}. Then {@link DcTarget#connect}.
     */
    public static DcTarget createDcTarget(ProtectionDomain pd, CompletionQueue cq, SharedReceiveQueue srq, long accessKey) {
        require(pd.context(), "DC target QPs");
        Objects.requireNonNull(srq, "a DC target receives through an SRQ");
        QueuePair.Config config = QueuePair.Config.of(QpType.DRIVER, cq).srq(srq).maxSendWr(0).maxSendSge(0);
        QueuePair qp = VerbsAccess.get().createQueuePair(pd, config, new DcFactory(pd.context(), DcTarget.DCT, accessKey));
        return new DcTarget(qp, accessKey);
    }

    /**
     * Creates a DC initiator ({@code MLX5DV_DCTYPE_DCI}): a send-only QP that reaches any DC target
     * per request ({@link DcInitiator#address}), posting through the extended post API with the
     * {@link io.jverbs.verbs.SendOps} opcodes in {@code sendOps}. Completions arrive on {@code cq}.
     * Then {@link DcInitiator#connect}.
     */
    public static DcInitiator createDcInitiator(ProtectionDomain pd, CompletionQueue cq, int maxSendWr, int maxInlineData,
                                                long sendOps) {
        if (sendOps == 0) {
            throw new IllegalArgumentException("a DC initiator posts through the extended post API: name its SendOps opcodes");
        }
        require(pd.context(), "DC initiator QPs");
        QueuePair.Config config = QueuePair.Config.of(QpType.DRIVER, cq).maxSendWr(maxSendWr).maxInlineData(maxInlineData)
                .maxRecvWr(0).maxRecvSge(0).sendOps(sendOps);
        QueuePair qp = VerbsAccess.get().createQueuePair(pd, config, new DcFactory(pd.context(), DcInitiator.DCI, 0));
        return new DcInitiator(qp);
    }

    /** Creates and destroys a DC QP: mlx5dv_create_qp with the DC init attributes, ibv_destroy_qp. */
    private static final class DcFactory implements QpFactory {
        private final Context context;
        private final int dcType;
        private final long accessKey;
        private MemorySegment qp = MemorySegment.NULL;

        DcFactory(Context context, int dcType, long accessKey) {
            this.context = context;
            this.dcType = dcType;
            this.accessKey = accessKey;
        }

        @Override
        public NativeResource owner() {
            return null;
        }

        @Override
        public NativeCall call() {
            return Mlx5Call.CREATE_QP;
        }

        @Override
        public boolean extendedAttributes() {
            return true;
        }

        @Override
        public int dcType() {
            return dcType;
        }

        @Override
        public MemorySegment create(MemorySegment pd, MemorySegment initAttrEx) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dv = arena.allocate(mlx5dv_qp_init_attr.layout());
                MemorySegment dc = mlx5dv_qp_init_attr.dc_init_attr(dv);
                mlx5dv_dc_init_attr.dc_type(dc, dcType);
                long mask = Mlx5Dv.MLX5DV_QP_INIT_ATTR_MASK_DC;
                if (dcType == DcTarget.DCT) {
                    mlx5dv_dc_init_attr.dct_access_key(dc, accessKey);
                } else {
                    // A DCI's sends complete without data to scatter into the CQE (as perftest creates them).
                    mlx5dv_qp_init_attr.create_flags(dv, (int) Mlx5Dv.MLX5DV_QP_CREATE_DISABLE_SCATTER_TO_CQE);
                    mask |= Mlx5Dv.MLX5DV_QP_INIT_ATTR_MASK_QP_CREATE_FLAGS;
                }
                mlx5dv_qp_init_attr.comp_mask(dv, mask);
                qp = Mlx5Dv.mlx5dv_create_qp(context.segment(), initAttrEx, dv);
                return qp;
            }
        }

        @Override
        public void destroy() {
            Checks.check(VerbsCall.DESTROY_QP, IbVerbs.ibv_destroy_qp(qp), context.device().name());
        }
    }
}
