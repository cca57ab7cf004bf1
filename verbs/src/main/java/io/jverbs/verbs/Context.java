package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_async_event;
import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.ffi.ibv_context_ops;
import io.jverbs.verbs.ffi.ibv_device;
import io.jverbs.verbs.ffi.ibv_device_attr_ex;
import io.jverbs.verbs.ffi.ibv_gid_entry;
import io.jverbs.verbs.ffi.ibv_port_attr;
import io.jverbs.verbs.ffi.ibv_qp;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.JfrEvents;
import io.jverbs.verbs.internal.QpFactory;
import io.jverbs.verbs.internal.DmAllocator;
import io.jverbs.verbs.internal.VerbsAccess;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.Provider;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * An open RDMA device ({@code struct ibv_context}): the root of every other verbs object.
 * Closing it closes everything created from it.
 *
 * <p>The provider's data-path entry points ({@code ops.post_send}, {@code ops.poll_cq}, ...) and
 * the extended-verbs slots that {@code struct verbs_context} keeps in front of the context are
 * read once here; queues call them directly, as verbs.h's inline functions do.
 *
 * <p>A device of a {@link Provider} (the soft RoCEv2 device, {@code jsoft0}) runs the same
 * classes: each keeps its native structs, and where it would call libibverbs it calls the
 * context's {@link ContextOps} instead ({@link #isSoftDevice()}).
 */
public final class Context extends NativeResource {
    /** {@code __VERBS_ABI_IS_EXTENDED}: the marker a provider puts in abi_compat. */
    private static final long ABI_IS_EXTENDED = -1L;
    private static final long CONTEXT_OFFSET = verbs_context.context$offset();

    /** Contexts that librdmacm opened, by address: one wrapper per device (see {@link #adoptShared}). */
    private static final Map<Long, Context> ADOPTED = new ConcurrentHashMap<>();

    private final Device device;
    private final MemorySegment ctx;
    /**
     * Opened by other code ({@link #adopt}) or by librdmacm: closing releases the children only,
     * never the device. Null for a context jverbs opened.
     */
    private final String openedBy;
    /** The enclosing verbs_context, or null for a provider without extended verbs. */
    private final MemorySegment vctx;
    final MemorySegment postSend, postRecv, postSrqRecv, pollCq, reqNotifyCq, allocMw, bindMw, deallocMw;
    /**
     * The operations of a provider's device, or null for libibverbs. Every object of this context
     * copies it into a final field: on the data path the branch is one null check the JIT
     * predicts, and the native path keeps its single downcall.
     */
    final ContextOps provider;

    static {
        VerbsAccess.set(new VerbsAccess() {
            @Override
            public Context adoptContext(MemorySegment verbs) {
                return adoptShared(verbs);
            }

            @Override
            public QueuePair createQueuePair(ProtectionDomain pd, QueuePair.Config config, QpFactory factory) {
                return pd.createQueuePair(config, factory);
            }

            @Override
            public AddressHandle createAddressHandle(ProtectionDomain pd, MemorySegment ahAttr) {
                return new AddressHandle(pd, ahAttr);
            }

            @Override
            public DeviceMemory allocateDeviceMemory(Context context, long length, DmAllocator allocator) {
                context.checkOpen();
                return new DeviceMemory(context, length, allocator);
            }
        });
    }

