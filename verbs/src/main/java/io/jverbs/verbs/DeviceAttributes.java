package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_device_attr;
import io.jverbs.verbs.ffi.ibv_device_attr_ex;
import io.jverbs.verbs.ffi.ibv_odp_caps;
import io.jverbs.verbs.ffi.ibv_tso_caps;

import java.lang.foreign.MemorySegment;

/**
 * What {@code ibv_query_device_ex} reports (falling back to {@code ibv_query_device}, with the
 * extended fields zero, on providers without the extended call). Limits a QP, CQ or MR must stay
 * within, and the capability bits ({@code IBV_DEVICE_*} in {@link #deviceCapFlags()}).
 * The 64-bit sizes and GUIDs are unsigned in C: read them with {@link Long#toUnsignedString}
 * (Soft-RoCE reports {@code max_mr_size} as 2^64 - 1, which is -1 here). {@code tsoMaxSize} and
 * {@code tsoQpTypes} are {@code tso_caps.max_tso} and {@code supported_qpts} (a bit per {@link QpType#code()}).
 */
public record DeviceAttributes(
        String firmwareVersion,
        long nodeGuid,
        long systemImageGuid,
        long maxMrSize,
        long pageSizeCap,
        int vendorId,
        int vendorPartId,
        int hardwareVersion,
        int maxQp,
        int maxQpWr,
        int deviceCapFlags,
        int maxSge,
        int maxSgeRd,
        int maxCq,
        int maxCqe,
        int maxMr,
        int maxPd,
        int maxQpRdAtomic,
        int maxQpInitRdAtomic,
        int maxResRdAtomic,
        AtomicCapability atomicCapability,
        int maxMw,
        int maxAh,
        int maxSrq,
        int maxSrqWr,
        int maxSrqSge,
        int maxPkeys,
        int localCaAckDelay,
        int physicalPortCount,
        long odpGeneralCaps,
        int odpRcCaps,
        long completionTimestampMask,
        long hcaCoreClock,
        long deviceCapFlagsEx,
        long maxDeviceMemorySize,
        int rawPacketCaps,
        int tsoMaxSize,
        int tsoQpTypes) {

    /** {@code IBV_RAW_PACKET_CAP_CVLAN_STRIPPING} in {@link #rawPacketCaps()}. */
    public static final int RAW_PACKET_CAP_CVLAN_STRIPPING = 1;
    /** {@code IBV_RAW_PACKET_CAP_SCATTER_FCS}. */
    public static final int RAW_PACKET_CAP_SCATTER_FCS = 1 << 1;
    /** {@code IBV_RAW_PACKET_CAP_IP_CSUM}: RAW_PACKET QPs offload IPv4 and TCP/UDP checksums (send and receive). */
    public static final int RAW_PACKET_CAP_IP_CSUM = 1 << 2;
    /** {@code IBV_RAW_PACKET_CAP_DELAY_DROP}. */
    public static final int RAW_PACKET_CAP_DELAY_DROP = 1 << 3;

    /** {@code IBV_DEVICE_MEM_WINDOW_TYPE_2B}: type 2B memory windows. */
    public static final int CAP_MEM_WINDOW_TYPE_2B = 1 << 24;
    /** {@code IBV_DEVICE_MEM_WINDOW}: memory windows at all. */
    public static final int CAP_MEM_WINDOW = 1 << 17;
    /** {@code IBV_DEVICE_XRC}. */
    public static final int CAP_XRC = 1 << 20;

    /** {@code IBV_ODP_SUPPORT} in {@link #odpGeneralCaps()}: on-demand paging at all. */
    public static final long ODP_SUPPORT = 1;
    /** {@code IBV_ODP_SUPPORT_IMPLICIT}: an ODP MR may cover the whole address space. */
    public static final long ODP_SUPPORT_IMPLICIT = 1 << 1;
    /** {@code enum ibv_odp_transport_cap_bits} in {@link #odpRcCaps()}: operations RC QPs may run on ODP memory. */
    public static final int ODP_SEND = 1, ODP_RECV = 1 << 1, ODP_WRITE = 1 << 2, ODP_READ = 1 << 3, ODP_ATOMIC = 1 << 4,
            ODP_SRQ_RECV = 1 << 5;

    /** {@code enum ibv_atomic_cap}. */
    public enum AtomicCapability { NONE, HCA, GLOB }

    static DeviceAttributes read(MemorySegment ex, boolean extended) {
        MemorySegment a = ibv_device_attr_ex.orig_attr(ex);
        int atomic = ibv_device_attr.atomic_cap(a);
        return new DeviceAttributes(
                ibv_device_attr.fw_ver(a).getString(0),
                Long.reverseBytes(ibv_device_attr.node_guid(a)),
                Long.reverseBytes(ibv_device_attr.sys_image_guid(a)),
                ibv_device_attr.max_mr_size(a),
                ibv_device_attr.page_size_cap(a),
                ibv_device_attr.vendor_id(a),
                ibv_device_attr.vendor_part_id(a),
                ibv_device_attr.hw_ver(a),
                ibv_device_attr.max_qp(a),
                ibv_device_attr.max_qp_wr(a),
                ibv_device_attr.device_cap_flags(a),
                ibv_device_attr.max_sge(a),
                ibv_device_attr.max_sge_rd(a),
                ibv_device_attr.max_cq(a),
                ibv_device_attr.max_cqe(a),
                ibv_device_attr.max_mr(a),
                ibv_device_attr.max_pd(a),
                ibv_device_attr.max_qp_rd_atom(a),
                ibv_device_attr.max_qp_init_rd_atom(a),
                ibv_device_attr.max_res_rd_atom(a),
                atomic >= 0 && atomic < 3 ? AtomicCapability.values()[atomic] : AtomicCapability.NONE,
                ibv_device_attr.max_mw(a),
                ibv_device_attr.max_ah(a),
                ibv_device_attr.max_srq(a),
                ibv_device_attr.max_srq_wr(a),
                ibv_device_attr.max_srq_sge(a),
                Short.toUnsignedInt(ibv_device_attr.max_pkeys(a)),
                Byte.toUnsignedInt(ibv_device_attr.local_ca_ack_delay(a)),
                Byte.toUnsignedInt(ibv_device_attr.phys_port_cnt(a)),
                extended ? ibv_odp_caps.general_caps(ibv_device_attr_ex.odp_caps(ex)) : 0,
                extended ? ibv_odp_caps.per_transport_caps_rc_odp_caps(ibv_device_attr_ex.odp_caps(ex)) : 0,
                extended ? ibv_device_attr_ex.completion_timestamp_mask(ex) : 0,
                extended ? ibv_device_attr_ex.hca_core_clock(ex) : 0,
                extended ? ibv_device_attr_ex.device_cap_flags_ex(ex) : 0,
                extended ? ibv_device_attr_ex.max_dm_size(ex) : 0,
                extended ? ibv_device_attr_ex.raw_packet_caps(ex) : 0,
                extended ? ibv_tso_caps.max_tso(ibv_device_attr_ex.tso_caps(ex)) : 0,
                extended ? ibv_tso_caps.supported_qpts(ibv_device_attr_ex.tso_caps(ex)) : 0);
    }

    /** {@link #RAW_PACKET_CAP_IP_CSUM}: checksum offload on RAW_PACKET QPs. */
    public boolean supportsRawPacketChecksum() {
        return (rawPacketCaps & RAW_PACKET_CAP_IP_CSUM) != 0;
    }

    /** TSO ({@code ibv_wr_send_tso}) on {@code type} QPs, up to {@link #tsoMaxSize()} bytes. */
    public boolean supportsTso(QpType type) {
        return tsoMaxSize > 0 && (tsoQpTypes & (1 << type.code())) != 0;
    }

    public boolean supportsAtomics() {
        return atomicCapability != AtomicCapability.NONE;
    }

    /** XRC domains, SRQs and QPs ({@link #CAP_XRC}). */
    public boolean supportsXrc() {
        return (deviceCapFlags & CAP_XRC) != 0;
    }

    /** On-demand paging MRs ({@link Access#ON_DEMAND}; {@link #ODP_SUPPORT}). */
    public boolean supportsOnDemandPaging() {
        return (odpGeneralCaps & ODP_SUPPORT) != 0;
    }
}
