package io.jverbs.dpdk;

import java.util.ArrayList;
import java.util.List;

/**
 * A flow rule as {@code rte_flow_validate}/{@code rte_flow_create} take it: attributes (ingress,
 * group, priority), a pattern of {@link FlowItem}s and a list of {@link FlowAction}s. Immutable,
 * pure Java; build it once and hand it to {@link Flows#validate} and {@link Flows#create}.
 *
 * {@snippet :
 * FlowRule rule = FlowRule.builder()
 *         .pattern(FlowItem.eth(), FlowItem.ipv4(), FlowItem.udp().dstPort(9000))
 *         .actions(FlowAction.queue(0))
 *         .build();
 * }
 *
 * @param ingress  applies to received traffic (the usual case)
 * @param egress   applies to sent traffic
 * @param group    the rule's group (PMDs number them from 0, the default group)
 * @param priority lower is matched first, 0 is the highest
 * @param pattern  the items, lowest layer first
 * @param actions  what to do with a match
 */
public record FlowRule(boolean ingress, boolean egress, int group, int priority, List<FlowItem> pattern,
                       List<FlowAction> actions) {
    public FlowRule {
        if (!ingress && !egress) {
            throw new IllegalArgumentException("a flow rule applies to ingress, egress or both");
        }
        if (group < 0 || priority < 0) {
            throw new IllegalArgumentException("group and priority are unsigned, got " + group + " and " + priority);
        }
        if (actions.isEmpty()) {
            throw new IllegalArgumentException("a flow rule needs an action (queue, drop, passthru, ...)");
        }
        pattern = pattern.stream().map(FlowItem::copy).toList();
        actions = List.copyOf(actions);
    }

    /** A builder; the rule applies to received traffic unless {@link Builder#egress()} says otherwise. */
    public static Builder builder() {
        return new Builder();
    }

    /** The items (copies: a rule is immutable). */
    @Override
    public List<FlowItem> pattern() {
        return pattern.stream().map(FlowItem::copy).toList();
    }

    /** testpmd's form: {@code ingress group 0 priority 1 pattern eth / ipv4 / udp dst 9000 / end actions queue 0 / end}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (ingress) s.append("ingress ");
        if (egress) s.append("egress ");
        s.append("group ").append(group).append(" priority ").append(priority).append(" pattern ");
        for (FlowItem i : pattern) s.append(i).append(" / ");
        s.append("end actions ");
        for (FlowAction a : actions) s.append(a).append(" / ");
        return s.append("end").toString();
    }

    /** Builds a {@link FlowRule}. */
    public static final class Builder {
        private boolean ingress;
        private boolean egress;
        private int group;
        private int priority;
        private final List<FlowItem> pattern = new ArrayList<>();
        private final List<FlowAction> actions = new ArrayList<>();

        private Builder() {}

        /** Applies to received traffic (the default when neither this nor {@link #egress()} is called). */
        public Builder ingress() {
            ingress = true;
            return this;
        }

        /** Applies to sent traffic. */
        public Builder egress() {
            egress = true;
            return this;
        }

        /** The group (default 0). */
        public Builder group(int group) {
            this.group = group;
            return this;
        }

        /** The priority within the group (default 0, the highest). */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /** Appends items to the pattern, lowest layer first. */
        public Builder pattern(FlowItem... items) {
            for (FlowItem i : items) pattern.add(i.copy());
            return this;
        }

        /** Appends actions. */
        public Builder actions(FlowAction... list) {
            actions.addAll(List.of(list));
            return this;
        }

        public FlowRule build() {
            return new FlowRule(ingress || !egress, egress, group, priority, pattern, actions);
        }
    }
}
