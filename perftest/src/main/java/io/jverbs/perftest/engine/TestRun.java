package io.jverbs.perftest.engine;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.perftest.Connection;
import io.jverbs.perftest.AtomicType;
import io.jverbs.perftest.BufferMemory;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.oob.BwReport;
import io.jverbs.perftest.oob.CmTransport;
import io.jverbs.perftest.oob.OobSession;
import io.jverbs.perftest.oob.QpInfo;
import io.jverbs.perftest.oob.SystemData;
import io.jverbs.perftest.report.Bandwidth;
import io.jverbs.perftest.report.BwResult;
import io.jverbs.perftest.report.BwTimestamps;
import io.jverbs.perftest.report.Endpoint;
import io.jverbs.perftest.report.HeaderFacts;
import io.jverbs.perftest.report.LatencyRecorder;
import io.jverbs.perftest.report.Reporter;
import io.jverbs.rdmacm.ConnectionParameters;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.DeviceMemory;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.LinkLayer;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.Mtu;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.PortAttributes;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.SharedReceiveQueue;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.XrcDomain;
import io.jverbs.verbs.mlx5.DcInitiator;
import io.jverbs.verbs.mlx5.DcTarget;
import io.jverbs.verbs.mlx5.Mlx5;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * One side of one jperf test, in perftest's order: open the device, connect the out-of-band
 * session, agree on versions, system data and MTU, create buffer, PD, MR, CQs and QPs, exchange QP
 * info, move the QPs to RTS, then the per-test handshakes around the measured loops (see the
 * table in {@link io.jverbs.perftest.oob}). Not reusable: one instance per run.
 */
final class TestRun implements AutoCloseable {
    /** {@code UD_ADDITION}: the GRH in front of every UD receive. */
    static final int UD_GRH = 40;
    /** perftest's {@code DEF_QKEY}. */
    static final int QKEY = 0x11111111;
    static final int CACHE_LINE = 64;

    private final TestParameters p;
    private final Reporter reporter;
    private final boolean server;
    private final Function<TestParameters, OobSession> connect;
    private final long stallNs;
    /** Whether {@code --run_infinitely} takes SIGINT/SIGTERM here (not the quiet server of --loopback). */
    boolean takesSignals = true;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Context ctx;
    /** Where PD, MR, CQs live: {@link #ctx}, or with -R the device context rdma_cm opened. */
    private Context rctx;
    private int gidIndex;
    private Gid gid;
    private int lid;
    private int outReads;
    private Mtu mtu;
    private OobSession oob;
    private List<Integer> sizes;
    private long slot;
    private NativeBuffer buffer;
    private MemoryRegion mr;
    private ProtectionDomain pd;
    private CompletionQueue sendCq;
    private CompletionQueue recvCq;
    /** -e: the completion channel both CQs report to; null when the loops poll. */
    private CqEvents events;
    /** Every QP of this side, in the order of the QP info exchange. */
    private QueuePair[] qps;
    /** The QPs the loops run on: {@link #qps}, or with -c XRC or DC on both roles the sending half. */
    private QueuePair[] loopQps;
    /** -c XRC: the domain all XRC QPs live in; null otherwise. */
    private XrcDomain xrcd;
    /** -c XRC or DC where this side has targets: the one SRQ they all deliver into; null otherwise. */
    private SharedReceiveQueue srq;
    /** -c DC: each initiator QP's DCI (null at a target's index); null for other transports. */
    private DcInitiator[] dcis;
    private int[] psns;
    private List<QpInfo> local;
    private List<QpInfo> remote;
    private AddressHandle[] ahs;
    /** UD: remote QP number and qkey of each QP's sends (from the QP info, or rdma_cm's with -R). */
    private int[] udQpns;
    private int[] udQkeys;
    /** -R -c UD: each QP's peer as rdma_cm gave it. */
    private List<CmQps.UdPeer> cmPeers;
    private PathSettings path;

    /**
     * @param connect opens the out-of-band session for this side (TCP per perftest, or a test's)
     * @param stallNs how long a wait in a measured loop may see nothing before the run fails
     */
    TestRun(TestParameters p, Reporter reporter, boolean server, Function<TestParameters, OobSession> connect,
            long stallNs) {
        this.p = p;
        this.reporter = reporter;
        this.server = server;
        this.connect = connect;
        this.stallNs = stallNs;
    }

    void run() {
        openDevice();
        if (server) {
            reporter.waitingForClient();
        }
        oob = connect.apply(p);
        closeables.add(oob);
        oob.exchangeVersions();
        oob.exchangeSystemData(new SystemData((int) NativeBuffer.pageSize(), CACHE_LINE));
        mtu = Mtu.of(oob.exchangeMtu(mtu.code()));
        sizes = sizes();
        rctx = ctx;
        if (p.rdmaCm()) {
            if (!(oob.transport() instanceof CmTransport cm)) {
                throw new IllegalStateException("-R needs the rdma_cm control channel");
            }
            rctx = cm.context();
        }
        createResources();
        reporter.header(new HeaderFacts(ctx.device().name(), ctx.device().transportType() == 1 ? "IW" : "IB",
                ctx.queryPort(p.ibPort()).linkLayer() == LinkLayer.ETHERNET ? "Ethernet" : "IB", mtu.bytes(),
                outReads, inlineSize(), false, false, 16, gidIndex));
        if (p.measure() == Measure.BW) {
            if (p.kind() == TestKind.SEND) {
                sendBw();
            } else {
                rdmaBw();
            }
        } else {
            switch (p.kind()) {
                case WRITE -> writeLat();
                case SEND -> sendLat();
                default -> requestLat();
            }
        }
    }