    private Context(Device device, MemorySegment ctx, String openedBy) {
        super(null);
        this.device = device;
        this.openedBy = openedBy;
        this.provider = null;
        long extendedSize = CONTEXT_OFFSET + ibv_context.sizeof();
        // The pointer from ibv_open_device is zero-length: size it before reading abi_compat.
        if (ibv_context.abi_compat(ctx.reinterpret(ibv_context.sizeof())).address() == ABI_IS_EXTENDED) {
            this.vctx = MemorySegment.ofAddress(ctx.address() - CONTEXT_OFFSET).reinterpret(extendedSize);
            this.ctx = vctx.asSlice(CONTEXT_OFFSET, ibv_context.sizeof());
        } else {
            this.vctx = null;
            this.ctx = ctx.reinterpret(ibv_context.sizeof());
        }
        MemorySegment ops = ibv_context.ops(this.ctx);
        this.postSend = ibv_context_ops.post_send(ops);
        this.postRecv = ibv_context_ops.post_recv(ops);
        this.postSrqRecv = ibv_context_ops.post_srq_recv(ops);
        this.pollCq = ibv_context_ops.poll_cq(ops);
        this.reqNotifyCq = ibv_context_ops.req_notify_cq(ops);
        this.allocMw = ibv_context_ops.alloc_mw(ops);
        this.bindMw = ibv_context_ops.bind_mw(ops);
        this.deallocMw = ibv_context_ops.dealloc_mw(ops);
    }

    /** A context of a provider's device: its struct comes from {@code ops}, its calls go there. */
    private Context(Device device, ContextOps ops) {
        super(null);
        this.device = device;
        this.openedBy = null;
        this.provider = ops;
        this.vctx = null;
        this.ctx = ops.context().reinterpret(ibv_context.sizeof());
        this.postSend = this.postRecv = this.postSrqRecv = this.pollCq = this.reqNotifyCq = MemorySegment.NULL;
        this.allocMw = this.bindMw = this.deallocMw = MemorySegment.NULL;
    }

    /** The providers {@link ServiceLoader} finds, loaded once. */
    static final class Providers {
        private Providers() {}

        static final List<Provider> ALL = ServiceLoader.load(Provider.class, Context.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get).toList();

        /** The devices of every provider, in provider order. */
        static List<Device> devices() {
            List<Device> out = new ArrayList<>();
            for (Provider p : ALL) {
                out.addAll(p.devices());
            }
            return out;
        }
    }

    /** Opens a device by name, e.g. {@code rxe0}; the exception says why when there is none. This is the way to open a device. */
    public static Context open(String deviceName) {
        return openMatching(deviceName);
    }

    /** Opens the first device: the usual choice on a machine with one. */
    public static Context openFirst() {
        return openMatching(null);
    }

    private record Opened(Device device, MemorySegment ctx) {}

    /**
     * One pass over the device list (each listing reads sysfs): opens the device named
     * {@code name}, or the first one when {@code name} is null. Without a match it says why.
     */
    private static Context openMatching(String name) {
        List<Device> seen = new ArrayList<>();
        Opened opened;
        try {
            opened = openNative(name, seen);
        } catch (io.jverbs.core.NativeLibraryException e) {
            // No libibverbs here: a provider's device still opens; without one, say what to install.
            Context soft = openProvided(name);
            if (soft != null) return soft;
            throw e;
        }
        if (opened != null) {
            return new Context(opened.device(), opened.ctx(), null);
        }
        Context soft = openProvided(name);
        if (soft != null) return soft;
        seen.addAll(Providers.devices());
        throw Device.notFound(name, seen);
    }

    /** Opens the provider device named {@code name} (the first one when null), or returns null. */
    private static Context openProvided(String name) {
        for (Provider p : Providers.ALL) {
            for (Device d : p.devices()) {
                if (name == null || d.name().equals(name)) {
                    JfrEvents.DeviceOpen jfr = JfrEvents.DeviceOpen.start(d.name());
                    ContextOps ops;
                    try {
                        ops = p.open(d.name());
                    } catch (ProviderException e) {
                        throw e.getMessage() == null ? Checks.error(VerbsCall.OPEN_DEVICE, e.errno(), d.name(), null)
                                : new VerbsException(VerbsCall.OPEN_DEVICE, e.errno(), d.name() + ": " + e.getMessage());
                    }
                    if (jfr != null) jfr.commit();
                    return new Context(d, ops);
                }
            }
        }
        return null;
    }

