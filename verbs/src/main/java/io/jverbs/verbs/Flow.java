package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_flow_attr;
import io.jverbs.verbs.ffi.ibv_flow_eth_filter;
import io.jverbs.verbs.ffi.ibv_flow_ipv4_filter;
import io.jverbs.verbs.ffi.ibv_flow_spec_eth;
import io.jverbs.verbs.ffi.ibv_flow_spec_ipv4;
import io.jverbs.verbs.ffi.ibv_flow_spec_tcp_udp;
import io.jverbs.verbs.ffi.ibv_flow_tcp_udp_filter;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flow steering rule ({@code ibv_create_flow}) that sends matching frames to one QP, a child of
 * that QP: closing the QP destroys its rules first. Built with {@link #builder}: a destination
 * MAC (an Ethernet spec is always there, all-ones mask when set), then optionally IPv4 source and
 * destination and a UDP or TCP port pair, each matched exactly (all-ones masks). On mlx5 a
 * RAW_PACKET QP receives nothing until it has a rule.
 *
 * <p>{@code ibv_create_flow} is inline in verbs.h: it calls the provider's {@code verbs_context}
 * slot, as this class does; a provider without the slot is {@link NotSupportedException}.
 */
public final class Flow extends NativeResource {
    // enum ibv_flow_spec_type, enum ibv_flow_attr_type
    private static final int SPEC_ETH = 0x20, SPEC_IPV4 = 0x30, SPEC_TCP = 0x40, SPEC_UDP = 0x41, ATTR_NORMAL = 0;
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** What a rule matches; fields left unset match anything. Fluent and mutable. */
    public static final class Builder {
        private final int port;
        private long dstMac = -1;
        private int srcIp;
        private int dstIp;
        private boolean ipv4;
        private boolean srcIpSet;
        private boolean dstIpSet;
        private int l4 = -1;
        private int srcPort = -1;
        private int dstPort = -1;
        private int priority;

        private Builder(int port) {
            if (port < 1 || port > 255) {
                throw new IllegalArgumentException("port numbers start at 1, got " + port);
            }
            this.port = port;
        }

        /** Frames to this MAC (48 bits, e.g. {@code 0x0200_0000_0001L}). */
        public Builder destinationMac(long mac) {
            if (mac < 0 || mac > 0xFFFF_FFFF_FFFFL) throw new IllegalArgumentException("not a 48-bit MAC: " + Long.toHexString(mac));
            this.dstMac = mac;
            return this;
        }

        /** IPv4 packets from this address (host order, e.g. 10.0.0.1 is {@code 0x0A000001}). */
        public Builder sourceIpv4(int address) {
            this.ipv4 = true;
            this.srcIpSet = true;
            this.srcIp = address;
            return this;
        }

        /** IPv4 packets to this address. */
        public Builder destinationIpv4(int address) {
            this.ipv4 = true;
            this.dstIpSet = true;
            this.dstIp = address;
            return this;
        }

        /** UDP datagrams; ports -1 match any. */
        public Builder udp(int sourcePort, int destinationPort) {
            return l4(SPEC_UDP, sourcePort, destinationPort);
        }

        /** TCP segments; ports -1 match any. */
        public Builder tcp(int sourcePort, int destinationPort) {
            return l4(SPEC_TCP, sourcePort, destinationPort);
        }

        private Builder l4(int type, int sourcePort, int destinationPort) {
            if (sourcePort < -1 || sourcePort > 0xFFFF || destinationPort < -1 || destinationPort > 0xFFFF) {
                throw new IllegalArgumentException("ports are 0..65535 or -1 (any), got " + sourcePort + " and " + destinationPort);
            }
            this.ipv4 = true;
            this.l4 = type;
            this.srcPort = sourcePort;
            this.dstPort = destinationPort;
            return this;
        }

        /** Rule priority (0 is the highest). */
        public Builder priority(int priority) {
            if (priority < 0 || priority > 0xFFFF) throw new IllegalArgumentException("priority 0..65535, got " + priority);
            this.priority = priority;
            return this;
        }

        /** Creates the rule on {@code qp}. */
        public Flow create(QueuePair qp) {
            return new Flow(qp, this);
        }
    }

    /** A rule for frames arriving on {@code port} (from 1). */
    public static Builder builder(int port) {
        return new Builder(port);
    }

    private final QueuePair qp;
    private final MemorySegment flow;
    private final MemorySegment destroyFn;

    private Flow(QueuePair qp, Builder b) {
        super(qp);
        this.qp = qp;
        Context ctx = qp.context();
        MemorySegment createFn = ctx.extendedOp(verbs_context.ibv_create_flow$offset());
        MemorySegment destroy = ctx.extendedOp(verbs_context.ibv_destroy_flow$offset());
        if (Native.isNull(createFn) || Native.isNull(destroy)) {
            throw new NotSupportedException("flow rules (ibv_create_flow)", ctx.device().name(),
                    "the provider has no create_flow; mlx5 has", VerbsCall.CREATE_FLOW, io.jverbs.core.Errno.EOPNOTSUPP);
        }
        this.destroyFn = destroy;
        long ethSize = ibv_flow_spec_eth.sizeof();
        long ipSize = b.ipv4 ? ibv_flow_spec_ipv4.sizeof() : 0;
        long l4Size = b.l4 >= 0 ? ibv_flow_spec_tcp_udp.sizeof() : 0;
        long size = ibv_flow_attr.sizeof() + ethSize + ipSize + l4Size;
        MemorySegment created;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(size, 8);
            ibv_flow_attr.type(attr, ATTR_NORMAL);
            ibv_flow_attr.size(attr, (short) size);
            ibv_flow_attr.priority(attr, (short) b.priority);
            ibv_flow_attr.num_of_specs(attr, (byte) (1 + (b.ipv4 ? 1 : 0) + (b.l4 >= 0 ? 1 : 0)));
            ibv_flow_attr.port(attr, (byte) b.port);
            long at = ibv_flow_attr.sizeof();
            MemorySegment eth = attr.asSlice(at, ethSize);
            ibv_flow_spec_eth.type(eth, SPEC_ETH);
            ibv_flow_spec_eth.size(eth, (short) ethSize);
            if (b.dstMac >= 0) {
                MemorySegment val = ibv_flow_eth_filter.dst_mac(ibv_flow_spec_eth.val(eth));
                MemorySegment mask = ibv_flow_eth_filter.dst_mac(ibv_flow_spec_eth.mask(eth));
                for (int i = 0; i < 6; i++) {
                    val.set(ValueLayout.JAVA_BYTE, i, (byte) (b.dstMac >>> (40 - 8 * i)));
                    mask.set(ValueLayout.JAVA_BYTE, i, (byte) 0xFF);
                }
            }
            if (b.ipv4) {
                // An IPv4 or L4 spec without an EtherType match: the provider infers it from the spec that follows.
                MemorySegment ip = attr.asSlice(at += ethSize, ipSize);
                ibv_flow_spec_ipv4.type(ip, SPEC_IPV4);
                ibv_flow_spec_ipv4.size(ip, (short) ipSize);
                long v = ibv_flow_spec_ipv4.val$offset(), m = ibv_flow_spec_ipv4.mask$offset();
                if (b.srcIpSet) {
                    ip.set(U32_BE, v + ibv_flow_ipv4_filter.src_ip$offset(), b.srcIp);
                    ip.set(U32_BE, m + ibv_flow_ipv4_filter.src_ip$offset(), -1);
                }
                if (b.dstIpSet) {
                    ip.set(U32_BE, v + ibv_flow_ipv4_filter.dst_ip$offset(), b.dstIp);
                    ip.set(U32_BE, m + ibv_flow_ipv4_filter.dst_ip$offset(), -1);
                }
            }
            if (b.l4 >= 0) {
                MemorySegment l4 = attr.asSlice(at + ipSize, l4Size);
                ibv_flow_spec_tcp_udp.type(l4, b.l4);
                ibv_flow_spec_tcp_udp.size(l4, (short) l4Size);
                long v = ibv_flow_spec_tcp_udp.val$offset(), m = ibv_flow_spec_tcp_udp.mask$offset();
                if (b.srcPort >= 0) {
                    l4.set(U16_BE, v + ibv_flow_tcp_udp_filter.src_port$offset(), (short) b.srcPort);
                    l4.set(U16_BE, m + ibv_flow_tcp_udp_filter.src_port$offset(), (short) -1);
                }
                if (b.dstPort >= 0) {
                    l4.set(U16_BE, v + ibv_flow_tcp_udp_filter.dst_port$offset(), (short) b.dstPort);
                    l4.set(U16_BE, m + ibv_flow_tcp_udp_filter.dst_port$offset(), (short) -1);
                }
            }
            created = (MemorySegment) Ops.CREATE_FLOW.invokeExact(createFn, Native.errnoState(), qp.segment(), attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(created)) {
            throw Checks.error(VerbsCall.CREATE_FLOW, Native.lastErrno(), ctx.device().name(), "flow rules on " + qp.type() + " QPs");
        }
        this.flow = created;
        attach();
    }

    /** The QP the rule steers to. */
    public QueuePair queuePair() {
        return qp;
    }

    /** The {@code struct ibv_flow *}. */
    public MemorySegment segment() {
        checkOpen();
        return flow;
    }

    @Override
    protected void destroy() {
        int rc;
        try {
            rc = (int) Ops.DESTROY.invokeExact(destroyFn, flow);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.DESTROY_FLOW, rc, qp.context().device().name());
    }

    @Override
    protected String describe() {
        return "Flow(qpn 0x" + Integer.toHexString(qp.qpNumber()) + ")";
    }
}
