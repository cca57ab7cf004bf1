package io.jverbs.dpdk;

/**
 * One action of a flow rule ({@code struct rte_flow_action}). A rule has one fate action
 * ({@link #queue}, {@link #drop}, {@link #passthru}) and may add others ({@link #mark}); which
 * combinations a PMD takes is its own affair, and {@link Flows#validate} asks it. Pure Java.
 *
 * @param kind  the action
 * @param value its configuration: the queue index for {@code QUEUE}, the mark for {@code MARK}, else 0
 */
public record FlowAction(Kind kind, long value) {
    /** The actions jverbs binds ({@code RTE_FLOW_ACTION_TYPE_*}). */
    public enum Kind {
        /** Sends matching packets to one rx queue ({@code struct rte_flow_action_queue}). */
        QUEUE,
        /** Drops matching packets. */
        DROP,
        /** Leaves the packet to the rules below (the next priority or the default path). */
        PASSTHRU,
        /** Tags matching packets with a 32-bit value the application reads from the mbuf ({@code struct rte_flow_action_mark}). */
        MARK
    }

    public FlowAction {
        if (kind == Kind.QUEUE && (value < 0 || value > 0xFFFF)) {
            throw new IllegalArgumentException("a queue index is 0..65535, got " + value);
        }
        if (kind == Kind.MARK && (value < 0 || value > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("a mark is 32 bits, got " + value);
        }
    }

    /** To rx queue {@code index}. */
    public static FlowAction queue(int index) {
        return new FlowAction(Kind.QUEUE, index);
    }

    public static FlowAction drop() {
        return new FlowAction(Kind.DROP, 0);
    }

    public static FlowAction passthru() {
        return new FlowAction(Kind.PASSTHRU, 0);
    }

    /** Tags with {@code id} (unsigned 32 bits). */
    public static FlowAction mark(long id) {
        return new FlowAction(Kind.MARK, id);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case QUEUE -> "queue " + value;
            case MARK -> "mark " + value;
            default -> kind.name().toLowerCase();
        };
    }
}