    // ---------------------------------------------------------------- set-up

    private void openDevice() {
        try {
            ctx = p.device() == null ? Context.openFirst() : Context.open(p.device());
        } catch (io.jverbs.verbs.VerbsException e) {
            // Only a soft device binds a socket when it opens: another jperf on this host has its address.
            if (e.errno() == io.jverbs.core.Errno.EADDRINUSE) {
                throw new EngineException(e.getMessage() + ". Two jperf processes on one host need a soft device each, on"
                        + " addresses of their own: e.g. JVERBS_SOFT_DEVICES=jsoft1=127.0.0.2 ./jperf ... -d jsoft1", e);
            }
            throw e;
        }
        closeables.add(ctx);
        PortAttributes port = ctx.queryPort(p.ibPort());
        if (!port.isActive()) {
            throw new EngineException(ctx.device().name() + " port " + p.ibPort() + " is " + port.state()
                    + ", not ACTIVE: check its link (ibv_devinfo -d " + ctx.device().name() + ")");
        }
        lid = port.lid();
        if (p.gidIndex() >= 0) {
            gidIndex = p.gidIndex();
        } else {
            gidIndex = port.linkLayer() == LinkLayer.ETHERNET ? ctx.bestGid(p.ibPort()).index() : -1;
        }
        gid = gidIndex >= 0 ? ctx.queryGid(p.ibPort(), gidIndex).gid() : null;
        if (gid != null && gid.isZero()) {
            throw new EngineException("GID index " + gidIndex + " of " + ctx.device().name() + " port " + p.ibPort()
                    + " is empty: pick a populated one (jperf devices lists them)");
        }
        Mtu local = p.mtu() > 0 ? Mtu.ofBytes(p.mtu()) : port.activeMtu();
        mtu = local.min(port.activeMtu());
        DeviceAttributes dev = ctx.queryDevice();
        if (p.kind() == TestKind.READ || p.kind() == TestKind.ATOMIC) {
            int max = Math.max(1, dev.maxQpRdAtomic());
            outReads = p.outReads() > 0 ? Math.min(p.outReads(), max) : max;
        } else {
            outReads = 1;
        }
    }

    /** The sizes of the run; UD messages are at most one MTU, as perftest changes them. */
    private List<Integer> sizes() {
        List<Integer> all = p.sizes();
        if (p.connection() != Connection.UD) {
            return all;
        }
        List<Integer> out = new ArrayList<>();
        for (int s : all) {
            if (s <= mtu.bytes()) {
                out.add(s);
            }
        }
        if (out.isEmpty() || (!p.allSizes() && p.size() > mtu.bytes())) {
            if (p.allSizes()) {
                System.err.println(" Max msg size in UD is MTU " + mtu.bytes() + "\n Changing to this MTU");
            }
            out = List.of(mtu.bytes());
        }
        return out;
    }

    private int maxSize() {
        int max = 1;
        for (int s : sizes) {
            max = Math.max(max, s);
        }
        return p.kind() == TestKind.ATOMIC ? 8 : max;
    }

    private int inlineSize() {
        return p.kind() == TestKind.READ || p.kind() == TestKind.ATOMIC ? 0 : p.inlineSize();
    }

    /** Send area of QP i: the first half of the buffer. */
    long sendOffset(int i) {
        return i * slot;
    }

    /** Receive area of QP i (the address the peer writes to or reads from): the second half. */
    long recvOffset(int i) {
        return (qps.length + i) * slot;
    }

