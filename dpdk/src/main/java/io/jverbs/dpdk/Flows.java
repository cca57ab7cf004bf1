package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.dpdk.ffi.RteFlow;
import io.jverbs.dpdk.ffi.rte_flow_action;
import io.jverbs.dpdk.ffi.rte_flow_action_mark;
import io.jverbs.dpdk.ffi.rte_flow_action_queue;
import io.jverbs.dpdk.ffi.rte_flow_attr;
import io.jverbs.dpdk.ffi.rte_flow_error;
import io.jverbs.dpdk.ffi.rte_flow_item;
import io.jverbs.dpdk.ffi.rte_flow_item_eth;
import io.jverbs.dpdk.ffi.rte_flow_item_ipv4;
import io.jverbs.dpdk.ffi.rte_flow_item_tcp;
import io.jverbs.dpdk.ffi.rte_flow_item_udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The generic flow API of one port ({@code rte_flow.h}), from {@link EthPort#flows()}:
 * {@link #validate} and {@link #create} a {@link FlowRule}, {@link #flush} every rule, and
 * {@link #isolate} the port so that only traffic matching its rules reaches it (flow
 * bifurcation: with mlx5, or net_tap with {@code remote=}, the rest stays with the kernel).
 *
 * <p>A refusal is a {@link FlowNotSupportedException} when the PMD answers {@code ENOTSUP} (it
 * cannot match or do that) or {@code ENOSYS} (it has no flow API, e.g. net_null), else a {@link FlowException}; both carry the PMD's
 * {@code rte_flow_error} (the part it blames, its message, and which item or action that is).
 *
 * <p><b>When to isolate.</b> {@link #isolate} must run while the port is stopped: after
 * {@link EthPort#configure} and before {@link EthPort#start()}. rte_flow.h recommends "before the
 * first rte_eth_dev_configure()", but net_tap in DPDK 22.11 acts on it only once its rx queues
 * exist (before that it records the wish and installs no drop rule, so every frame still reaches
 * the port), and mlx5 accepts it on a configured port as long as it is stopped; so
 * configure-isolate-start is the order that works on both, and jverbs enforces it.
 *
 * <p>Control path: each call allocates its native structures in a confined arena.
 */
public final class Flows {
    private final EthPort port;
    private final List<Flow> live = new ArrayList<>();
    private boolean isolated;

    Flows(EthPort port) {
        this.port = port;
    }

    /**
     * {@code rte_flow_validate}: whether the port would take {@code rule}, without installing it.
     *
     * @throws FlowNotSupportedException when the PMD answers ENOTSUP, with its message
     * @throws FlowException             for other refusals (e.g. EINVAL, ERANGE for a queue out of range)
     */
    public void validate(FlowRule rule) {
        port.ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            Encoded n = encode(arena, rule);
            MemorySegment err = arena.allocate(rte_flow_error.layout());
            int rc = RteFlow.rte_flow_validate((short) port.id(), n.attr, n.items, n.actions, err);
            if (rc < 0) {
                throw failure(DpdkCall.FLOW_VALIDATE, -rc, err, rule, n, port, null);
            }
        }
    }

    /**
     * {@code rte_flow_create}: installs {@code rule}; the {@link Flow} is a child of the port.
     *
     * @throws FlowNotSupportedException when the PMD answers ENOTSUP, with its message
     * @throws FlowException             for other refusals
     */
    public Flow create(FlowRule rule) {
        port.ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            Encoded n = encode(arena, rule);
            MemorySegment err = arena.allocate(rte_flow_error.layout());
            MemorySegment f = RteFlow.rte_flow_create((short) port.id(), n.attr, n.items, n.actions, err);
            if (Native.isNull(f)) {
                throw failure(DpdkCall.FLOW_CREATE, RteErrno.get(), err, rule, n, port, null);
            }
            Flow flow = new Flow(port, this, rule, f.address());
            synchronized (live) {
                live.add(flow);
            }
            return flow;
        }
    }

    /** {@code rte_flow_flush}: destroys every rule of the port, those jverbs did not create too; their {@link Flow}s close. */
    public void flush() {
        port.ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(rte_flow_error.layout());
            int rc = RteFlow.rte_flow_flush((short) port.id(), err);
            if (rc < 0) {
                throw failure(DpdkCall.FLOW_FLUSH, -rc, err, null, null, port, null);
            }
        }
        List<Flow> gone;
        synchronized (live) {
            gone = new ArrayList<>(live);
        }
        for (Flow f : gone) {
            f.markFlushed();
            f.close();
        }
    }

    /**
     * {@code rte_flow_isolate}: with {@code on}, only traffic that matches this port's rules
     * reaches it. Call it after {@link EthPort#configure} and before {@link EthPort#start()} (see
     * the class comment for why).
     *
     * @throws IllegalStateException     when the port is not configured yet, or started
     * @throws FlowNotSupportedException when the PMD cannot isolate (e.g. net_tap on a kernel
     *                                   without the tc multiq qdisc and flower classifier)
     */
    public void isolate(boolean on) {
        port.ensureOpen();
        if (port.isStarted()) {
            throw new IllegalStateException(port.name() + " is started: isolate() goes after configure() and before start() "
                    + "(stop() the port first; mlx5 refuses isolation on a started port)");
        }
        if (!port.isConfigured()) {
            throw new IllegalStateException(port.name() + " is not configured: isolate() goes after configure() and before start() "
                    + "(net_tap in DPDK 22.11 ignores isolation requested before its rx queues exist)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(rte_flow_error.layout());
            int rc = RteFlow.rte_flow_isolate((short) port.id(), on ? 1 : 0, err);
            if (rc < 0) {
                throw failure(DpdkCall.FLOW_ISOLATE, -rc, err, null, null, port, on ? "entering isolated mode" : "leaving isolated mode");
            }
        }
        isolated = on;
    }

    /** Whether {@link #isolate} turned isolated mode on. */
    public boolean isIsolated() {
        return isolated;
    }

    /** The live rules created through this object. */
    public List<Flow> list() {
        synchronized (live) {
            return List.copyOf(live);
        }
    }

    void forget(Flow f) {
        synchronized (live) {
            live.remove(f);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Encoding: attr, END-terminated items and actions, and the spec/mask/conf structs they point at.

    /** The native form of one rule, with the ranges that let an error's cause pointer name an item or action. */
    private record Encoded(MemorySegment attr, MemorySegment items, MemorySegment actions, MemorySegment[] specs,
                          MemorySegment[] masks, MemorySegment[] confs, FlowRule rule) {
        /** What the PMD's {@code cause} points at, or null. */
        String describe(long cause) {
            if (cause == 0) return null;
            List<FlowItem> pattern = rule.pattern();
            long is = rte_flow_item.sizeof();
            if (cause >= items.address() && cause < items.address() + items.byteSize()) {
                int i = (int) ((cause - items.address()) / is);
                return i < pattern.size() ? "pattern item " + i + " (" + pattern.get(i) + ")" : "the pattern's END";
            }
            for (int i = 0; i < specs.length; i++) {
                if (within(cause, specs[i])) return "the spec of pattern item " + i + " (" + pattern.get(i) + ")";
                if (within(cause, masks[i])) return "the mask of pattern item " + i + " (" + pattern.get(i) + ")";
            }
            long as = rte_flow_action.sizeof();
            if (cause >= actions.address() && cause < actions.address() + actions.byteSize()) {
                int i = (int) ((cause - actions.address()) / as);
                return i < rule.actions().size() ? "action " + i + " (" + rule.actions().get(i) + ")" : "the actions' END";
            }
            for (int i = 0; i < confs.length; i++) {
                if (within(cause, confs[i])) return "the configuration of action " + i + " (" + rule.actions().get(i) + ")";
            }
            return null;
        }

        private static boolean within(long p, MemorySegment s) {
            return s != null && p >= s.address() && p < s.address() + s.byteSize();
        }
    }

    private static Encoded encode(Arena arena, FlowRule rule) {
        MemorySegment attr = arena.allocate(rte_flow_attr.layout());
        rte_flow_attr.group(attr, rule.group());
        rte_flow_attr.priority(attr, rule.priority());
        byte flags = 0;
        if (rule.ingress()) flags |= (byte) RteFlow.RTE_FLOW_ATTR_INGRESS_BIT;
        if (rule.egress()) flags |= (byte) RteFlow.RTE_FLOW_ATTR_EGRESS_BIT;
        // ingress and egress share a byte (RTE_FLOW_ATTR_*_BYTE, from gcc); transfer stays 0.
        attr.set(ValueLayout.JAVA_BYTE, RteFlow.RTE_FLOW_ATTR_INGRESS_BYTE,
                (byte) (attr.get(ValueLayout.JAVA_BYTE, RteFlow.RTE_FLOW_ATTR_INGRESS_BYTE) | flags));

        List<FlowItem> pattern = rule.pattern();
        long is = rte_flow_item.sizeof();
        MemorySegment items = arena.allocate(is * (pattern.size() + 1), 8);
        MemorySegment[] specs = new MemorySegment[pattern.size()];
        MemorySegment[] masks = new MemorySegment[pattern.size()];
        for (int i = 0; i < pattern.size(); i++) {
            FlowItem item = pattern.get(i);
            MemorySegment it = items.asSlice(i * is, is);
            rte_flow_item.type(it, (int) itemType(item.kind()));
            if (item.hasSpec()) {
                specs[i] = itemStruct(arena, item.kind(), item.spec());
                masks[i] = itemStruct(arena, item.kind(), item.mask());
                rte_flow_item.spec(it, specs[i]);
                rte_flow_item.mask(it, masks[i]);
            }
        }
        rte_flow_item.type(items.asSlice(pattern.size() * is, is), (int) RteFlow.RTE_FLOW_ITEM_TYPE_END);

        List<FlowAction> list = rule.actions();
        long as = rte_flow_action.sizeof();
        MemorySegment actions = arena.allocate(as * (list.size() + 1), 8);
        MemorySegment[] confs = new MemorySegment[list.size()];
        for (int i = 0; i < list.size(); i++) {
            FlowAction a = list.get(i);
            MemorySegment ac = actions.asSlice(i * as, as);
            switch (a.kind()) {
                case QUEUE -> {
                    rte_flow_action.type(ac, (int) RteFlow.RTE_FLOW_ACTION_TYPE_QUEUE);
                    confs[i] = arena.allocate(rte_flow_action_queue.layout());
                    rte_flow_action_queue.index(confs[i], (short) a.value());
                }
                case MARK -> {
                    rte_flow_action.type(ac, (int) RteFlow.RTE_FLOW_ACTION_TYPE_MARK);
                    confs[i] = arena.allocate(rte_flow_action_mark.layout());
                    rte_flow_action_mark.id(confs[i], (int) a.value());
                }
                case DROP -> rte_flow_action.type(ac, (int) RteFlow.RTE_FLOW_ACTION_TYPE_DROP);
                case PASSTHRU -> rte_flow_action.type(ac, (int) RteFlow.RTE_FLOW_ACTION_TYPE_PASSTHRU);
            }
            if (confs[i] != null) rte_flow_action.conf(ac, confs[i]);
        }
        rte_flow_action.type(actions.asSlice(list.size() * as, as), (int) RteFlow.RTE_FLOW_ACTION_TYPE_END);
        return new Encoded(attr, items, actions, specs, masks, confs, rule);
    }

    private static long itemType(FlowItem.Kind kind) {
        return switch (kind) {
            case ETH -> RteFlow.RTE_FLOW_ITEM_TYPE_ETH;
            case IPV4 -> RteFlow.RTE_FLOW_ITEM_TYPE_IPV4;
            case UDP -> RteFlow.RTE_FLOW_ITEM_TYPE_UDP;
            case TCP -> RteFlow.RTE_FLOW_ITEM_TYPE_TCP;
        };
    }

    /** A zeroed {@code struct rte_flow_item_*} with the wire header copied to its {@code hdr}. */
    private static MemorySegment itemStruct(Arena arena, FlowItem.Kind kind, byte[] header) {
        MemorySegment s;
        long hdr;
        switch (kind) {
            case ETH -> { s = arena.allocate(rte_flow_item_eth.layout()); hdr = rte_flow_item_eth.hdr$offset(); }
            case IPV4 -> { s = arena.allocate(rte_flow_item_ipv4.layout()); hdr = rte_flow_item_ipv4.hdr$offset(); }
            case UDP -> { s = arena.allocate(rte_flow_item_udp.layout()); hdr = rte_flow_item_udp.hdr$offset(); }
            case TCP -> { s = arena.allocate(rte_flow_item_tcp.layout()); hdr = rte_flow_item_tcp.hdr$offset(); }
            default -> throw new AssertionError(kind);
        }
        MemorySegment.copy(header, 0, s, ValueLayout.JAVA_BYTE, hdr, header.length);
        return s;
    }

    // ---------------------------------------------------------------------------------------------

    private static final long[] ERROR_TYPES = {
        RteFlow.RTE_FLOW_ERROR_TYPE_NONE, RteFlow.RTE_FLOW_ERROR_TYPE_UNSPECIFIED, RteFlow.RTE_FLOW_ERROR_TYPE_HANDLE,
        RteFlow.RTE_FLOW_ERROR_TYPE_ATTR_GROUP, RteFlow.RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, RteFlow.RTE_FLOW_ERROR_TYPE_ATTR_INGRESS,
        RteFlow.RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, RteFlow.RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER, RteFlow.RTE_FLOW_ERROR_TYPE_ATTR,
        RteFlow.RTE_FLOW_ERROR_TYPE_ITEM_NUM, RteFlow.RTE_FLOW_ERROR_TYPE_ITEM_SPEC, RteFlow.RTE_FLOW_ERROR_TYPE_ITEM_LAST,
        RteFlow.RTE_FLOW_ERROR_TYPE_ITEM_MASK, RteFlow.RTE_FLOW_ERROR_TYPE_ITEM, RteFlow.RTE_FLOW_ERROR_TYPE_ACTION_NUM,
        RteFlow.RTE_FLOW_ERROR_TYPE_ACTION_CONF, RteFlow.RTE_FLOW_ERROR_TYPE_ACTION, RteFlow.RTE_FLOW_ERROR_TYPE_STATE,
    };

    /** {@code enum rte_flow_error_type} to {@link FlowError.Type}, by the values gcc gave (ERROR_TYPES follows Type's order). */
    static FlowError.Type errorType(int value) {
        for (int i = 0; i < ERROR_TYPES.length; i++) {
            if (ERROR_TYPES[i] == value) return FlowError.Type.values()[i];
        }
        return FlowError.Type.OTHER;
    }

    /** The exception for a failed flow call: ENOTSUP is {@link FlowNotSupportedException}, the rest {@link FlowException}. */
    static RuntimeException failure(DpdkCall call, int errno, MemorySegment err, FlowRule rule, Encoded n, EthPort port, String what) {
        long cause = rte_flow_error.cause(err).address();
        FlowError fe = new FlowError(errorType(rte_flow_error.type(err)), Native.string(rte_flow_error.message(err)),
                n == null ? null : n.describe(cause));
        String device = port.name() + " (" + port.driverName() + ")";
        String subject = what != null ? what : rule == null ? "" : "flow rule [" + rule + "]";
        // ENOSYS: the PMD has no flow API at all (rte_flow_ops_get).
        if (NotSupportedException.isNotSupported(errno) || errno == Errno.ENOSYS) {
            return new FlowNotSupportedException(subject.isEmpty() ? call.function() : subject, device, call, errno, fe);
        }
        return new FlowException(call, errno, fe, subject.isEmpty() ? device : subject + " on " + device);
    }
}
