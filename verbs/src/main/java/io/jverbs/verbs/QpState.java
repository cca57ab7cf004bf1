package io.jverbs.verbs;

/** {@code enum ibv_qp_state}. */
public enum QpState {
    RESET, INIT, RTR, RTS, SQD, SQE, ERR, UNKNOWN;

    static QpState of(int code) {
        QpState[] v = values();
        return code >= 0 && code < v.length ? v[code] : UNKNOWN;
    }

    public int code() {
        return ordinal();
    }
}