    private void createResources() {
        int n = p.qpsPerSide();
        long page = NativeBuffer.pageSize();
        int extra = p.connection() == Connection.UD ? UD_GRH : 0;
        slot = align(Math.max(maxSize() + extra, page), CACHE_LINE);
        pd = rctx.allocateProtectionDomain();
        closeables.add(pd);
        if (p.bufferMemory() == BufferMemory.DEVICE) {
            // Zero-based: the addresses in SGEs and in our QP info are offsets into the device memory.
            DeviceMemory dm;
            try {
                dm = rctx.allocateDeviceMemory(2 * n * slot);
            } catch (RuntimeException e) {
                throw new EngineException("--use_ib_dm_dmabuf: " + e.getMessage(), e);
            }
            closeables.add(dm);
            mr = dm.register(pd, Access.ALL_REMOTE);
        } else {
            try {
                buffer = p.bufferMemory() == BufferMemory.HUGEPAGES
                        ? NativeBuffer.allocate(2 * n * slot, NativeBuffer.Backing.HUGEPAGES) : NativeBuffer.allocate(2 * n * slot);
            } catch (RuntimeException e) {
                throw new EngineException(p.bufferMemory() == BufferMemory.HUGEPAGES ? "--use_hugepages: " + e.getMessage()
                        : e.getMessage(), e);
            }
            closeables.add(buffer);
            mr = pd.register(buffer, Access.ALL_REMOTE);
        }
        closeables.add(mr);
        int tx = p.txDepth();
        int rx = p.kind() == TestKind.SEND ? p.rxDepth() : 1;
        if (p.events()) {
            CompletionChannel channel = rctx.createCompletionChannel();
            closeables.add(channel); // closed after the CQs, which ack their events on close
            sendCq = rctx.createCompletionQueue(CompletionQueue.Config.of(Math.max(1, tx * n)).channel(channel));
            closeables.add(sendCq);
            recvCq = rctx.createCompletionQueue(CompletionQueue.Config.of(Math.max(1, rx * n)).channel(channel));
            closeables.add(recvCq);
            events = new CqEvents(channel, sendCq, recvCq, stallNs);
            events.arm();
        } else {
            sendCq = rctx.createCompletionQueue(Math.max(1, tx * n));
            closeables.add(sendCq);
            recvCq = rctx.createCompletionQueue(Math.max(1, rx * n));
            closeables.add(recvCq);
        }
        QpType type = switch (p.connection()) {
            case RC -> QpType.RC;
            case UC -> QpType.UC;
            case UD -> QpType.UD;
            case XRC -> QpType.XRC_SEND;
            case DC -> QpType.DRIVER;
            default -> throw new EngineException("jperf does not run -c " + p.connection() + " yet");
        };
        if (type == QpType.XRC_SEND) {
            openXrc();
        } else if (type == QpType.DRIVER) {
            openDc();
        }
        int access = switch (type) {
            case UC -> Access.LOCAL_WRITE | Access.REMOTE_WRITE;
            case DRIVER -> dcTargetAccess();
            default -> Access.ALL_REMOTE;
        };
        path = new PathSettings().port(p.ibPort()).gidIndex(gidIndex).mtu(mtu).serviceLevel(p.serviceLevel())
                .timeout(p.qpTimeout()).hopLimit(255).maxDestReadAtomic(outReads).qkey(QKEY).access(access);
        qps = new QueuePair[n];
        psns = new int[n];
        local = new ArrayList<>(n);
        QueuePair.Config config = xrcd == null
                ? new QueuePair.Config(type, sendCq, recvCq).maxSendWr(tx).maxRecvWr(rx).maxSendSge(1).maxRecvSge(1)
                        .maxInlineData(inlineSize())
                // an XRC initiator has no receive queue: its receives are the peer's SRQ
                : new QueuePair.Config(type, sendCq, sendCq).maxSendWr(tx).maxRecvWr(0).maxSendSge(1).maxRecvSge(0)
                        .maxInlineData(inlineSize());
        if (p.rdmaCm()) {
            connectWithRdmaCm(config);
        }
        for (int i = 0; i < n; i++) {
            if (!p.rdmaCm()) {
                qps[i] = type == QpType.DRIVER ? createDc(i)
                        : pd.createQueuePair(target(i) ? QueuePair.Config.xrcTarget(xrcd) : config);
                closeables.add(qps[i]);
                qps[i].toInit(path);
            }
            psns[i] = ThreadLocalRandom.current().nextInt() & 0xffffff;
            local.add(localInfo(i));
        }
        loopQps = p.pairedQps() ? Arrays.copyOf(qps, p.qps()) : qps;
    }

    /**
     * QP i's message to the peer: its number, PSN, our receive area, SRQ number. A DCT has its
     * number only after RTR (before, mlx5 leaves 0 there, which perftest sends as well).
     */
    private QpInfo localInfo(int i) {
        return new QpInfo(lid, outReads, qps[i].qpNumber() & 0xffffff, psns[i], mr.rkey(), mr.address(recvOffset(i)),
                gid == null ? null : gid.toBytes(), srq == null ? 0 : srq.srqNumber());
    }

