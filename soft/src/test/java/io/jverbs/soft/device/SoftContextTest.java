package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NotSupportedException;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionChannel;
import io.jverbs.verbs.CompletionFields;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Device;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.GidEntry;
import io.jverbs.verbs.GidType;
import io.jverbs.verbs.LinkLayer;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.Mtu;
import io.jverbs.verbs.PortAttributes;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.ffi.ibv_cq;
import io.jverbs.verbs.ffi.ibv_mr;
import io.jverbs.verbs.ffi.ibv_pd;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The provider seam with the real soft device behind it, through the public verbs API as users
 * call it: device list, context, queries, PD, MR, CQ, completion channel, the features it
 * refuses, and closed objects.
 */
class SoftContextTest {
    @Test
    void jsoft0IsListedAfterTheNativeDevicesAndOpensByName() {
        List<Device> all = Device.list();
        int soft = all.stream().map(Device::name).toList().indexOf("jsoft0");
        assertTrue(soft >= 0, "jsoft0 in " + all);
        for (int i = soft; i < all.size(); i++) {
            // Nothing native after the first soft device: a real NIC stays first.
            String name = all.get(i).name();
            assertTrue(SoftProvider.configs().stream().anyMatch(c -> c.name().equals(name)), name + " after jsoft0 in " + all);
        }
        try (Context ctx = Context.open("jsoft0")) {
            assertTrue(ctx.isSoftDevice());
            assertFalse(ctx.isSoftRoce());
            assertEquals("jsoft0", ctx.device().name());
            assertEquals(1, ctx.completionVectors());
            assertEquals(1, ctx.device().nodeType());
        }
    }

    @Test
    void queriesReadTheStructsTheDeviceFills() {
        try (Context ctx = Context.open("jsoft0")) {
            DeviceAttributes d = ctx.queryDevice();
            assertEquals(1, d.physicalPortCount());
            assertEquals(ctx.device().guid(), d.nodeGuid());
            assertTrue(d.maxQp() > 0 && d.maxCqe() > 0 && d.maxMr() > 0, d.toString());
            PortAttributes p = ctx.queryPort(1);
            assertTrue(p.isActive());
            assertEquals(Mtu.MTU_1024, p.activeMtu());
            assertEquals(LinkLayer.ETHERNET, p.linkLayer());
            assertEquals(2, p.gidTableLength());
            // rxe's convention: index 1 is the IPv4-mapped RoCE v2 GID of the interface address.
            GidEntry g1 = ctx.queryGid(1, 1);
            assertEquals(Gid.ofIpv4(SoftProvider.configs().getFirst().address().getAddress()), g1.gid());
            assertEquals("jsoft0", SoftProvider.configs().getFirst().name());
            assertEquals(GidType.ROCE_V2, g1.type());
            assertEquals(1, ctx.bestGid(1).index());
            assertEquals(2, ctx.gidTable().size());
            assertEquals(0xfe80_0000_0000_0000L, ctx.queryGid(1, 0).gid().high());
            assertThrows(io.jverbs.verbs.VerbsException.class, () -> ctx.queryGid(1, 2));
            assertThrows(io.jverbs.verbs.VerbsException.class, () -> ctx.queryPort(2));
        }
    }

