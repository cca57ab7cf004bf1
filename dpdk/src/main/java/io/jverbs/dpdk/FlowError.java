package io.jverbs.dpdk;

/**
 * What a PMD said when it refused a flow rule ({@code struct rte_flow_error}): the part of the
 * rule it blames, its own message, and which item or action that is. Pure Java.
 *
 * @param type    the part blamed ({@code RTE_FLOW_ERROR_TYPE_*})
 * @param message the PMD's words, or null when it gave none
 * @param cause   the item or action the error's {@code cause} pointer points at, e.g.
 *                {@code "pattern item 2 (tcp flags 0x02)"}, or null when it points at none of them
 */
public record FlowError(Type type, String message, String cause) {
    /** {@code enum rte_flow_error_type}, in its order. */
    public enum Type {
        NONE, UNSPECIFIED, HANDLE, ATTR_GROUP, ATTR_PRIORITY, ATTR_INGRESS, ATTR_EGRESS, ATTR_TRANSFER, ATTR,
        ITEM_NUM, ITEM_SPEC, ITEM_LAST, ITEM_MASK, ITEM, ACTION_NUM, ACTION_CONF, ACTION, STATE,
        /** A value newer than DPDK 22.11's enum. */
        OTHER
    }

    @Override
    public String toString() {
        return (message == null ? "(no message)" : message) + " [" + type + (cause == null ? "" : ", " + cause) + "]";
    }
}
