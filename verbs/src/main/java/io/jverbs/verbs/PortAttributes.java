package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_port_attr;

import java.lang.foreign.MemorySegment;

/** What {@code ibv_query_port} reports about one port. */
public record PortAttributes(
        PortState state,
        Mtu maxMtu,
        Mtu activeMtu,
        int gidTableLength,
        int portCapFlags,
        long maxMessageSize,
        int pkeyTableLength,
        int lid,
        int smLid,
        int lmc,
        int activeWidth,
        int activeSpeed,
        int physicalState,
        LinkLayer linkLayer) {

    static PortAttributes read(MemorySegment a) {
        return new PortAttributes(
                PortState.of(ibv_port_attr.state(a)),
                Mtu.of(ibv_port_attr.max_mtu(a)),
                Mtu.of(ibv_port_attr.active_mtu(a)),
                ibv_port_attr.gid_tbl_len(a),
                ibv_port_attr.port_cap_flags(a),
                Integer.toUnsignedLong(ibv_port_attr.max_msg_sz(a)),
                Short.toUnsignedInt(ibv_port_attr.pkey_tbl_len(a)),
                Short.toUnsignedInt(ibv_port_attr.lid(a)),
                Short.toUnsignedInt(ibv_port_attr.sm_lid(a)),
                Byte.toUnsignedInt(ibv_port_attr.lmc(a)),
                Byte.toUnsignedInt(ibv_port_attr.active_width(a)),
                Byte.toUnsignedInt(ibv_port_attr.active_speed(a)),
                Byte.toUnsignedInt(ibv_port_attr.phys_state(a)),
                LinkLayer.of(ibv_port_attr.link_layer(a)));
    }

    public boolean isActive() {
        return state == PortState.ACTIVE;
    }
}