    /**
     * -c DC, perftest's ctx_init: an SRQ of -r receives (one work request, one SGE each) where this
     * side has DC targets (a unidirectional BW server, every latency side, -b), which every QP info
     * message of this side then names.
     */
    private void openDc() {
        dcis = new DcInitiator[p.qpsPerSide()];
        if (server || p.pairedQps()) {
            srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(Math.max(1, p.rxDepth()), 1));
            closeables.add(srq);
        }
    }

    /**
     * -c DC, perftest's ctx_qp_create with mlx5dv: QP i is a DC target on the SRQ with perftest's
     * key (completions on the receive CQ for send tests, as perftest's recv_cq choice), or a DC
     * initiator of -t requests posting the test's one opcode. A device whose firmware refuses DC
     * ends the run here with one line.
     */
    private QueuePair createDc(int i) {
        try {
            if (target(i)) {
                DcTarget t = Mlx5.createDcTarget(pd, p.kind() == TestKind.SEND ? recvCq : sendCq, srq, DcPost.KEY);
                return t.queuePair();
            }
            dcis[i] = Mlx5.createDcInitiator(pd, sendCq, p.txDepth(), inlineSize(), sendOps());
            return dcis[i].queuePair();
        } catch (NotSupportedException e) {
            throw new EngineException("-c DC: " + e.getMessage(), e);
        }
    }

    /** The one opcode a DC initiator of this test posts ({@code send_ops_flags}). */
    private long sendOps() {
        return switch (p.kind()) {
            case WRITE -> SendOps.RDMA_WRITE;
            case READ -> SendOps.RDMA_READ;
            case SEND -> SendOps.SEND;
            case ATOMIC -> p.atomicType() == AtomicType.FETCH_AND_ADD ? SendOps.ATOMIC_FETCH_AND_ADD : SendOps.ATOMIC_CMP_AND_SWP;
        };
    }

    /**
     * A DC target's remote access, the test's only (perftest's ctx_modify_qp_to_init): mlx5 refuses
     * a DCT with remote atomics on a device without DC atomics, so write, read and send tests must
     * not ask for them.
     */
    private int dcTargetAccess() {
        return switch (p.kind()) {
            case WRITE -> Access.REMOTE_WRITE;
            case READ -> Access.REMOTE_READ;
            case SEND -> Access.LOCAL_WRITE | Access.REMOTE_WRITE;
            case ATOMIC -> Access.REMOTE_ATOMIC;
        };
    }

    /**
     * -c XRC, perftest's ctx_xrcd_create and ctx_xrc_srq_create: one XRC domain and one XRC SRQ
     * of -r receives, whose number every QP info message carries. A device without XRC (rxe)
     * refuses here, after the out-of-band connection, as C perftest does in ctx_init: the peer
     * then sees the connection close instead of waiting for QP info.
     */
    private void openXrc() {
        try {
            xrcd = rctx.openXrcDomain();
        } catch (NotSupportedException e) {
            throw new EngineException("-c XRC: " + e.getMessage(), e);
        }
        closeables.add(xrcd);
        srq = pd.createSharedReceiveQueue(SharedReceiveQueue.Config.of(Math.max(1, p.rxDepth()), 1).xrc(xrcd, recvCq));
        closeables.add(srq);
    }

    /**
     * Whether QP {@code i} is a target (XRC_RECV, a DC target), perftest's is_dc_server_side: with
     * both roles (latency, -b) the second half, in a unidirectional XRC or DC bandwidth test every
     * QP of the server.
     */
    private boolean target(int i) {
        boolean split = p.connection() == Connection.XRC || p.connection() == Connection.DC;
        return split && (p.pairedQps() ? i >= p.qps() : server);
    }

    /**
     * The peer's QP that QP {@code i} connects to (perftest's xrc_offset): with both XRC or DC
     * roles, initiator i pairs with the peer's target i and target i with the peer's initiator i.
     */
    private int peerIndex(int i) {
        return p.pairedQps() ? (i + p.qps()) % qps.length : i;
    }

    /** The QP whose advertised receive area loop slot {@code q} receives into (its target with both XRC or DC roles). */
    private int receiveIndex(int q) {
        return p.pairedQps() ? q + p.qps() : q;
    }

    /** Receives posted per loop slot before a send test; an SRQ (XRC, DC) shares -r among all QPs, as perftest. */
    private int receivesPerQp() {
        int rx = (int) Math.min(p.rxDepth(), p.isDuration() ? p.rxDepth() : p.iterations());
        return srq == null ? rx : Math.max(1, rx / qps.length);
    }

    /**
     * -R, perftest's create_rdma_cm_connection: a handshake (with an all-zero QP message, as
     * perftest's my_dest is still empty then), the rdma_cm connections of all test QPs on -p's
     * port, another handshake. jperf's server listens before the first handshake, so a client
     * never finds it not listening yet.
     */
    private void connectWithRdmaCm(QueuePair.Config config) {
        QpInfo empty = new QpInfo(0, 0, 0, 0, 0, 0, gid == null ? null : new byte[16], 0);
        ConnectionParameters params = new ConnectionParameters();
        if (p.kind() == TestKind.READ || p.kind() == TestKind.ATOMIC) {
            params.responderResources(outReads).initiatorDepth(outReads);
        }
        Duration timeout = RdmaEngine.stepTimeout();
        CmQps.Ud ud = null;
        if (p.connection() == Connection.UD) {
            // perftest: the server learns the client's QPN only when it sends too (latency, -b)
            boolean exchange = p.measure() == Measure.LAT || p.bidirectional();
            ud = new CmQps.Ud(exchange, mr, i -> mr.address(recvOffset(i)), sendCq, recvCq);
        }
        CmQps cm;
        if (server) {
            cm = CmQps.listen(p.port(), qps.length, ud);
            closeables.add(cm);
            oob.exchangeQpInfo(List.of(empty), gidIndex);
            cm.accept(qps.length, pd, config, params, timeout);
        } else {
            oob.exchangeQpInfo(List.of(empty), gidIndex);
            cm = CmQps.connect(p.serverName(), p.port(), qps.length, pd, config, params, timeout, ud);
            closeables.add(cm);
        }
        List<QueuePair> connected = cm.queuePairs();
        for (int i = 0; i < qps.length; i++) {
            qps[i] = connected.get(i);
        }
        cmPeers = ud == null ? null : cm.udPeers();
        oob.exchangeQpInfo(List.of(empty), gidIndex);
    }

    /** ctx_connect: RTR with the peer's address, RTS with our PSN; UD gets an address handle per QP. */
    private void connectQps() {
        ahs = new AddressHandle[qps.length];
        udQpns = new int[qps.length];
        udQkeys = new int[qps.length];
        for (int i = 0; i < qps.length; i++) {
            udQpns[i] = remote.get(i).qpn();
            udQkeys[i] = QKEY;
            CmQps.UdPeer peer = cmPeers == null ? null : cmPeers.get(i);
            if (peer != null) {
                ahs[i] = peer.ah(); // CmQps closes it
                udQpns[i] = peer.qpn();
                udQkeys[i] = peer.qkey();
            }
        }
        if (p.rdmaCm()) {
            return; // rdma_cm moved the QPs to RTS already
        }
        for (int i = 0; i < qps.length; i++) {
            QpInfo r = remote.get(peerIndex(i));
            io.jverbs.verbs.Endpoint peer = new io.jverbs.verbs.Endpoint(r.lid(), r.qpn(), r.psn(),
                    r.gid() == null ? Gid.ZERO : Gid.of(r.gid()));
            PathSettings s = path.maxReadAtomic(Math.max(1, r.outReads()));
            qps[i].toRtr(peer, s);
            if (!target(i)) { // an XRC or DC target only responds: RTR is its working state
                qps[i].toRts(psns[i], s);
            }
            // UD and a DC initiator address each request: through an AH on the path of the RTR step
            if (p.connection() == Connection.UD || p.connection() == Connection.DC && !target(i)) {
                ahs[i] = pd.createAddressHandle(peer, s);
                closeables.add(ahs[i]);
            }
        }
        if (p.connection() == Connection.DC) {
            // perftest's second set_up_connection: a DCT has its number only now, and the next exchange carries it
            for (int i = 0; i < qps.length; i++) {
                local.set(i, localInfo(i));
            }
        }
    }

    private void exchange() {
        remote = oob.exchangeQpInfo(local, gidIndex);
    }

    /**
     * write_lat, read_lat, atomic_lat open with QP 0's message alone (perftest's
     * {@code ctx_hand_shake(my_dest, rem_dest)} before its per-QP loop): one message, also when a
     * side has two QPs (XRC, DC); the per-QP exchange after it gives every remote QP's data.
     */
    private void exchangeFirst() {
        oob.exchangeQpInfo(local.subList(0, 1), gidIndex);
    }

    private void printAddresses(boolean localSide) {
        List<QpInfo> list = localSide ? local : remote;
        for (QpInfo q : list) {
            reporter.endpoint(new Endpoint(q.lid(), q.outReads(), q.qpn(), q.psn(), q.rkey(), q.vaddr(), q.srqn(),
                    q.gid()), localSide);
        }
    }

    /** The server's wait while the client runs everything: bounded by the run's expected length. */
    private Duration longWait() {
        if (p.isDuration()) {
            return Duration.ofSeconds(p.durationSeconds() + 60L);
        }
        return Duration.ofSeconds(Long.getLong("jperf.serverWaitSeconds", 600));
    }

    // ---------------------------------------------------------------- requests

    private SendRequests[] sendRequests(int size) {
        SendRequests[] wrs = new SendRequests[loopQps.length];
        for (int q = 0; q < loopQps.length; q++) {
            wrs[q] = new SendRequests(p.measure() == Measure.BW ? p.postList() : 1, 1);
            fillSend(wrs[q], q, size);
        }
        return wrs;
    }

    private void fillSend(SendRequests wrs, int q, int size) {
        wrs.clear();
        QpInfo r = remote.get(peerIndex(q));
        int length = p.kind() == TestKind.ATOMIC ? 8 : size;
        for (int j = 0; j < wrs.capacity(); j++) {
            wrs.add(0, opcode(), 0).sge(mr.address(sendOffset(q)), length, mr.lkey());
            switch (p.kind()) {
                case WRITE, READ -> wrs.rdma(r.vaddr(), r.rkey());
                case ATOMIC -> wrs.atomic(r.vaddr(), r.rkey(), p.atomicType() == AtomicType.FETCH_AND_ADD ? 1 : 0, 1);
                case SEND -> {
                    if (p.connection() == Connection.UD) {
                        wrs.ud(ahs[q], udQpns[q], udQkeys[q]);
                    }
                }
            }
            if (xrcd != null) {
                wrs.xrcRemoteSrq(r.srqn());
            }
        }
    }

    /**
     * -c DC: how each loop QP posts requests of {@code size} bytes, to the peer's DC target it pairs
     * with (the QPN of that target's second QP message is its DCT number); null for other transports.
     */
    private DcPost[] dcPosts(int size) {
        if (dcis == null) {
            return null;
        }
        DcPost[] posts = new DcPost[loopQps.length];
        int length = p.kind() == TestKind.ATOMIC ? 8 : size;
        long add = p.atomicType() == AtomicType.FETCH_AND_ADD ? 1 : 0;
        for (int q = 0; q < loopQps.length; q++) {
            QpInfo r = remote.get(peerIndex(q));
            posts[q] = DcPost.to(dcis[q], ahs[q], r.qpn(), opcode(), mr.address(sendOffset(q)), length, mr.lkey(), r.vaddr(),
                    r.rkey(), add, 1);
        }
        return posts;
    }

    /** -c DC: how the latency loop's QP 0 posts; null for other transports. */
    private DcPost dcPost(int size) {
        DcPost[] posts = dcPosts(size);
        return posts == null ? null : posts[0];
    }

    private WrOpcode opcode() {
        return switch (p.kind()) {
            case WRITE -> WrOpcode.RDMA_WRITE;
            case READ -> WrOpcode.RDMA_READ;
            case SEND -> WrOpcode.SEND;
            case ATOMIC -> p.atomicType() == AtomicType.FETCH_AND_ADD ? WrOpcode.ATOMIC_FETCH_AND_ADD
                    : WrOpcode.ATOMIC_CMP_AND_SWP;
        };
    }

    private int inlineFlag(int size) {
        return size <= inlineSize() && (p.kind() == TestKind.WRITE || p.kind() == TestKind.SEND) ? SendFlags.INLINE : 0;
    }

    private ReceiveRequests[] receiveRequests() {
        ReceiveRequests[] wrs = new ReceiveRequests[loopQps.length];
        for (int q = 0; q < loopQps.length; q++) {
            wrs[q] = new ReceiveRequests(1, 1);
            wrs[q].add(q).sge(mr.address(recvOffset(receiveIndex(q))), (int) slot, mr.lkey());
        }
        return wrs;
    }

    private Window window() {
        return p.isDuration() ? Window.duration(p.durationSeconds(), p.marginSeconds(), stallNs) : Window.iterations(stallNs);
    }

    private int messages() {
        return p.isDuration() ? 1 : Math.toIntExact(p.iterations() * p.qps());
    }

    // ---------------------------------------------------------------- bandwidth

    /** write_bw, read_bw, atomic_bw: only the client measures unless -b; the server prints its report. */
    private void rdmaBw() {
        exchange();
        connectQps();
        printAddresses(true);
        exchange();
        printAddresses(false);
        oob.barrier();
        reporter.tableHeader();
        if (p.runInfinitely()) {
            rdmaBwInfinitely();
            return;
        }
        boolean duplex = p.bidirectional();
        if (server && !duplex) {
            oob.barrier(longWait());
            BwReport r = oob.exchangeBwReport(BwReport.NONE);
            reporter.bandwidth(fromReport(r));
            reporter.tableFooter();
            oob.closeConnection();
            return;
        }
        BwResult last = null;
        for (int size : sizes) {
            BwLoop sized = new BwLoop(loopQps, sendCq, recvCq, sendRequests(size), null, p.postList(), p.cqModeration(),
                    p.txDepth(), messages(), events, srq);
            sized.baseFlags = inlineFlag(size);
            sized.dc = dcPosts(size);
            if (duplex) {
                oob.barrier();
            }
            BwResult mine = measureSend(sized, size, 0, duplex);
            if (duplex) {
                if (p.allSizes()) {
                    oob.barrier(); // perftest's RUN_ALL handshakes after each size; RUN_REGULAR does not
                }
                BwReport r = oob.exchangeBwReport(toReport(mine));
                reporter.bandwidth(mine.plus(fromReport(r)));
            }
            last = mine;
        }
        if (!duplex) {
            oob.barrier();
            oob.exchangeBwReport(toReport(last));
        }
        reporter.tableFooter();
        oob.closeConnection();
    }

    /** send_bw: the client sends, the server receives and measures too (each prints its own row). */
    private void sendBw() {
        exchange();
        connectQps();
        oob.barrier();
        printAddresses(true);
        exchange();
        printAddresses(false);
        reporter.tableHeader();
        if (p.runInfinitely()) {
            sendBwInfinitely();
            return;
        }
        boolean duplex = p.bidirectional();
        boolean sends = !server || duplex;
        boolean receives = server || duplex;
        ReceiveRequests[] recv = receives ? receiveRequests() : null;
        for (int size : sizes) {
            SendRequests[] wrs = sends ? sendRequests(size) : null;
            BwLoop loop = new BwLoop(loopQps, sendCq, recvCq, wrs, recv, p.postList(), p.cqModeration(), p.txDepth(),
                    messages(), events, srq);
            loop.baseFlags = inlineFlag(size);
            loop.dc = sends ? dcPosts(size) : null;
            if (receives) {
                loop.prepostReceives(receivesPerQp());
            }
            oob.barrier();
            BwResult mine;
            if (sends) {
                mine = measureSend(loop, size, duplex ? p.iterations() : 0, duplex);
            } else {
                mine = measureReceive(loop, size);
            }
            if (duplex && !p.isDuration()) {
                BwReport r = oob.exchangeBwReport(toReport(mine));
                reporter.bandwidth(mine.plus(fromReport(r)));
            }
            if (p.allSizes()) {
                oob.barrier();
            }
        }
        reporter.tableFooter();
        oob.closeConnection();
    }

    // ---------------------------------------------------------------- --run_infinitely

    /**
     * write_bw, read_bw, atomic_bw {@code --run_infinitely} (perftest's write_bw.c main and
     * {@code run_iter_bw_infinitely}): the client sends until SIGINT/SIGTERM, printing a row every
     * {@code -D} seconds, then (as perftest since its SIGINT handler) prints "User stopped
     * traffic", the closing line, and ends like a finished run: barrier, BW reports, closing
     * handshake. The server waits in that barrier as long as the client runs (keepalive notices a
     * vanished host); it prints "Client closed connection" (the client's report, as 6.06, with
     * {@code --style debian}). With {@code -b} both sides send, as perftest's duplex mains do: see
     * {@link #endDuplexInfinitely}.
     */
    private void rdmaBwInfinitely() {
        int size = sizes.getFirst();
        boolean duplex = p.bidirectional();
        if (server && !duplex) {
            oob.barrier(OobSession.FOREVER);
            BwReport r = oob.exchangeBwReport(BwReport.NONE);
            if (p.reporting().style() == io.jverbs.perftest.ReportStyle.DEBIAN) {
                reporter.bandwidth(fromReport(r));
            } else {
                reporter.message(" Client closed connection\n");
            }
            reporter.tableFooter();
            oob.closeConnection();
            return;
        }
        BwLoop loop = new BwLoop(loopQps, sendCq, recvCq, sendRequests(size), null, p.postList(), p.cqModeration(),
                p.txDepth(), 1, null, srq);
        loop.baseFlags = inlineFlag(size);
        loop.dc = dcPosts(size);
        Ending end = runInfinitely(loop, size, false);
        if (duplex) {
            endDuplexInfinitely(end);
            return;
        }
        oob.barrier();
        oob.exchangeBwReport(toReport(end.total));
        oob.closeConnection();
    }

    /**
     * The end of a {@code -b} infinite run. perftest has none: its duplex run installs no SIGINT
     * handler ({@code run_iter_bw_infinitely}: only {@code !duplex}), so a signal kills it, and
     * its peer fails on its next completion. jperf ends on purpose: the side stopped by a signal
     * sends its barrier message without waiting (a C peer never reads during the run) and closes,
     * which destroys its QPs; a jperf peer takes that message, at its next row or when its
     * requests then fail, as the end of the run.
     */
    private void endDuplexInfinitely(Ending end) {
        if (end.peerFinished) {
            oob.awaitFinished();
            return;
        }
        try {
            oob.finishWithoutAnswer();
        } catch (io.jverbs.perftest.oob.OobException e) {
            // stopped by the user; a peer already gone has nothing more to hear
        }
    }

    /**
     * send_bw {@code --run_infinitely} (perftest's send_bw.c main, {@code run_iter_bw_infinitely}
     * and {@code run_iter_bw_infinitely_server}): receives posted, one barrier, then the client
     * sends and the server receives, each printing its own row every {@code -D} seconds. A C
     * server never reads the channel again; a jperf client, stopped by a signal, sends its barrier
     * message without waiting and closes, and a jperf server, which looks at the channel at each
     * row, ends on that message with exit 0, or with an error if the channel closed without it.
     */
    private void sendBwInfinitely() {
        int size = sizes.getFirst();
        ReceiveRequests[] recv = server ? receiveRequests() : null;
        BwLoop loop = new BwLoop(qps, sendCq, recvCq, server ? null : sendRequests(size), recv, p.postList(),
                p.cqModeration(), p.txDepth(), 1, null, srq);
        loop.baseFlags = inlineFlag(size);
        loop.dc = server ? null : dcPosts(size);
        if (server) {
            loop.prepostReceives(receivesPerQp()); // -r in all, shared among the QPs of an SRQ (XRC, DC)
        }
        oob.barrier();
        runInfinitely(loop, size, server);
        if (server) {
            oob.awaitFinished();
        } else {
            oob.finishWithoutAnswer();
        }
    }

    /** The peer closed the channel without its finishing message. */
    private static final class PeerGone extends EngineException {
        PeerGone(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** How an infinite run ended: its totals, and whether the peer's finishing message ended it. */
    private record Ending(BwResult total, boolean peerFinished) {
    }

    /**
     * Runs {@code loop} (sending, or receiving for {@code receiver}) until a signal or the peer
     * ends it, one row per {@code -D} seconds of the messages completed in that interval (perftest
     * counts from its print thread's previous row; the peak is not measured). A receiver, and
     * either side of {@code -b}, looks at the channel at each row and when its loop fails: the
     * peer's finishing message ends the run, a channel closed without it fails it.
     */
    private Ending runInfinitely(BwLoop loop, int size, boolean receiver) {
        boolean duplex = p.bidirectional();
        boolean watchPeer = receiver || duplex;
        boolean[] peerFinished = {false};
        Window w;
        long messages = 0;
        try (StopSignals signals = takesSignals ? StopSignals.install() : null) {
            w = Window.infinite(p.durationSeconds(),
                    () -> signals != null && signals.getAsBoolean() || peerFinished[0], stallNs);
            IntervalRows rows = new IntervalRows(reporter, size, w.startNs, p.reporting().bytesPerBwUnit(),
                    duplex && p.kind() != TestKind.SEND ? 2 : 1);
            Progress row = now -> {
                rows.at(now, loop.sampled);
                peerFinished[0] = peerFinished(watchPeer, null);
            };
            try {
                messages = receiver ? loop.receive(0, w, row) : loop.send(0, w, 0, row);
            } catch (PeerGone e) {
                throw e;
            } catch (EngineException e) {
                // -b: a peer that stopped closes its QPs, so our requests fail; its message says it ended on purpose
                if (!watchPeer || !peerFinished(true, e)) {
                    throw e;
                }
                peerFinished[0] = true;
            }
            if (signals != null && signals.received() != null) {
                reporter.message("\n User stopped traffic\n");
            } else {
                reporter.message(server ? " Client closed connection\n" : " Server closed connection\n");
            }
        }
        reporter.tableFooter();
        long elapsed = Math.max(1, loop.lastNs - w.startNs);
        BwResult total = Bandwidth.fromTotals(size, receiver ? messages : loop.sampled, elapsed,
                p.reporting().bytesPerBwUnit(), 0);
        return new Ending(total, peerFinished[0]);
    }

    /**
     * Whether the peer sent its finishing message (only if {@code watch}); a channel the peer
     * closed without it fails the run ({@code cause}: the loop's failure it explains, or null).
     */
    private boolean peerFinished(boolean watch, EngineException cause) {
        return switch (oob.peerState()) {
            case CLOSED -> throw new PeerGone((server ? "the client" : "the server")
                    + " closed the out-of-band connection during --run_infinitely: it exited or failed"
                    + (cause == null ? "" : " (then: " + cause.getMessage() + ")"), cause);
            case SENT -> watch;
            case QUIET -> false;
        };
    }

    /** Runs the sender loop for one size and reports it (printed unless {@code quiet}). */
    private BwResult measureSend(BwLoop loop, int size, long receiveIterations, boolean quiet) {
        Window w = window();
        long start = w.sampleStartNs;
        Progress progress = now -> reporter.progress(now - start, loop.sampled, size);
        loop.send(p.iterations(), w, receiveIterations, progress);
        double unit = p.reporting().bytesPerBwUnit();
        if (p.isDuration()) {
            BwResult r = Bandwidth.fromTotals(size, loop.sampled, w.sampleEndNs - w.sampleStartNs, unit, 0);
            if (!quiet) {
                return reporter.bandwidthDuration(size, loop.sampled, w.sampleEndNs - w.sampleStartNs);
            }
            return r;
        }
        BwTimestamps t = new BwTimestamps(size, messages(), loop.posted, loop.completed, p.postList(), p.cqModeration());
        return quiet ? Bandwidth.compute(t, unit, p.noPeak()) : reporter.bandwidth(t);
    }

    private BwResult measureReceive(BwLoop loop, int size) {
        Window w = window();
        long start = w.sampleStartNs;
        Progress progress = now -> reporter.progress(now - start, loop.sampled, size);
        long got = loop.receive(p.iterations(), w, progress);
        double unit = p.reporting().bytesPerBwUnit();
        if (p.isDuration()) {
            return reporter.bandwidthDuration(size, loop.sampled, w.sampleEndNs - w.sampleStartNs);
        }
        long elapsed = Math.max(1, loop.lastNs - loop.firstReceiveNs);
        BwResult r = Bandwidth.fromTotals(size, got, elapsed, unit, 0);
        reporter.bandwidth(r);
        return r;
    }

    private static BwReport toReport(BwResult r) {
        return new BwReport(r.size(), r.iterations(), r.peak(), r.average(), r.msgRate());
    }

    private static BwResult fromReport(BwReport r) {
        return new BwResult(r.size(), r.iters(), r.bwPeak(), r.bwAvg(), r.msgRate());
    }

    // ---------------------------------------------------------------- latency

    /** write_lat: both sides ping-pong; no closing handshake (perftest just closes). */
    private void writeLat() {
        exchangeFirst();
        exchange();
        connectQps();
        printAddresses(true);
        exchange();
        printAddresses(false);
        oob.barrier();
        reporter.tableHeader();
        for (int size : sizes) {
            SendRequests wr = latRequest(size);
            LatLoop loop = new LatLoop(qps[0], sendCq, recvCq, wr, null, latIterations(), events);
            loop.dc = dcPost(size);
            Window w = window();
            LatencyRecorder recorder = new LatencyRecorder(p.kind());
            loop.write(p.iterations(), server, buffer.segment(), sendOffset(0) + size - 1, buffer.segment(),
                    recvOffset(receiveIndex(0)) + size - 1, w, recorder, now -> reporter.progress(now - w.sampleStartNs, recorder));
            reportLatency(loop, w, size, recorder);
        }
        reporter.tableFooter();
        oob.close();
    }

    /** send_lat: the client sends first; receives are posted before each size's handshake. */
    private void sendLat() {
        exchange();
        connectQps();
        oob.barrier();
        printAddresses(true);
        exchange();
        printAddresses(false);
        reporter.tableHeader();
        ReceiveRequests recv = receiveRequests()[0];
        int rxDepth = receivesPerQp();
        for (int size : sizes) {
            SendRequests wr = latRequest(size);
            LatLoop loop = new LatLoop(qps[0], sendCq, recvCq, wr, recv, latIterations(), events, srq);
            loop.dc = dcPost(size);
            for (int i = 0; i < rxDepth; i++) {
                loop.postReceive();
            }
            oob.barrier();
            Window w = window();
            LatencyRecorder recorder = new LatencyRecorder(p.kind());
            loop.send(p.iterations(), !server, rxDepth, w, recorder,
                    now -> reporter.progress(now - w.sampleStartNs, recorder));
            reportLatency(loop, w, size, recorder);
        }
        reporter.tableFooter();
        oob.closeConnection();
    }

    /** read_lat, atomic_lat: the client alone measures; the server waits in the closing handshake. */
    private void requestLat() {
        exchangeFirst();
        exchange();
        connectQps();
        printAddresses(true);
        exchange();
        printAddresses(false);
        oob.barrier();
        if (server) {
            oob.closeConnection(longWait());
            reporter.tableFooter();
            return;
        }
        reporter.tableHeader();
        List<Integer> run = p.kind() == TestKind.ATOMIC ? List.of(8) : sizes;
        for (int size : run) {
            LatLoop loop = new LatLoop(qps[0], sendCq, recvCq, latRequest(size), null, latIterations(), events);
            loop.dc = dcPost(size);
            Window w = window();
            LatencyRecorder recorder = new LatencyRecorder(p.kind());
            loop.request(p.iterations(), w, recorder, now -> reporter.progress(now - w.sampleStartNs, recorder));
            reportLatency(loop, w, size, recorder);
        }
        reporter.tableFooter();
        oob.closeConnection();
    }

    private int latIterations() {
        return p.isDuration() ? 1 : Math.toIntExact(p.iterations());
    }

    private SendRequests latRequest(int size) {
        SendRequests wr = new SendRequests(1, 1);
        fillSend(wr, 0, size);
        wr.sendFlags(0, SendFlags.SIGNALED | inlineFlag(size));
        return wr;
    }

    private void reportLatency(LatLoop loop, Window w, int size, LatencyRecorder recorder) {
        if (p.isDuration()) {
            if (loop.sampled == 0) {
                throw new EngineException("no round trip completed in the " + (p.durationSeconds() - 2 * p.marginSeconds())
                        + " s sample window: lengthen -D or shorten -f");
            }
            reporter.latencyDuration(size, loop.sampled, loop.sampleLastNs - loop.sampleFirstNs, recorder);
        } else {
            reporter.latency(size, loop.posted, Math.toIntExact(p.iterations()));
        }
    }

    private static long align(long value, long to) {
        return (value + to - 1) / to * to;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new EngineException(e.getMessage(), e);
                }
            }
        }
        closeables.clear();
        if (first != null) {
            throw first;
        }
    }
}