    @Test
    void registrationsAreChildrenOfTheirBufferWithKeysInTheStruct() {
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             NativeBuffer buf = NativeBuffer.allocate(8192)) {
            assertEquals(ctx.segment().address(), ibv_pd.context(pd.segment()).address());
            MemoryRegion a = pd.register(buf, Access.LOCAL_WRITE | Access.REMOTE_WRITE);
            MemoryRegion b = pd.register(buf, 4096, 4096, Access.LOCAL_WRITE);
            assertEquals(a.lkey(), a.rkey());
            assertNotEquals(a.lkey(), b.lkey());
            assertEquals(buf.segment().address(), ibv_mr.addr(a.segment()).address());
            assertEquals(8192, ibv_mr.length(a.segment()));
            assertEquals(a.lkey(), ibv_mr.lkey(a.segment()));
            assertEquals(buf.segment().address() + 4096, b.address());
            int keyA = a.lkey();
            buf.close();
            assertTrue(a.isClosed() && b.isClosed(), "closing the buffer deregisters its regions");
            assertThrows(IllegalStateException.class, a::lkey);
            // A key freed and its slot reused never names the new region.
            try (NativeBuffer other = NativeBuffer.allocate(4096); MemoryRegion c = pd.register(other, Access.LOCAL_WRITE)) {
                assertNotEquals(keyA, c.lkey());
            }
        }
    }

    @Test
    void anEmptyCqPollsNothingAndAChannelTimesOut() {
        try (Context ctx = Context.open("jsoft0");
             CompletionChannel ch = ctx.createCompletionChannel();
             CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(64).channel(ch))) {
            assertEquals(64, cq.capacity());
            assertEquals(ch.segment().address(), ibv_cq.channel(cq.segment()).address());
            WorkCompletions wc = new WorkCompletions(8);
            assertEquals(0, cq.poll(wc));
            cq.requestNotify(false);
            long t0 = System.nanoTime();
            assertNull(ch.awaitEvent(Duration.ofMillis(50)));
            assertTrue(System.nanoTime() - t0 >= 45_000_000L, "the timed wait waited");
            CompletionQueue plain = ctx.createCompletionQueue(4);
            assertThrows(IllegalStateException.class, () -> plain.requestNotify(false));
        }
    }

    @Test
    void whatTheSoftDeviceLacksIsNotSupportedNamingIt() {
        try (Context ctx = Context.open("jsoft0");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionChannel ch = ctx.createCompletionChannel()) {
            List<Runnable> refused = List.of(
                    ctx::openXrcDomain,
                    () -> ctx.allocateDeviceMemory(4096),
                    () -> ctx.createCompletionQueue(CompletionQueue.Config.of(4).extended(CompletionFields.STANDARD
                            | CompletionFields.COMPLETION_TIMESTAMP)),
                    () -> pd.createQueuePair(QueuePair.Config.of(QpType.RC, ctx.createCompletionQueue(4)).sendOps(SendOps.TSO)),
                    () -> pd.registerImplicitOnDemand(Access.LOCAL_WRITE));
            for (Runnable r : refused) {
                NotSupportedException e = assertThrows(NotSupportedException.class, r::run);
                assertEquals("jsoft0", e.device());
                assertTrue(e.getMessage().contains("not supported by jsoft0: "), e.getMessage());
            }
            try (NativeBuffer buf = NativeBuffer.allocate(4096)) {
                NotSupportedException e = assertThrows(NotSupportedException.class,
                        () -> pd.register(buf, Access.LOCAL_WRITE | Access.ON_DEMAND));
                assertEquals("jsoft0", e.device());
            }
        }
    }

    @Test
    void closingTheContextClosesItsTreeAndClosedObjectsThrow() {
        Context ctx = Context.open("jsoft0");
        ProtectionDomain pd = ctx.allocateProtectionDomain();
        CompletionChannel ch = ctx.createCompletionChannel();
        CompletionQueue cq = ctx.createCompletionQueue(CompletionQueue.Config.of(8).channel(ch));
        NativeBuffer buf = NativeBuffer.allocate(4096);
        MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
        ctx.close();
        assertTrue(pd.isClosed() && ch.isClosed() && cq.isClosed() && mr.isClosed());
        WorkCompletions wc = new WorkCompletions(1);
        assertThrows(IllegalStateException.class, () -> cq.poll(wc));
        assertThrows(IllegalStateException.class, () -> cq.requestNotify(false));
        assertThrows(IllegalStateException.class, () -> ch.awaitEvent(Duration.ofMillis(1)));
        assertThrows(IllegalStateException.class, ctx::allocateProtectionDomain);
        assertThrows(IllegalStateException.class, mr::rkey);
        buf.close();
        // The device reopens after its last context closed.
        try (Context again = Context.open("jsoft0")) {
            assertTrue(again.queryPort(1).isActive());
        }
    }

    @Test
    void devicesAddedAtRunTimeAreListedAndOpen() {
        SoftProvider.add(SoftDeviceConfig.parse("jsofttest9=127.13.0.9:4096").getFirst());
        try {
            assertTrue(Device.list().stream().anyMatch(d -> d.name().equals("jsofttest9")));
            try (Context ctx = Context.open("jsofttest9")) {
                assertEquals(Mtu.MTU_4096, ctx.queryPort(1).activeMtu());
                assertEquals(Gid.ofIpv4(new byte[] {127, 13, 0, 9}), ctx.bestGid(1).gid());
                assertThrows(IllegalStateException.class, () -> SoftProvider.remove("jsofttest9"));
            }
        } finally {
            assertTrue(SoftProvider.remove("jsofttest9"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Context.open("jsofttest9"));
        assertTrue(e.getMessage().contains("jsoft0"), e.getMessage());
    }

    @Test
    void aDeviceWhoseAddressIsNotOnThisHostFailsToOpenSayingWhy() {
        SoftProvider.add(SoftDeviceConfig.of("jsoftnothere", "192.0.2.1")); // TEST-NET-1: on no host
        try {
            io.jverbs.verbs.VerbsException e = assertThrows(io.jverbs.verbs.VerbsException.class, () -> Context.open("jsoftnothere"));
            assertTrue(e.getMessage().contains("cannot bind UDP 192.0.2.1:4791"), e.getMessage());
        } finally {
            SoftProvider.remove("jsoftnothere");
        }
    }

    @Test
    void withoutConfigurationThereIsJsoft0OnLoopback() {
        assertEquals(List.of(SoftDeviceConfig.of("jsoft0", "127.0.0.1")), SoftDeviceConfig.parse(SoftDeviceConfig.DEFAULT));
        assertEquals(3, SoftDeviceConfig.of("jsoft0", "127.0.0.1").mtuCode()); // IBV_MTU_1024
    }

    @Test
    void badConfigurationsSayWhatIsWrong() {
        assertEquals(List.of(), SoftDeviceConfig.parse("none"));
        assertEquals(2, SoftDeviceConfig.parse("a=10.0.0.1, b=10.0.0.2:2048").size());
        for (String bad : List.of("jsoft0", "jsoft0=localhost", "jsoft0=127.0.0.1:1500", "j s=127.0.0.1", "a=1.2.3.4,a=1.2.3.5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftDeviceConfig.parse(bad));
            assertFalse(e.getMessage().isBlank());
        }
    }

    /**
     * A JVM whose JVERBS_SOFT_DEVICES does not parse: Device.list() and Context.open throw an
     * IllegalArgumentException naming the variable and the syntax (not ServiceLoader's
     * ServiceConfigurationError, after which the provider would be unusable).
     */
    @Test
    void aBadEnvironmentVariableIsAClearIllegalArgumentException() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                ListDevices.class.getName()).redirectErrorStream(true);
        pb.environment().put(SoftDeviceConfig.ENV, "jsoft0=nowhere");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        List<String> lines = out.lines().toList();
        assertEquals(2, lines.size(), out);
        for (String line : lines) {
            assertTrue(line.startsWith("java.lang.IllegalArgumentException: JVERBS_SOFT_DEVICES='jsoft0=nowhere' is not a soft device"
                    + " configuration: soft device jsoft0: 'nowhere' is not an IPv4 address literal. Syntax: name=IPv4[:mtu]"), line);
        }
    }

    /** For the test above: what a program sees, one line per call. */
    static final class ListDevices {
        public static void main(String[] args) {
            System.clearProperty(SoftDeviceConfig.PROPERTY);
            for (Runnable r : List.<Runnable>of(Device::list, () -> Context.open("jsoft0").close())) {
                try {
                    r.run();
                    System.out.println("no exception");
                } catch (Throwable t) {
                    System.out.println(t.getClass().getName() + ": " + t.getMessage());
                }
            }
        }
    }
}