    /** Opens the native device named {@code name} (the first when null); null, with the devices seen, when there is none. */
    private static Opened openNative(String name, List<Device> seen) {
        return Device.withList(list -> {
            if (!Native.isNull(list)) {
                for (long i = 0; ; i++) {
                    MemorySegment dev = list.getAtIndex(ValueLayout.ADDRESS, i);
                    if (Native.isNull(dev)) break;
                    Device d = Device.read(dev.reinterpret(ibv_device.sizeof()));
                    if (name == null || d.name().equals(name)) {
                        JfrEvents.DeviceOpen jfr = JfrEvents.DeviceOpen.start(d.name());
                        MemorySegment c = IbVerbs.ibv_open_device(dev);
                        if (Native.isNull(c)) throw Checks.fromErrno(VerbsCall.OPEN_DEVICE, d.name());
                        if (jfr != null) jfr.commit();
                        return new Opened(d, c);
                    }
                    seen.add(d);
                }
            }
            return null;
        });
    }

    /**
     * Wraps a {@code struct ibv_context *} that other code opened (a C library, a provider of
     * your own, {@code ibv_open_device} called directly), like rust-ibverbs' {@code from_raw}.
     * jverbs does not own it: {@link #close()} closes the objects created or adopted through this
     * wrapper, never the device; the caller closes the device after that. Each call returns a new
     * wrapper. A context whose {@code device} pointer is NULL (a fake provider) gets the device
     * {@link Device#ADOPTED}.
     *
     * <p>The context must be a real provider's or imitate one: the data path reads its
     * {@code ops} table, and each other call goes through the libibverbs function of that name.
     * Adopt its queues with {@link CompletionQueue#adopt} and {@link QueuePair#adopt}.
     */
    public static Context adopt(MemorySegment ibvContext) {
        return wrapForeign(ibvContext, "adopted");
    }

    /**
     * The wrapper of the {@code struct ibv_context *} librdmacm opened for a device
     * ({@code id->verbs}). librdmacm shares one per device among all its ids and keeps it open
     * for the life of the process, so the wrapper is shared too.
     */
    private static Context adoptShared(MemorySegment verbs) {
        return ADOPTED.compute(verbs.address(), (address, existing) ->
                existing != null && !existing.isClosed() ? existing : wrapForeign(verbs, "opened by rdma_cm"));
    }

    private static Context wrapForeign(MemorySegment ibvContext, String openedBy) {
        if (Native.isNull(ibvContext)) {
            throw new IllegalArgumentException("cannot adopt a NULL struct ibv_context *");
        }
        MemorySegment c = ibvContext.reinterpret(ibv_context.sizeof());
        MemorySegment ops = ibv_context.ops(c);
        if (Native.isNull(ibv_context_ops.post_send(ops)) || Native.isNull(ibv_context_ops.poll_cq(ops))) {
            // A soft device's context has no C ops to call: calling through NULL would crash the JVM.
            throw new IllegalArgumentException("the context at 0x" + Long.toHexString(c.address())
                    + " has no post_send/poll_cq ops: not a libibverbs provider's (a soft device's context cannot be adopted)");
        }
        MemorySegment dev = ibv_context.device(c);
        return new Context(Native.isNull(dev) ? Device.ADOPTED : Device.read(dev.reinterpret(ibv_device.sizeof())), c, openedBy);
    }

    public Device device() {
        return device;
    }

    /** The {@code struct ibv_context *}, for calls jverbs does not wrap. */
    public MemorySegment segment() {
        checkOpen();
        return ctx;
    }

    /** Number of completion vectors (interrupt lines) a CQ may choose from. */
    public int completionVectors() {
        checkOpen();
        return ibv_context.num_comp_vectors(ctx);
    }

    /** The async event fd (for epoll); see {@link #awaitAsyncEvent}. */
    public int asyncFd() {
        checkOpen();
        return ibv_context.async_fd(ctx);
    }

