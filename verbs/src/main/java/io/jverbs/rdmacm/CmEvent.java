package io.jverbs.rdmacm;

import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.ffi.ibv_ah_attr;
import io.jverbs.verbs.internal.VerbsAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One {@code struct rdma_cm_event}, copied to Java: {@link CmEventChannel#next} acknowledges the
 * native event ({@code rdma_ack_cm_event}) as soon as it is copied, so a CmEvent needs no release
 * and stays valid forever. Acknowledging does not destroy anything: the new {@link CmId} of a
 * {@link CmEventType#CONNECT_REQUEST} lives until it is closed (or its channel is).
 *
 * <p>{@link #privateData()} is what the peer passed to {@code rdma_connect}/{@code rdma_accept}/
 * {@code rdma_reject}, padded with zeros to the transport's size (rdma_get_cm_event(3)): on
 * IB/RoCE 56 bytes for a connect request, 196 for an accept, 148 for a reject. Carry a length in
 * the data when it matters.
 */
public final class CmEvent {
    /**
     * The connection parameters the event carries ({@code param.conn}); meaningful for
     * CONNECT_REQUEST and ESTABLISHED.
     */
    public record Parameters(int responderResources, int initiatorDepth, boolean flowControl, int retryCount,
                             int rnrRetryCount, boolean srq, int qpNumber) {}

    /**
     * What a UD (SIDR) connection's ESTABLISHED event carries ({@code param.ud}): the passive
     * side's QP number and qkey, and the address to reach it ({@code struct ibv_ah_attr}, kept as
     * its bytes).
     */
    public static final class UdParameters {
        private final int qpNumber;
        private final int qkey;
        private final byte[] ahAttr;

        UdParameters(int qpNumber, int qkey, byte[] ahAttr) {
            this.qpNumber = qpNumber;
            this.qkey = qkey;
            this.ahAttr = ahAttr;
        }

        /** The remote QP number for UD sends. */
        public int qpNumber() {
            return qpNumber;
        }

        /** The remote qkey for UD sends ({@link CmId#UDP_QKEY} for rdma_cm's own QPs). */
        public int qkey() {
            return qkey;
        }

        /** Creates an address handle to the peer from the event's {@code ah_attr} ({@code ibv_create_ah}). */
        public AddressHandle createAddressHandle(ProtectionDomain pd) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(ibv_ah_attr.layout());
                MemorySegment.copy(ahAttr, 0, attr, ValueLayout.JAVA_BYTE, 0, ahAttr.length);
                return VerbsAccess.get().createAddressHandle(pd, attr);
            }
        }

        @Override
        public String toString() {
            return "UdParameters[qpn 0x" + Integer.toHexString(qpNumber) + ", qkey 0x" + Integer.toHexString(qkey) + "]";
        }
    }

    private final CmEventType type;
    private final int status;
    private final CmId id;
    private final CmId listenId;
    private final byte[] privateData;
    private final Parameters parameters;
    private final UdParameters ud;

    CmEvent(CmEventType type, int status, CmId id, CmId listenId, byte[] privateData, Parameters parameters) {
        this(type, status, id, listenId, privateData, parameters, null);
    }

    CmEvent(CmEventType type, int status, CmId id, CmId listenId, byte[] privateData, Parameters parameters,
            UdParameters ud) {
        this.ud = ud;
        this.type = type;
        this.status = status;
        this.id = id;
        this.listenId = listenId;
        this.privateData = privateData;
        this.parameters = parameters;
    }

    public CmEventType type() {
        return type;
    }

    /** 0 on success; a negative errno, or a transport value (the CM reject reason for REJECTED on IB/RoCE). */
    public int status() {
        return status;
    }

    /**
     * The id the event is for. For CONNECT_REQUEST, a new id for the requested connection that the
     * caller owns: {@link CmId#accept} or {@link CmId#reject} it, and close it when done.
     */
    public CmId id() {
        return id;
    }

    /** The listening id that received a CONNECT_REQUEST, else null. */
    public CmId listenId() {
        return listenId;
    }

    /** A copy of the peer's private data (zero-padded by the transport), or an empty array. */
    public byte[] privateData() {
        return privateData.clone();
    }

    public Parameters parameters() {
        return parameters;
    }

    /** For ESTABLISHED on a UDP-space id ({@link CmEventChannel#createUdpId()}): the peer's UD parameters; else null. */
    public UdParameters ud() {
        return ud;
    }

    @Override
    public String toString() {
        return "CmEvent[" + type + (status == 0 ? "" : ", status " + status) + ", " + id
                + (privateData.length == 0 ? "" : ", " + privateData.length + " bytes of private data") + "]";
    }
}
