package io.jverbs.verbs;

/** {@code enum ibv_port_state}. */
public enum PortState {
    NOP, DOWN, INIT, ARMED, ACTIVE, ACTIVE_DEFER;

    static PortState of(int code) {
        PortState[] values = values();
        return code >= 0 && code < values.length ? values[code] : NOP;
    }
}