    /** Device limits and capabilities ({@code ibv_query_device_ex}, or {@code ibv_query_device}). */
    public DeviceAttributes queryDevice() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_device_attr_ex.layout());
            if (provider != null) {
                Checks.check(VerbsCall.QUERY_DEVICE_EX, provider.queryDevice(attr), device.name());
                return DeviceAttributes.read(attr, true);
            }
            MemorySegment fn = extendedOp(verbs_context.query_device_ex$offset());
            if (!Native.isNull(fn)) {
                int rc = (int) Ops.QUERY_DEVICE_EX.invokeExact(fn, ctx, MemorySegment.NULL, attr, ibv_device_attr_ex.sizeof());
                if (rc == 0) {
                    return DeviceAttributes.read(attr, true);
                }
                if (rc != io.jverbs.core.Errno.EOPNOTSUPP) {
                    throw Checks.error(VerbsCall.QUERY_DEVICE_EX, rc, device.name(), null);
                }
            }
            Checks.check(VerbsCall.QUERY_DEVICE, IbVerbs.ibv_query_device(ctx, ibv_device_attr_ex.orig_attr(attr)));
            return DeviceAttributes.read(attr, false);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /** Port state, MTU, LID and link layer ({@code ibv_query_port}); ports count from 1. */
    public PortAttributes queryPort(int port) {
        checkOpen();
        checkPort(port);
        if (provider != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(ibv_port_attr.layout());
                Checks.check(VerbsCall.QUERY_PORT, provider.queryPort(port, attr), device.name());
                return PortAttributes.read(attr);
            }
        }
        MemorySegment fn = extendedOp(verbs_context.query_port$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("ibv_query_port through the extended context", device.name(), "rdma-core is too old", null, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_port_attr.layout());
            int rc = (int) Ops.QUERY_PORT.invokeExact(fn, ctx, (byte) port, attr, ibv_port_attr.sizeof());
            Checks.check(VerbsCall.QUERY_PORT, rc);
            return PortAttributes.read(attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /** One GID table entry with its type ({@code ibv_query_gid_ex}). */
    public GidEntry queryGid(int port, int index) {
        checkOpen();
        checkPort(port);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment e = arena.allocate(ibv_gid_entry.layout());
            int rc = provider != null ? provider.queryGid(port, index, e)
                    : IbVerbs._ibv_query_gid_ex(ctx, port, index, e, 0, ibv_gid_entry.sizeof());
            Checks.check(VerbsCall.QUERY_GID_EX, rc);
            return readGidEntry(e);
        }
    }

    /** The valid GIDs of every port ({@code ibv_query_gid_table}). */
    public List<GidEntry> gidTable() {
        checkOpen();
        int entries = 0;
        int ports = queryDevice().physicalPortCount();
        for (int p = 1; p <= ports; p++) {
            entries += queryPort(p).gidTableLength();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(ibv_gid_entry.layout(), Math.max(1, entries));
            long n = provider != null ? provider.queryGidTable(table, entries)
                    : IbVerbs._ibv_query_gid_table(ctx, table, entries, 0, ibv_gid_entry.sizeof());
            if (n < 0) {
                throw Checks.error(VerbsCall.QUERY_GID_TABLE, (int) -n);
            }
            List<GidEntry> out = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) {
                out.add(readGidEntry(table.asSlice(i * ibv_gid_entry.sizeof(), ibv_gid_entry.sizeof())));
            }
            return out;
        }
    }

    /** The valid GIDs of one port. */
    public List<GidEntry> gidTable(int port) {
        return gidTable().stream().filter(e -> e.port() == port).toList();
    }

    /**
     * The GID perftest would choose on RoCE: RoCE v2 with an IPv4-mapped address first, then any
     * RoCE v2, then index 0. On InfiniBand, index 0.
     */
    public GidEntry bestGid(int port) {
        List<GidEntry> table = gidTable(port);
        if (table.isEmpty()) {
            throw new IllegalStateException(device.name() + " port " + port + " has no valid GID: is its netdev up with an address?");
        }
        return table.stream().filter(e -> e.type() == GidType.ROCE_V2 && e.gid().isIpv4Mapped()).findFirst()
                .or(() -> table.stream().filter(e -> e.type() == GidType.ROCE_V2).findFirst())
                .orElse(table.getFirst());
    }

    /** Allocates a protection domain. */
    public ProtectionDomain allocateProtectionDomain() {
        checkOpen();
        return new ProtectionDomain(this);
    }

    /** Creates a completion channel: a file descriptor that wakes up threads waiting for CQ events. */
    public CompletionChannel createCompletionChannel() {
        checkOpen();
        return new CompletionChannel(this);
    }

    /** Creates a CQ of at least {@code entries} entries, polled only: {@code createCompletionQueue(Config.of(entries))}. */
    public CompletionQueue createCompletionQueue(int entries) {
        return createCompletionQueue(CompletionQueue.Config.of(entries));
    }

    /** Creates a CQ as {@code config} says: size, completion channel and vector, extended polling. */
    public CompletionQueue createCompletionQueue(CompletionQueue.Config config) {
        checkOpen();
        return new CompletionQueue(this, config);
    }

    /**
     * Waits up to {@code timeout} for the next asynchronous event of this device and returns it
     * (acknowledged), or null on timeout. For a QP event the element is the QP number; for a port
     * event the port; otherwise the address of the CQ or SRQ ({@code segment().address()}).
     */
    public AsyncEvent awaitAsyncEvent(Duration timeout) {
        checkOpen();
        if (!LibC.awaitReadable(ibv_context.async_fd(ctx), timeout.toMillis())) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(ibv_async_event.layout());
            if (provider != null) {
                int rc = provider.getAsyncEvent(ev);
                if (rc == Errno.EAGAIN) return null; // another thread took it between poll and read
                Checks.check(VerbsCall.GET_ASYNC_EVENT, rc, device.name());
            } else {
                Checks.check(VerbsCall.GET_ASYNC_EVENT, IbVerbs.ibv_get_async_event(ctx, ev));
            }
            AsyncEvent.Type type = AsyncEvent.Type.of(ibv_async_event.event_type(ev));
            long element;
            if (type.isPortEvent()) {
                element = ibv_async_event.element_port_num(ev);
            } else if (type.isQpEvent()) {
                element = ibv_qp.qp_num(
                        ibv_async_event.element_qp(ev).reinterpret(ibv_qp.sizeof()));
            } else {
                element = ibv_async_event.element_cq(ev).address();
            }
            if (provider == null) IbVerbs.ibv_ack_async_event(ev);
            if (JfrEvents.AsyncEvent.enabled()) new JfrEvents.AsyncEvent(device.name(), type.name(), element).commit();
            return new AsyncEvent(type, element);
        }
    }

    /** {@code RXE_VENDOR_ID}: Soft-RoCE reports this vendor id. */
    private static final int RXE_VENDOR_ID = 0xFFFFFF;
    private volatile Boolean softRoce;

    /** True for a Soft-RoCE (rxe) device, whose provider has quirks the wrappers work around. */
    public boolean isSoftRoce() {
        if (provider != null) {
            return false;
        }
        Boolean s = softRoce;
        if (s == null) {
            softRoce = s = queryDevice().vendorId() == RXE_VENDOR_ID;
        }
        return s;
    }

    /**
     * True for a device of a {@link Provider} implemented in Java (jverbs' soft RoCEv2 device,
     * {@code jsoft0}), false for a libibverbs device (rxe included: see {@link #isSoftRoce()}).
     */
    public boolean isSoftDevice() {
        return provider != null;
    }

    /** The exception for a feature a provider's device lacks, naming the device and why. */
    NotSupportedException notOnSoftDevice(String feature, String why) {
        return new NotSupportedException(feature, device.name(), why + "; use a libibverbs device for it", null, 0);
    }

    /** The exception for a provider operation that failed: as libibverbs' failure of {@code call}. */
    RuntimeException providerError(VerbsCall call, ProviderException e, String feature) {
        if (NotSupportedException.isNotSupported(e.errno()) && e.getMessage() != null) {
            return new NotSupportedException(feature != null ? feature : call.function(), device.name(), e.getMessage(), call, e.errno());
        }
        return e.getMessage() != null && !NotSupportedException.isNotSupported(e.errno())
                ? new VerbsException(call, e.errno(), device.name() + ": " + e.getMessage())
                : Checks.error(call, e.errno(), device.name(), feature);
    }

    /**
     * Allocates {@code length} bytes of memory on the device ({@code ibv_alloc_dm}); throws
     * {@link NotSupportedException} on a device without any (Soft-RoCE).
     */
    public DeviceMemory allocateDeviceMemory(long length) {
        checkOpen();
        if (provider != null && length > 0) { // a bad length is an IllegalArgumentException on any device
            throw notOnSoftDevice("device memory", "a soft device has no memory of its own");
        }
        return new DeviceMemory(this, length);
    }

    /** Opens a private XRC domain ({@code ibv_open_xrcd}). */
    public XrcDomain openXrcDomain() {
        checkOpen();
        if (provider != null) {
            throw notOnSoftDevice("XRC domains", "it implements RC, UC and UD only (no IBV_DEVICE_XRC)");
        }
        return new XrcDomain(this);
    }

    /**
     * {@code object}, a native CQ or QP to adopt, sized to {@code size}, after checking that its
     * context pointer (read by {@code contextOf}) is this context.
     */
    MemorySegment adoptable(MemorySegment object, long size, UnaryOperator<MemorySegment> contextOf, String what) {
        checkOpen();
        if (provider != null) {
            // An adopted object calls the C ops of its context, which a provider's context does not have.
            throw new IllegalArgumentException("a " + what + " of " + device.name() + " cannot be adopted: " + device.name()
                    + " is not a libibverbs device (create it through the Context instead)");
        }
        if (Native.isNull(object)) {
            throw new IllegalArgumentException("cannot adopt a NULL " + what);
        }
        MemorySegment o = object.reinterpret(size);
        long owner = contextOf.apply(o).address();
        if (owner != ctx.address()) {
            throw new IllegalArgumentException("the " + what + " belongs to the context at 0x" + Long.toHexString(owner)
                    + ", not to " + describe() + " at 0x" + Long.toHexString(ctx.address()));
        }
        return o;
    }

    /** Address of a {@code struct verbs_context} slot if the provider fills it, else NULL (verbs_get_ctx_op). */
    MemorySegment extendedOp(long slotOffset) {
        if (vctx == null) {
            return MemorySegment.NULL;
        }
        long size = vctx.get(ValueLayout.JAVA_LONG, verbs_context.sz$offset());
        if (size < CONTEXT_OFFSET + ibv_context.sizeof() - slotOffset) {
            return MemorySegment.NULL;
        }
        return vctx.get(ValueLayout.ADDRESS, slotOffset);
    }

    private void checkPort(int port) {
        if (port < 1 || port > 255) {
            throw new IllegalArgumentException("port numbers start at 1, got " + port);
        }
    }

    private static GidEntry readGidEntry(MemorySegment e) {
        return new GidEntry(ibv_gid_entry.gid_index(e), ibv_gid_entry.port_num(e), Gid.read(ibv_gid_entry.gid(e), 0),
                GidType.of(ibv_gid_entry.gid_type(e)), ibv_gid_entry.ndev_ifindex(e));
    }

    @Override
    protected void destroy() {
        if (provider != null) {
            Checks.check(VerbsCall.CLOSE_DEVICE, provider.close(), device.name());
        } else if (openedBy == null) {
            Checks.check(VerbsCall.CLOSE_DEVICE, IbVerbs.ibv_close_device(ctx));
        }
    }

    @Override
    protected String describe() {
        return "Context(" + device.name() + (openedBy == null ? "" : ", " + openedBy) + ")";
    }
}
