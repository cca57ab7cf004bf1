package io.jverbs.verbs.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

import java.util.StringJoiner;

/**
 * JDK Flight Recorder events of the control path, named {@code io.jverbs.*} (the names and field
 * names are what users filter on: keep them stable). They are listed in docs/verbs.md.
 *
 * <p>Cost when no recording enables them: one {@code isEnabled()} test of a static final probe
 * at the call site, no allocation. None is emitted from post or poll: error completions are
 * recorded where an application already handles one ({@code WorkCompletions.describe} of a
 * failed completion). Duration events are started with {@code start(...)}, which returns null
 * when the event is disabled, and committed by the caller; instant events are built and committed
 * by the caller after {@code enabled()}, so that the recorded stack trace starts at the call site.
 */
public final class JfrEvents {
    private JfrEvents() {}

    private static final String[] ACCESS_NAMES = {"LOCAL_WRITE", "REMOTE_WRITE", "REMOTE_READ", "REMOTE_ATOMIC",
            "MW_BIND", "ZERO_BASED", "ON_DEMAND", "HUGETLB"};
    private static final int RELAXED_ORDERING = 1 << 20;

    /** {@code enum ibv_access_flags} as names joined by '|', e.g. {@code LOCAL_WRITE|REMOTE_READ}. */
    static String accessNames(int flags) {
        StringJoiner j = new StringJoiner("|");
        for (int bit = 0; bit < ACCESS_NAMES.length; bit++) {
            if ((flags & (1 << bit)) != 0) j.add(ACCESS_NAMES[bit]);
        }
        if ((flags & RELAXED_ORDERING) != 0) j.add("RELAXED_ORDERING");
        int unknown = flags & ~((1 << ACCESS_NAMES.length) - 1) & ~RELAXED_ORDERING;
        if (unknown != 0) j.add("0x" + Integer.toHexString(unknown));
        return j.length() == 0 ? "0" : j.toString();
    }

    @Name("io.jverbs.DeviceOpen")
    @Label("RDMA Device Open")
    @Category({"jverbs", "RDMA"})
    @Description("ibv_open_device: a device opened by Context.open or Context.openFirst")
    public static final class DeviceOpen extends Event {
        private static final DeviceOpen PROBE = new DeviceOpen();

        @Label("Device")
        public String device;

        /** Starts the timing, or returns null when no recording wants this event. */
        public static DeviceOpen start(String device) {
            if (!PROBE.isEnabled()) return null;
            DeviceOpen e = new DeviceOpen();
            e.device = device;
            e.begin();
            return e;
        }
    }

    @Name("io.jverbs.MemoryRegistration")
    @Label("RDMA Memory Registration")
    @Category({"jverbs", "RDMA"})
    @Description("ibv_reg_mr_iova2 or ibv_reg_dm_mr: memory pinned and registered with a device")
    public static final class MemoryRegistration extends Event {
        private static final MemoryRegistration PROBE = new MemoryRegistration();

        @Label("Device")
        public String device;
        @Label("Address")
        @Description("Start of the range in this process; 0 for device memory")
        @MemoryAddress
        public long address;
        @Label("Length")
        @DataAmount
        public long length;
        @Label("Access")
        @Description("The ibv_access_flags by name")
        public String access;
        @Label("Access Flags")
        @Description("The ibv_access_flags bits")
        public int accessFlags;
        @Label("Device Memory")
        @Description("True for on-device memory (ibv_reg_dm_mr)")
        public boolean deviceMemory;

        /** Starts the timing, or returns null when no recording wants this event. */
        public static MemoryRegistration start(String device, long address, long length, int access, boolean deviceMemory) {
            if (!PROBE.isEnabled()) return null;
            MemoryRegistration e = new MemoryRegistration();
            e.device = device;
            e.address = address;
            e.length = length;
            e.accessFlags = access;
            e.access = accessNames(access);
            e.deviceMemory = deviceMemory;
            e.begin();
            return e;
        }
    }

    @Name("io.jverbs.QpStateChange")
    @Label("RDMA QP State Change")
    @Category({"jverbs", "RDMA"})
    @Description("ibv_modify_qp with IBV_QP_STATE through a QueuePair (QPs that rdma_cm moves itself are not seen)")
    public static final class QpStateChange extends Event {
        private static final QpStateChange PROBE = new QpStateChange();

