package io.jverbs.dpdk;

import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.dpdk.ffi.RteEal;
import io.jverbs.dpdk.ffi.RteEthdev;
import io.jverbs.dpdk.ffi.rte_eth_conf;
import io.jverbs.dpdk.ffi.rte_eth_desc_lim;
import io.jverbs.dpdk.ffi.rte_eth_dev_info;
import io.jverbs.dpdk.ffi.rte_eth_dev_portconf;
import io.jverbs.dpdk.ffi.rte_eth_fp_ops;
import io.jverbs.dpdk.ffi.rte_eth_link;
import io.jverbs.dpdk.ffi.rte_eth_rxmode;
import io.jverbs.dpdk.ffi.rte_eth_stats;
import io.jverbs.dpdk.ffi.rte_eth_txmode;
import io.jverbs.dpdk.ffi.rte_eth_xstat;
import io.jverbs.dpdk.ffi.rte_eth_xstat_name;
import io.jverbs.dpdk.ffi.rte_ether_addr;
import io.jverbs.dpdk.ffi.rte_ethdev_qdata;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An ethdev port, a child of the {@link Eal}: {@link #configure}, {@link #start}, the burst fast
 * path, {@link #stop}; {@link #close()} stops it and runs {@code rte_eth_dev_close}. One object
 * per port id ({@link #byName} and {@link #of} return the live one).
 *
 * <p>{@code rte_eth_rx_burst}/{@code rte_eth_tx_burst} are inline in the headers. This class does
 * what they do: at every {@link #start()} it re-reads {@code rte_eth_fp_ops[port]} (it holds
 * dummies before start and after stop) and binds each queue's burst function to its data pointer
 * in a {@link BoundBurst}, whose handle the JIT sees as a constant; a burst is then one downcall
 * ({@code Linker.Option.critical}), plus a read of the queue's callback slot, and when a callback
 * is installed ({@code rte_eth_add_rx_callback}, …) the exported
 * {@code rte_eth_call_rx_callbacks}/{@code rte_eth_call_tx_callbacks} runs as in C. Nothing is
 * allocated per burst. A port is used by one thread per queue, as in DPDK; bursting on a port that
 * is not started throws {@link IllegalStateException}.
 */
public final class EthPort extends NativeResource {
    // Callbacks are arbitrary code (they may block or call back into Java): no critical option.
    private static final MethodHandle RX_CALLBACKS = Native.LINKER.downcallHandle(RteEthdev.rte_eth_call_rx_callbacks$address(),
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT, JAVA_SHORT, JAVA_LONG));
    private static final MethodHandle TX_CALLBACKS = Native.LINKER.downcallHandle(RteEthdev.rte_eth_call_tx_callbacks$address(),
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT, JAVA_LONG));

    private static final long FP_OPS_SIZE = rte_eth_fp_ops.sizeof();
    private static final BoundBurst[] NO_QUEUES = new BoundBurst[0];
    private static final int NAME_MAX = 64; // RTE_ETH_NAME_MAX_LEN

    private final Eal eal;
    private final int portId;
    private final String name;
    private int rxQueues;
    private int txQueues;
    private MbufPool rxPool;
    private boolean configured;
    private final Flows flows = new Flows(this);

    // The fast path's state, read again at every start.
    private boolean started;
    /** Each queue's burst function bound to its data pointer while started; empty otherwise, so one index check also catches a stopped port. */
    private BoundBurst[] rxQueue = NO_QUEUES;
    private BoundBurst[] txQueue = NO_QUEUES;
    /** {@code fp_ops.rxq.clbk}/{@code txq.clbk}: arrays of per-queue callback slots. */
    private long rxCallbacks;
    private long txCallbacks;

    private EthPort(Eal eal, int portId) {
        super(eal);
        this.eal = eal;
        this.portId = portId;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(NAME_MAX);
            int rc = RteEthdev.rte_eth_dev_get_name_by_port((short) portId, buf);
            this.name = rc == 0 ? buf.getString(0) : "port " + portId;
        }
        attach();
    }

    /**
     * The port EAL created for a device, by its name ({@code rte_eth_dev_get_port_by_name}), e.g.
     * {@code "net_ring0"} for {@code --vdev net_ring0}.
     *
     * @throws DpdkException ({@code ENODEV}) when there is no such port; the message lists the ports there are
     */
    public static EthPort byName(Eal eal, String name) {
        eal.checkLive();
        int id;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_SHORT);
            int rc = RteEthdev.rte_eth_dev_get_port_by_name(arena.allocateFrom(name), out);
            if (rc < 0) {
                throw new DpdkException(DpdkCall.ETH_DEV_GET_PORT_BY_NAME, -rc,
                        DpdkCall.ETH_DEV_GET_PORT_BY_NAME.hint(-rc) + "; no port is named '" + name + "', the ports are "
                                + portNames(eal));
            }
            id = Short.toUnsignedInt(out.get(JAVA_SHORT, 0));
        }
        return of(eal, id);
    }

    /** The port with id {@code portId}. */
    public static EthPort of(Eal eal, int portId) {
        eal.checkLive();
        if (portId < 0 || portId >= eal.ports.length || RteEthdev.rte_eth_dev_is_valid_port((short) portId) == 0) {
            throw new IllegalArgumentException("no port " + portId + ": the ports are " + portNames(eal));
        }
        synchronized (eal.ports) {
            EthPort p = eal.ports[portId];
            if (p == null || p.isClosed()) {
                p = new EthPort(eal, portId);
                eal.ports[portId] = p;
            }
            return p;
        }
    }

    private static List<String> portNames(Eal eal) {
        List<String> names = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(NAME_MAX);
            for (int id : eal.portIds()) {
                names.add(RteEthdev.rte_eth_dev_get_name_by_port((short) id, buf) == 0 ? buf.getString(0) + " (" + id + ")" : "port " + id);
            }
        }
        return names;
    }

    public int id() {
        return portId;
    }

    /** The device name, e.g. {@code net_ring0}. */
    public String name() {
        return name;
    }

    public boolean isStarted() {
        return started;
    }

    /** The port's generic flow API (rte_flow): rules, and isolation between configure and start. */
    public Flows flows() {
        checkOpen();
        return flows;
    }

    boolean isConfigured() {
        return configured;
    }

    void ensureOpen() {
        checkOpen();
    }

    /** The PMD's name for error messages, e.g. {@code net_tap}; never throws. */
    String driverName() {
        try {
            return info().driverName();
        } catch (RuntimeException e) {
            return "driver unknown";
        }
    }

    /** Rx queues set up by {@link #configure}. */
    public int rxQueues() {
        return rxQueues;
    }

    /** Tx queues set up by {@link #configure}. */
    public int txQueues() {
        return txQueues;
    }

    // ---------------------------------------------------------------------------------------------
    // Control path

    /** {@code rte_eth_dev_info_get}. */
    public DeviceInfo info() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment di = arena.allocate(rte_eth_dev_info.layout());
            check(DpdkCall.ETH_DEV_INFO_GET, RteEthdev.rte_eth_dev_info_get((short) portId, di));
            long rxCapa = rte_eth_dev_info.rx_offload_capa(di);
            long txCapa = rte_eth_dev_info.tx_offload_capa(di);
            return new DeviceInfo(Native.string(rte_eth_dev_info.driver_name(di)),
                    u16(rte_eth_dev_info.max_rx_queues(di)), u16(rte_eth_dev_info.max_tx_queues(di)),
                    RxOffload.of(rxCapa), TxOffload.of(txCapa), rxCapa, txCapa,
                    limits(rte_eth_dev_info.rx_desc_lim(di)), limits(rte_eth_dev_info.tx_desc_lim(di)),
                    rte_eth_dev_info.min_rx_bufsize(di), rte_eth_dev_info.max_rx_pktlen(di),
                    u16(rte_eth_dev_info.min_mtu(di)), u16(rte_eth_dev_info.max_mtu(di)),
                    u16(rte_eth_dev_portconf.ring_size(rte_eth_dev_info.default_rxportconf(di))),
                    u16(rte_eth_dev_portconf.ring_size(rte_eth_dev_info.default_txportconf(di))),
                    u16(rte_eth_dev_portconf.burst_size(rte_eth_dev_info.default_rxportconf(di))),
                    rte_eth_dev_info.speed_capa(di), rte_eth_dev_info.if_index(di));
        }
    }

    private static DeviceInfo.DescriptorLimits limits(MemorySegment lim) {
        return new DeviceInfo.DescriptorLimits(u16(rte_eth_desc_lim.nb_max(lim)), u16(rte_eth_desc_lim.nb_min(lim)),
                u16(rte_eth_desc_lim.nb_align(lim)));
    }

    /**
     * Configures the port and sets up its queues (see {@link PortConfig}). The port must be
     * stopped. Offloads the port does not offer throw {@link NotSupportedException} naming them.
     */
    public void configure(PortConfig config) {
        checkOpen();
        if (started) {
            throw new IllegalStateException(describe() + " is started: stop() it before configure()");
        }
        config.rxPool().ensureLive();
        DeviceInfo info = info();
        if (config.rxQueues() > info.maxRxQueues() || config.txQueues() > info.maxTxQueues()) {
            throw new IllegalArgumentException(describe() + " (" + info.driverName() + ") has at most " + info.maxRxQueues()
                    + " rx and " + info.maxTxQueues() + " tx queues, asked for " + config.rxQueues() + " and " + config.txQueues());
        }
        Set<RxOffload> rxMissing = EnumSet.noneOf(RxOffload.class);
        rxMissing.addAll(config.rxOffloads());
        rxMissing.removeAll(info.rxOffloads());
        Set<TxOffload> txMissing = EnumSet.noneOf(TxOffload.class);
        txMissing.addAll(config.txOffloads());
        txMissing.removeAll(info.txOffloads());
        if (!rxMissing.isEmpty() || !txMissing.isEmpty()) {
            throw new NotSupportedException("offloads " + rxMissing + " " + txMissing, name + " (" + info.driverName() + ")",
                    "ask only for DeviceInfo.rxOffloads()/txOffloads(): " + info.rxOffloads() + " " + info.txOffloads(), null, 0);
        }
        int rxDesc = descriptors(config.rxDescriptors(), info.preferredRxRingSize(), info.rxDescriptorLimits());
        int txDesc = descriptors(config.txDescriptors(), info.preferredTxRingSize(), info.txDescriptorLimits());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conf = arena.allocate(rte_eth_conf.layout());
            rte_eth_rxmode.offloads(rte_eth_conf.rxmode(conf), RxOffload.mask(config.rxOffloads()));
            rte_eth_txmode.offloads(rte_eth_conf.txmode(conf), TxOffload.mask(config.txOffloads()));
            check(DpdkCall.ETH_DEV_CONFIGURE, RteEthdev.rte_eth_dev_configure((short) portId, (short) config.rxQueues(),
                    (short) config.txQueues(), conf));
        }
        int socket = RteEthdev.rte_eth_dev_socket_id((short) portId);
        if (socket < 0) {
            socket = (int) RteEal.SOCKET_ID_ANY;
        }
        MemorySegment pool = MemorySegment.ofAddress(config.rxPool().address());
        for (int q = 0; q < config.rxQueues(); q++) {
            check(DpdkCall.ETH_RX_QUEUE_SETUP, RteEthdev.rte_eth_rx_queue_setup((short) portId, (short) q, (short) rxDesc, socket,
                    MemorySegment.NULL, pool), "rx queue " + q + " with " + rxDesc + " descriptors from " + config.rxPool().name());
        }
        for (int q = 0; q < config.txQueues(); q++) {
            check(DpdkCall.ETH_TX_QUEUE_SETUP, RteEthdev.rte_eth_tx_queue_setup((short) portId, (short) q, (short) txDesc, socket,
                    MemorySegment.NULL), "tx queue " + q + " with " + txDesc + " descriptors");
        }
        if (rxPool != config.rxPool()) {
            if (rxPool != null) rxPool.rxUsers.remove(this);
            rxPool = config.rxPool();
            rxPool.rxUsers.addIfAbsent(this);
        }
        rxQueues = config.rxQueues();
        txQueues = config.txQueues();
        configured = true;
    }

    private static int descriptors(int asked, int preferred, DeviceInfo.DescriptorLimits lim) {
        if (asked != 0) {
            return asked;
        }
        int n = preferred != 0 ? preferred : 1024;
        n = Math.max(lim.min(), Math.min(lim.max() == 0 ? n : lim.max(), n));
        return n;
    }

    /** {@code rte_eth_dev_start}; then reads {@code rte_eth_fp_ops[port]} for the burst path. */
    public void start() {
        checkOpen();
        if (!configured) {
            throw new IllegalStateException(describe() + " is not configured: configure(PortConfig) before start()");
        }
        if (started) {
            return;
        }
        check(DpdkCall.ETH_DEV_START, RteEthdev.rte_eth_dev_start((short) portId));
        long ops = RteEthdev.rte_eth_fp_ops().address() + portId * FP_OPS_SIZE;
        long rxFn = Memory.getLong(ops + rte_eth_fp_ops.rx_pkt_burst$offset());
        long txFn = Memory.getLong(ops + rte_eth_fp_ops.tx_pkt_burst$offset());
        long rxData = Memory.getLong(ops + rte_eth_fp_ops.rxq$offset() + rte_ethdev_qdata.data$offset());
        long txData = Memory.getLong(ops + rte_eth_fp_ops.txq$offset() + rte_ethdev_qdata.data$offset());
        rxCallbacks = Memory.getLong(ops + rte_eth_fp_ops.rxq$offset() + rte_ethdev_qdata.clbk$offset());
        txCallbacks = Memory.getLong(ops + rte_eth_fp_ops.txq$offset() + rte_ethdev_qdata.clbk$offset());
        BoundBurst[] rx = new BoundBurst[rxQueues];
        BoundBurst[] tx = new BoundBurst[txQueues];
        try {
            for (int q = 0; q < rxQueues; q++) rx[q] = BoundBurst.bind(rxFn, Memory.getLong(rxData + 8L * q));
            for (int q = 0; q < txQueues; q++) tx[q] = BoundBurst.bind(txFn, Memory.getLong(txData + 8L * q));
        } catch (RuntimeException | Error e) {
            RteEthdev.rte_eth_dev_stop((short) portId); // not started for Java: not for DPDK either
            throw e;
        }
        rxQueue = rx;
        txQueue = tx;
        started = true;
    }

    /** {@code rte_eth_dev_stop}; bursts throw until the next {@link #start()}. */
    public void stop() {
        checkOpen();
        if (!started) {
            return;
        }
        started = false;
        rxQueue = NO_QUEUES;
        txQueue = NO_QUEUES;
        check(DpdkCall.ETH_DEV_STOP, RteEthdev.rte_eth_dev_stop((short) portId));
    }

    /** {@code rte_eth_link_get_nowait}. */
    public LinkStatus link() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment l = arena.allocate(rte_eth_link.layout());
            check(DpdkCall.ETH_LINK_GET_NOWAIT, RteEthdev.rte_eth_link_get_nowait((short) portId, l));
            return LinkStatus.decode(l.get(JAVA_LONG, 0));
        }
    }

    /** {@code rte_eth_stats_get}. */
    public PortStats stats() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(rte_eth_stats.layout());
            check(DpdkCall.ETH_STATS_GET, RteEthdev.rte_eth_stats_get((short) portId, s));
            return new PortStats(rte_eth_stats.ipackets(s), rte_eth_stats.opackets(s), rte_eth_stats.ibytes(s),
                    rte_eth_stats.obytes(s), rte_eth_stats.imissed(s), rte_eth_stats.ierrors(s), rte_eth_stats.oerrors(s),
                    rte_eth_stats.rx_nombuf(s));
        }
    }

    /** {@code rte_eth_stats_reset}. */
    public void resetStats() {
        checkOpen();
        check(DpdkCall.ETH_STATS_RESET, RteEthdev.rte_eth_stats_reset((short) portId));
    }

    /** Every extended statistic by name, in the driver's order ({@code rte_eth_xstats_get_names} + {@code rte_eth_xstats_get}). */
    public Map<String, Long> xstats() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            int n = check(DpdkCall.ETH_XSTATS_GET_NAMES, RteEthdev.rte_eth_xstats_get_names((short) portId, MemorySegment.NULL, 0));
            MemorySegment names = arena.allocate(rte_eth_xstat_name.layout(), Math.max(1, n));
            MemorySegment values = arena.allocate(rte_eth_xstat.layout(), Math.max(1, n));
            int got = check(DpdkCall.ETH_XSTATS_GET_NAMES, RteEthdev.rte_eth_xstats_get_names((short) portId, names, n));
            int vals = check(DpdkCall.ETH_XSTATS_GET, RteEthdev.rte_eth_xstats_get((short) portId, values, n));
            Map<String, Long> out = new LinkedHashMap<>();
            for (int i = 0; i < Math.min(vals, n); i++) {
                MemorySegment x = values.asSlice(i * rte_eth_xstat.sizeof(), rte_eth_xstat.sizeof());
                long id = rte_eth_xstat.id(x);
                if (id >= 0 && id < got) {
                    out.put(names.getString(id * rte_eth_xstat_name.sizeof()), rte_eth_xstat.value(x));
                }
            }
            return out;
        }
    }

    /** One extended statistic by name. */
    public long xstat(String name) {
        Map<String, Long> all = xstats();
        Long v = all.get(name);
        if (v == null) {
            throw new IllegalArgumentException(describe() + " has no xstat '" + name + "'; it has " + all.keySet());
        }
        return v;
    }

    /** {@code rte_eth_xstats_reset}. */
    public void resetXstats() {
        checkOpen();
        check(DpdkCall.ETH_XSTATS_RESET, RteEthdev.rte_eth_xstats_reset((short) portId));
    }

    /** {@code rte_eth_macaddr_get}. */
    public MacAddress macAddress() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(rte_ether_addr.layout());
            check(DpdkCall.ETH_MACADDR_GET, RteEthdev.rte_eth_macaddr_get((short) portId, a));
            return MacAddress.of(rte_ether_addr.addr_bytes(a).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * {@code rte_eth_dev_default_mac_addr_set}: gives the port {@code mac}, e.g. a locally
     * administered address for a vdev that has none (net_ring reports 00:00:00:00:00:00).
     */
    public void macAddress(MacAddress mac) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(rte_ether_addr.layout());
            MemorySegment.copy(mac.bytes(), 0, rte_ether_addr.addr_bytes(a), ValueLayout.JAVA_BYTE, 0, 6);
            check(DpdkCall.ETH_DEV_DEFAULT_MAC_ADDR_SET, RteEthdev.rte_eth_dev_default_mac_addr_set((short) portId, a), mac.toString());
        }
    }

    /** {@code rte_eth_promiscuous_enable}/{@code _disable}. */
    public void promiscuous(boolean on) {
        checkOpen();
        if (on) {
            check(DpdkCall.ETH_PROMISCUOUS_ENABLE, RteEthdev.rte_eth_promiscuous_enable((short) portId));
        } else {
            check(DpdkCall.ETH_PROMISCUOUS_DISABLE, RteEthdev.rte_eth_promiscuous_disable((short) portId));
        }
    }

    /** {@code rte_eth_promiscuous_get}. */
    public boolean isPromiscuous() {
        checkOpen();
        return RteEthdev.rte_eth_promiscuous_get((short) portId) == 1;
    }

    /** {@code rte_eth_dev_get_mtu}. */
    public int mtu() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(JAVA_SHORT);
            check(DpdkCall.ETH_DEV_GET_MTU, RteEthdev.rte_eth_dev_get_mtu((short) portId, m));
            return u16(m.get(JAVA_SHORT, 0));
        }
    }

    /** {@code rte_eth_dev_set_mtu}. */
    public void mtu(int mtu) {
        checkOpen();
        check(DpdkCall.ETH_DEV_SET_MTU, RteEthdev.rte_eth_dev_set_mtu((short) portId, (short) mtu), "MTU " + mtu);
    }

    // ---------------------------------------------------------------------------------------------
    // Fast path

    /**
     * {@code rte_eth_rx_burst}: receives up to {@code pkts.capacity()} packets from rx queue
     * {@code queue} into {@code pkts} from index 0, sets its count and returns it. The mbufs are
     * the caller's until freed or sent.
     */
    public int rxBurst(int queue, MbufArray pkts) {
        return rxBurst(queue, pkts, pkts.capacity());
    }

    /**
     * {@code rte_eth_rx_burst} of at most {@code max} packets (1..{@code pkts.capacity()}) into
     * {@code pkts} from index 0; see {@link #rxBurst(int, MbufArray)}.
     */
    public int rxBurst(int queue, MbufArray pkts, int max) {
        // One unsigned compare per check: the queue (a stopped port has none) and 1 <= max <= capacity.
        BoundBurst[] queues = rxQueue;
        if (Integer.compareUnsigned(queue, queues.length) >= 0) {
            throw badQueue("rx", queue, queues.length);
        }
        pkts.ensureOpen();
        long table = pkts.address;
        if (Integer.compareUnsigned(max - 1, pkts.capacity()) >= 0) {
            throw new IllegalArgumentException("max " + max + " outside 1.." + pkts.capacity());
        }
        int n = queues[queue].call(table, max) & 0xFFFF;
        long cb = Memory.ALL.get(Memory.LONG, rxCallbacks + 8L * queue);
        if (cb != 0) {
            try {
                n = Short.toUnsignedInt((short) RX_CALLBACKS.invokeExact((short) portId, (short) queue, table, (short) n,
                        (short) max, cb));
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
        }
        Reference.reachabilityFence(pkts);
        pkts.count = n;
        return n;
    }

    /** {@code rte_eth_tx_burst} of the {@link MbufArray#count()} mbufs of {@code pkts}; see {@link #txBurst(int, MbufArray, int, int)}. */
    public int txBurst(int queue, MbufArray pkts) {
        return txBurst(queue, pkts, 0, pkts.count);
    }

    /**
     * {@code rte_eth_tx_burst}: queues {@code n} mbufs from {@code pkts[offset]} for sending on tx
     * queue {@code queue}. Returns how many the driver took (it frees them once sent); the rest,
     * from {@code offset + sent}, stay the caller's: retry or {@link MbufArray#free} them.
     */
    public int txBurst(int queue, MbufArray pkts, int offset, int n) {
        BoundBurst[] queues = txQueue;
        if (Integer.compareUnsigned(queue, queues.length) >= 0) {
            throw badQueue("tx", queue, queues.length);
        }
        pkts.ensureOpen();
        pkts.checkRange(offset, n);
        long table = pkts.address + 8L * offset;
        long cb = Memory.ALL.get(Memory.LONG, txCallbacks + 8L * queue);
        if (cb != 0) {
            try {
                n = Short.toUnsignedInt((short) TX_CALLBACKS.invokeExact((short) portId, (short) queue, table, (short) n, cb));
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
        }
        int sent = queues[queue].call(table, n) & 0xFFFF;
        Reference.reachabilityFence(pkts);
        return sent;
    }

    private RuntimeException badQueue(String kind, int queue, int queues) {
        if (!started) {
            return isClosed() ? closedException() : new IllegalStateException(describe() + " is not started: start() it before bursting");
        }
        return new IndexOutOfBoundsException(kind + " queue " + queue + " of " + queues);
    }

    // ---------------------------------------------------------------------------------------------

    private int check(DpdkCall call, int rc) {
        return check(call, rc, null);
    }

    /** Ethdev calls return a negative errno. */
    private int check(DpdkCall call, int rc, String context) {
        if (rc < 0) {
            String hint = call.hint(-rc);
            String where = describe() + (context == null ? "" : ", " + context);
            throw new DpdkException(call, -rc, hint == null ? where : hint + "; " + where);
        }
        return rc;
    }

    private static int u16(short v) {
        return Short.toUnsignedInt(v);
    }

    @Override
    protected void destroy() {
        boolean wasStarted = started;
        started = false;
        rxQueue = NO_QUEUES;
        txQueue = NO_QUEUES;
        DpdkException failure = null;
        if (wasStarted) {
            int rc = RteEthdev.rte_eth_dev_stop((short) portId);
            if (rc < 0) failure = new DpdkException(DpdkCall.ETH_DEV_STOP, -rc, describe());
        }
        int rc = RteEthdev.rte_eth_dev_close((short) portId);
        if (rxPool != null) rxPool.rxUsers.remove(this);
        synchronized (eal.ports) {
            if (eal.ports[portId] == this) eal.ports[portId] = null;
        }
        if (rc < 0) {
            DpdkException e = new DpdkException(DpdkCall.ETH_DEV_CLOSE, -rc, describe());
            if (failure != null) e.addSuppressed(failure);
            throw e;
        }
        if (failure != null) throw failure;
    }

    @Override
    protected String describe() {
        return "port " + portId + " (" + name + ")";
    }
}
