package io.jverbs.raweth.verbs;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeResource;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortCounters;
import io.jverbs.raweth.port.PortStats;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.Flow;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link PacketPort} over an ibverbs RAW_PACKET QP (mlx5): whole Ethernet frames, steered to the
 * QP by {@code ibv_create_flow} rules (frames to the port's MAC, optionally narrowed by IPv4
 * addresses and UDP/TCP ports). One {@link NativeBuffer} registered as one MR holds every frame
 * slot: receive slots are posted to the QP and come back through the receive CQ; transmit slots are
 * handed out by {@link #allocate} and return when their send completes. {@link FrameBurst#memory()}
 * is that buffer, a handle is a slot number. Nothing is allocated per burst.
 *
 * <p>Offloads from the device's {@code raw_packet_caps}: with {@code IBV_RAW_PACKET_CAP_IP_CSUM}
 * a frame flagged {@link FrameBurst#TX_IP_CHECKSUM} or {@link FrameBurst#TX_L4_CHECKSUM} is posted
 * with {@code IBV_SEND_IP_CSUM} (the device fills both), and a receive completion with
 * {@code IBV_WC_IP_CSUM_OK} carries both RX flags. TSO needs {@code ibv_wr_send_tso} and is not
 * offered here ({@link PortCapabilities#tsoMaxFrame()} 0).
 *
 * <p>Devices without RAW_PACKET QPs (Soft-RoCE) make {@link #open} throw
 * {@link io.jverbs.core.NotSupportedException} naming the device and the feature, after closing
 * whatever it had created. The port owns its PD, CQs, QP, rules, buffer and MR and closes them;
 * it is a child of the {@link Context}. A port opened by {@link VerbsOpener} ({@code verbs:} specs)
 * owns its context too and closes it last.
 */
public final class RawPacketPort extends NativeResource implements PacketPort {
    /**
     * How to open a port.
     *
     * @param port the device port, from 1
     * @param mac the MAC address frames to this port carry (the NIC netdev's); the rule steers them here
     * @param mtu the link's MTU
     * @param receiveFrames receive slots posted to the QP
     * @param transmitFrames transmit slots
     * @param maxBurst most frames per receive or transmit
     * @param rules more narrowly matching rules to use instead of the one for {@code mac} alone
     *        (each gets the MAC added), or empty
     */
    public record Config(int port, MacAddress mac, int mtu, int receiveFrames, int transmitFrames, int maxBurst,
                         List<Flow.Builder> rules) {
        public Config {
            Objects.requireNonNull(mac, "mac");
            rules = List.copyOf(rules);
            if (port < 1 || mtu < 68 || receiveFrames < 1 || transmitFrames < 1 || maxBurst < 1) {
                throw new IllegalArgumentException("port >= 1, mtu >= 68, frames and maxBurst >= 1: " + this);
            }
        }

        /** Port {@code port}, MTU 1500, 512 frames each way, bursts of 32, one rule for {@code mac}. */
        public static Config of(int port, MacAddress mac) {
            return new Config(port, mac, 1500, 512, 512, 32, List.of());
        }
    }

    private static final int RX_FRAMES = 0, RX_BYTES = 1, TX_FRAMES = 2, TX_BYTES = 3, RX_ERRORS = 4, TX_ERRORS = 5;

    private final String name;
    private final PortCapabilities capabilities;
    private final ProtectionDomain pd;
    private final CompletionQueue sendCq;
    private final CompletionQueue recvCq;
    private final QueuePair qp;
    private final NativeBuffer buffer;
    private final MemoryRegion mr;
    private final MemorySegment memory;
    private final int lkey;
    private final long base;
    private final int slotSize;
    private final int rxSlots;
    /** Transmit slots free to allocate (a stack of slot numbers). */
    private final int[] txFree;
    private int txFreeCount;
    private final WorkCompletions rxWc;
    private int rxNext;
    private int rxCount;
    private final WorkCompletions txWc;
    private final ReceiveRequests recvs;
    private final SendRequests sends;
    private final boolean checksum;
    private final PortCounters counters = new PortCounters(6);
    /** The context {@link VerbsOpener} opened for this port alone, closed after it, or null. */
    private final Context ownedContext;

    private RawPacketPort(Context ctx, Config c, List<NativeResource> made, boolean ownsContext) {
        super(ctx);
        this.ownedContext = ownsContext ? ctx : null;
        this.name = "verbs:" + ctx.device().name() + "/" + c.port();
        DeviceAttributes attrs = ctx.queryDevice();
        this.checksum = attrs.supportsRawPacketChecksum();
        this.pd = add(made, ctx.allocateProtectionDomain());
        this.sendCq = add(made, ctx.createCompletionQueue(c.transmitFrames()));
        this.recvCq = add(made, ctx.createCompletionQueue(c.receiveFrames()));
        // The QP first of the rest: it is what a device without RAW_PACKET refuses.
        this.qp = add(made, pd.createQueuePair(new QueuePair.Config(QpType.RAW_PACKET, sendCq, recvCq)
                .maxSendWr(c.transmitFrames()).maxRecvWr(c.receiveFrames())));
        int maxFrame = c.mtu() + 18;
        this.slotSize = (maxFrame + 63) & ~63;
        this.rxSlots = c.receiveFrames();
        this.buffer = add(made, NativeBuffer.allocate((long) slotSize * (c.receiveFrames() + c.transmitFrames())));
        this.mr = add(made, pd.register(buffer, Access.LOCAL_WRITE));
        this.memory = buffer.segment();
        this.base = buffer.address();
        this.lkey = mr.lkey();
        PathSettings path = new PathSettings().port(c.port());
        qp.toInit(path);
        if (c.rules().isEmpty()) {
            add(made, Flow.builder(c.port()).destinationMac(c.mac().value()).create(qp));
        } else {
            for (Flow.Builder r : c.rules()) {
                add(made, r.destinationMac(c.mac().value()).create(qp));
            }
        }
        this.recvs = new ReceiveRequests(Math.max(c.maxBurst(), Math.min(c.receiveFrames(), 256)), 1);
        this.sends = new SendRequests(c.maxBurst(), 1);
        for (int s = 0; s < rxSlots; ) {
            recvs.clear();
            for (int k = 0; k < recvs.capacity() && s < rxSlots; k++, s++) {
                recvs.add(s).sge(base + (long) s * slotSize, slotSize, lkey);
            }
            qp.postReceive(recvs);
        }
        qp.toRtr(null, path);
        qp.toRts(0, path);
        this.txFree = new int[c.transmitFrames()];
        for (int i = 0; i < txFree.length; i++) txFree[i] = rxSlots + txFree.length - 1 - i;
        this.txFreeCount = txFree.length;
        this.rxWc = new WorkCompletions(c.maxBurst());
        this.txWc = new WorkCompletions(c.transmitFrames());
        this.capabilities = new PortCapabilities(c.mac(), c.mtu(), maxFrame, c.maxBurst(), checksum, checksum, checksum, 0);
        attach();
    }

    private static <T extends NativeResource> T add(List<NativeResource> made, T r) {
        made.add(r);
        return r;
    }

    /**
     * Opens a RAW_PACKET port on {@code ctx}.
     *
     * @throws io.jverbs.core.NotSupportedException on a device without RAW_PACKET QPs or flow
     *         steering (Soft-RoCE), after releasing everything made so far
     */
    public static RawPacketPort open(Context ctx, Config config) {
        return open(ctx, config, false);
    }

    /** As above; with {@code ownsContext} the port closes {@code ctx} after itself, and so does a failed open. */
    static RawPacketPort open(Context ctx, Config config, boolean ownsContext) {
        List<NativeResource> made = new ArrayList<>();
        try {
            return new RawPacketPort(ctx, config, made, ownsContext);
        } catch (RuntimeException | Error e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    made.get(i).close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (ownsContext) {
                try {
                    ctx.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The QP underneath, for more flow rules ({@link Flow#builder}) or statistics. */
    public QueuePair queuePair() {
        checkOpen();
        return qp;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public PortCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public int receive(FrameBurst burst) {
        checkOpen();
        burst.requireEmpty(name(), "receive");
        if (rxNext >= rxCount) {
            rxNext = 0;
            rxCount = recvCq.poll(rxWc, Math.min(burst.capacity(), rxWc.capacity()));
        }
        int out = 0;
        int bad = 0;
        long bytes = 0;
        int room = burst.capacity();
        recvs.clear();
        int i = rxNext;
        for (; i < rxCount && out < room; i++) {
            int slot = (int) rxWc.wrId(i);
            if (!rxWc.isSuccess(i)) {
                // A failed receive (a flushed or bad frame): its slot goes straight back.
                recvs.add(slot).sge(base + (long) slot * slotSize, slotSize, lkey);
                bad++;
                continue;
            }
            int length = rxWc.byteLength(i);
            int flags = (rxWc.flags(i) & WorkCompletions.FLAG_IP_CSUM_OK) != 0
                    ? FrameBurst.RX_IP_CHECKSUM_GOOD | FrameBurst.RX_L4_CHECKSUM_GOOD : 0;
            burst.set(out++, (long) slot * slotSize, length, length, flags, slot);
            bytes += length;
        }
        rxNext = i;
        if (bad > 0) {
            qp.postReceive(recvs);
            counters.add(RX_ERRORS, bad);
        }
        burst.memory(memory);
        burst.count(out);
        counters.add(RX_FRAMES, out);
        counters.add(RX_BYTES, bytes);
        return out;
    }

    @Override
    public void release(FrameBurst burst) {
        checkOpen();
        int n = burst.count();
        recvs.clear();
        for (int i = 0; i < n; i++) {
            int slot = (int) burst.handle(i);
            if (slot < rxSlots) {
                if (recvs.size() == recvs.capacity()) {
                    qp.postReceive(recvs);
                    recvs.clear();
                }
                recvs.add(slot).sge(base + (long) slot * slotSize, slotSize, lkey);
            } else {
                txFree[txFreeCount++] = slot;
            }
        }
        if (recvs.size() > 0) {
            qp.postReceive(recvs);
        }
        burst.count(0);
    }

    /** Returns the slots of completed sends to the free stack. */
    private void reapSends() {
        int n = sendCq.poll(txWc);
        for (int i = 0; i < n; i++) {
            if (!txWc.isSuccess(i)) counters.add(TX_ERRORS, 1);
            txFree[txFreeCount++] = (int) txWc.wrId(i);
        }
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        checkOpen();
        burst.requireEmpty(name(), "allocate");
        if (txFreeCount < n) reapSends();
        int k = Math.min(Math.min(n, burst.capacity()), Math.min(txFreeCount, capabilities.maxBurst()));
        for (int i = 0; i < k; i++) {
            int slot = txFree[--txFreeCount];
            burst.set(i, (long) slot * slotSize, 0, slotSize, 0, slot);
        }
        burst.memory(memory);
        burst.count(Math.max(k, 0));
        return Math.max(k, 0);
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        checkOpen();
        if (n < 0 || n > burst.count()) {
            throw new IndexOutOfBoundsException("transmit " + n + " of " + burst.count() + " frames");
        }
        int k = Math.min(n, sends.capacity());
        sends.clear();
        long bytes = 0;
        for (int i = 0; i < k; i++) {
            int flags = burst.flags(i);
            int send = SendFlags.SIGNALED;
            if ((flags & (FrameBurst.TX_IP_CHECKSUM | FrameBurst.TX_L4_CHECKSUM)) != 0) {
                if (!checksum) {
                    throw new IllegalArgumentException("frame " + i + " asks for checksum offload but " + name
                            + " has no IBV_RAW_PACKET_CAP_IP_CSUM (see capabilities())");
                }
                send |= SendFlags.IP_CSUM;
            }
            if ((flags & FrameBurst.TX_TCP_SEGMENTATION) != 0) {
                throw new IllegalArgumentException("frame " + i + " asks for TSO, which " + name + " does not offer");
            }
            int length = burst.length(i);
            sends.add(burst.handle(i), WrOpcode.SEND, send).sge(base + burst.offset(i), length, lkey);
            bytes += length;
        }
        if (k > 0) {
            qp.postSend(sends);
        }
        burst.removeFirst(k);
        counters.add(TX_FRAMES, k);
        counters.add(TX_BYTES, bytes);
        return k;
    }

    @Override
    public boolean awaitReceive(long timeoutNanos) {
        checkOpen();
        if (rxNext < rxCount) {
            return true;
        }
        long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        for (int spins = 0; ; spins++) {
            rxNext = 0;
            rxCount = recvCq.poll(rxWc);
            if (rxCount > 0) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            PortCounters.pause(spins);
        }
    }

    @Override
    public PortStats stats() {
        checkOpen();
        return new PortStats(counters.get(RX_FRAMES), counters.get(RX_BYTES), counters.get(TX_FRAMES), counters.get(TX_BYTES), 0,
                counters.get(RX_ERRORS), counters.get(TX_ERRORS));
    }


    @Override
    protected void destroy() {
        // The PD closes the QP, its rules and the MR; the CQs and the buffer after them.
        try {
            pd.close();
            sendCq.close();
            recvCq.close();
            buffer.close();
        } finally {
            if (ownedContext != null) {
                ownedContext.close(); // its children list still holds this port, closed already
            }
        }
    }

    @Override
    protected String describe() {
        return "RawPacketPort(" + name + ")";
    }
}
