package io.jverbs.verbs.mlx5;

import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceMemory;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.VerbsCall;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.DmAllocator;
import io.jverbs.verbs.internal.QpFactory;
import io.jverbs.verbs.internal.VerbsAccess;
import io.jverbs.verbs.mlx5.ffi.Mlx5Dv;
import io.jverbs.verbs.mlx5.ffi.mlx5dv_alloc_dm_attr;
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

    /**
     * The kinds of mlx5 device memory ({@code enum mlx5dv_alloc_dm_type}). Only {@link #MEMIC} is
     * host-accessible ({@link DeviceMemory#write}/{@link DeviceMemory#read}); the SW ICM types are
     * the device's own steering memory (rules, header-modify actions and patterns, encap data) that
     * software-steering engines fill by RDMA through a registration. They need a device whose
     * firmware gives the host steering ownership (ConnectX-5 and later, {@code sw_owner} caps).
     */
    public enum DmType {
        /** On-chip memory, as {@code ibv_alloc_dm} allocates: memcpy, register with any access, atomics. */
        MEMIC(Mlx5Dv.MLX5DV_DM_TYPE_MEMIC),
        STEERING_SW_ICM(Mlx5Dv.MLX5DV_DM_TYPE_STEERING_SW_ICM),
        HEADER_MODIFY_SW_ICM(Mlx5Dv.MLX5DV_DM_TYPE_HEADER_MODIFY_SW_ICM),
        HEADER_MODIFY_PATTERN_SW_ICM(Mlx5Dv.MLX5DV_DM_TYPE_HEADER_MODIFY_PATTERN_SW_ICM),
        /**
         * {@code MLX5DV_DM_TYPE_ENCAP_SW_ICM} (4): newer than the rdma-core 44 headers these bindings
         * are checked against, so its value is written here; a libmlx5 that predates it refuses it
         * with EOPNOTSUPP ({@link NotSupportedException}).
         */
        ENCAP_SW_ICM(4);

        private final int value;

        DmType(long value) {
            this.value = (int) value;
        }

        /** The {@code MLX5DV_DM_TYPE_*} value. */
        public int value() {
            return value;
        }

        /** True for {@link #MEMIC}: the host can copy to and from it. */
        public boolean hostAccessible() {
            return this == MEMIC;
        }
    }

    /**
     * Allocates {@code length} bytes of mlx5 device memory of {@code type} ({@code mlx5dv_alloc_dm}).
     * {@link DmType#MEMIC} is what {@link Context#allocateDeviceMemory} gives (at most
     * {@link io.jverbs.verbs.DeviceAttributes#maxDeviceMemorySize()}). A SW ICM length must be a power
     * of two and a multiple of the device's SW ICM block size; its memory refuses read and write
     * ({@link UnsupportedOperationException}) and registers only with {@code LOCAL_WRITE},
     * {@code REMOTE_WRITE} and {@code REMOTE_READ}. Throws {@link NotSupportedException} on a device
     * that is not mlx5, before any libmlx5 call.
     */
    public static DeviceMemory allocateDeviceMemory(Context context, long length, DmType type) {
        Objects.requireNonNull(type, "type");
        if (length <= 0) {
            throw new IllegalArgumentException("device memory length must be positive, got " + length);
        }
        if (!type.hostAccessible() && Long.bitCount(length) != 1) {
            throw new IllegalArgumentException(type + " device memory needs a power-of-two length (mlx5 allocates SW ICM"
                    + " in power-of-two runs of blocks), got " + length);
        }
        String feature = "mlx5 " + type + " device memory";
        require(context, feature);
        return VerbsAccess.get().allocateDeviceMemory(context, length, new DmAllocator() {
            @Override
            public NativeCall call() {
                return Mlx5Call.ALLOC_DM;
            }

            @Override
            public String feature() {
                return feature;
            }

            @Override
            public int registerAccess() {
                return type.hostAccessible() ? -1 : Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ | Access.ZERO_BASED;
            }

            @Override
            public String invalidHint() {
                return type.hostAccessible()
                        ? "at most DeviceAttributes.maxDeviceMemorySize() bytes, and less when other allocations hold some"
                        : "libmlx5 reports any refusal of SW ICM as EINVAL: the device has no " + type + " (no steering"
                        + " ownership, e.g. a VF or older firmware), the length is not a multiple of its SW ICM block,"
                        + " or that ICM is used up";
            }

            @Override
            public MemorySegment allocate(MemorySegment ctx, MemorySegment allocDmAttr) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment attr = arena.allocate(mlx5dv_alloc_dm_attr.layout());
                    mlx5dv_alloc_dm_attr.type(attr, type.value);
                    return Mlx5Dv.mlx5dv_alloc_dm(ctx, allocDmAttr, attr);
                }
            }
        });
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
