package io.jverbs.verbs;

/**
 * An asynchronous event from the device ({@code ibv_get_async_event}): a QP or CQ error, an SRQ
 * limit reached, a port going up or down. Read by {@link Context#awaitAsyncEvent}, which copies
 * the event and acknowledges it at once.
 *
 * @param type    {@code enum ibv_event_type}
 * @param element the QP number, the CQ/SRQ handle address, or the port number, by type
 */
public record AsyncEvent(Type type, long element) {
    /** {@code enum ibv_event_type}, in C order. */
    public enum Type {
        CQ_ERR, QP_FATAL, QP_REQ_ERR, QP_ACCESS_ERR, COMM_EST, SQ_DRAINED, PATH_MIG, PATH_MIG_ERR, DEVICE_FATAL,
        PORT_ACTIVE, PORT_ERR, LID_CHANGE, PKEY_CHANGE, SM_CHANGE, SRQ_ERR, SRQ_LIMIT_REACHED, QP_LAST_WQE_REACHED,
        CLIENT_REREGISTER, GID_CHANGE, WQ_FATAL, UNKNOWN;

        static Type of(int code) {
            Type[] v = values();
            return code >= 0 && code < v.length - 1 ? v[code] : UNKNOWN;
        }

        /** True when {@link AsyncEvent#element()} is a QP number. */
        public boolean isQpEvent() {
            return this == QP_FATAL || this == QP_REQ_ERR || this == QP_ACCESS_ERR || this == COMM_EST || this == SQ_DRAINED
                    || this == PATH_MIG || this == PATH_MIG_ERR || this == QP_LAST_WQE_REACHED;
        }

        /** True when {@link AsyncEvent#element()} is a port number. */
        public boolean isPortEvent() {
            return this == PORT_ACTIVE || this == PORT_ERR || this == LID_CHANGE || this == PKEY_CHANGE
                    || this == SM_CHANGE || this == CLIENT_REREGISTER || this == GID_CHANGE;
        }
    }
}