        @Label("Device")
        public String device;
        @Label("QP Number")
        public int qpn;
        @Label("QP Type")
        public String qpType;
        @Label("From")
        @Description("The state before, from ibv_query_qp")
        public String from;
        @Label("To")
        public String to;

        /** True when a recording wants this event: the caller then queries the current state. */
        public static boolean enabled() {
            return PROBE.isEnabled();
        }

        /** Starts the timing; call only when {@link #enabled()}. */
        public static QpStateChange start(String device, int qpn, String qpType, String from, String to) {
            QpStateChange e = new QpStateChange();
            e.device = device;
            e.qpn = qpn;
            e.qpType = qpType;
            e.from = from;
            e.to = to;
            e.begin();
            return e;
        }
    }

    @Name("io.jverbs.ErrorCompletion")
    @Label("RDMA Error Completion")
    @Category({"jverbs", "RDMA"})
    @Description("A work completion whose status is not SUCCESS, recorded when the application describes it"
            + " (WorkCompletions.describe); never from poll")
    public static final class ErrorCompletion extends Event {
        private static final ErrorCompletion PROBE = new ErrorCompletion();

        @Label("Status")
        public String status;
        @Label("Status Text")
        @Description("ibv_wc_status_str")
        public String statusText;
        @Label("Opcode")
        @Description("Not defined by verbs for failed completions: providers may leave it stale")
        public String opcode;
        @Label("QP Number")
        public int qpn;
        @Label("Work Request Id")
        public long wrId;
        @Label("Vendor Error")
        public int vendorError;

        ErrorCompletion() {}

        /** Fields of a failed completion; commit it only when {@link #enabled()}. */
        public ErrorCompletion(String status, String statusText, String opcode, int qpn, long wrId, int vendorError) {
            this.status = status;
            this.statusText = statusText;
            this.opcode = opcode;
            this.qpn = qpn;
            this.wrId = wrId;
            this.vendorError = vendorError;
        }

        public static boolean enabled() {
            return PROBE.isEnabled();
        }
    }

    @Name("io.jverbs.AsyncEvent")
    @Label("RDMA Async Event")
    @Category({"jverbs", "RDMA"})
    @Description("ibv_get_async_event, as read by Context.awaitAsyncEvent")
    public static final class AsyncEvent extends Event {
        private static final AsyncEvent PROBE = new AsyncEvent();

        @Label("Device")
        public String device;
        @Label("Type")
        @Description("enum ibv_event_type without the IBV_EVENT_ prefix")
        public String type;
        @Label("Element")
        @Description("The QP number, the port number, or the CQ/SRQ address, by type")
        public long element;

        AsyncEvent() {}

        /** Commit it only when {@link #enabled()}. */
        public AsyncEvent(String device, String type, long element) {
            this.device = device;
            this.type = type;
            this.element = element;
        }

        public static boolean enabled() {
            return PROBE.isEnabled();
        }
    }

    @Name("io.jverbs.CmEvent")
    @Label("rdma_cm Event")
    @Category({"jverbs", "RDMA"})
    @Description("rdma_get_cm_event, as read by a CmEventChannel")
    public static final class CmEvent extends Event {
        private static final CmEvent PROBE = new CmEvent();

        @Label("Type")
        @Description("enum rdma_cm_event_type without the RDMA_CM_EVENT_ prefix")
        public String type;
        @Label("Status")
        @Description("0, a negative errno, or a transport value (the CM reject reason for REJECTED)")
        public int status;
        @Label("Id")
        @Description("The struct rdma_cm_id the event is for")
        @MemoryAddress
        public long id;
        @Label("Listen Id")
        @Description("The listening rdma_cm_id of a CONNECT_REQUEST, else 0")
        @MemoryAddress
        public long listenId;

        CmEvent() {}

        /** Commit it only when {@link #enabled()}. */
        public CmEvent(String type, int status, long id, long listenId) {
            this.type = type;
            this.status = status;
            this.id = id;
            this.listenId = listenId;
        }

        public static boolean enabled() {
            return PROBE.isEnabled();
        }
    }
}
