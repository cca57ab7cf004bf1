package io.jverbs.verbs;

/** {@code enum ibv_gid_type}. */
public enum GidType {
    IB, ROCE_V1, ROCE_V2;

    static GidType of(int code) {
        GidType[] values = values();
        if (code < 0 || code >= values.length) {
            throw new IllegalArgumentException("unknown GID type " + code);
        }
        return values[code];
    }
}
