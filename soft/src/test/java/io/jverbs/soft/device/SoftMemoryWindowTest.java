package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.ExtendedPost;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.MemoryWindow;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendOps;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory windows through the public verbs API on a soft device of this class's own (jsoftmw on
 * 127.13.7.1): ibv_alloc_mw/ibv_bind_mw/ibv_dealloc_mw, BIND_MW, LOCAL_INV and SEND_WITH_INV
 * requests, and the completions and errors verbs users see. Two RC QPs of one PD, looped back
 * through the device's socket: B grants windows over its region, A uses them.
 */
class SoftMemoryWindowTest {
    private static final String DEVICE = "jsoftmw";
    private static final PathSettings PATH = new PathSettings().gidIndex(1);
    private static final int RW = Access.REMOTE_WRITE | Access.LOCAL_WRITE;

    private Context ctx;
    private ProtectionDomain pd;
    private NativeBuffer buf;
    private MemoryRegion mr;
    private CompletionQueue cqA, cqB;
    private QueuePair a, b;

    @BeforeAll
    static void device() {
        SoftProvider.add(SoftDeviceConfig.of(DEVICE, "127.13.7.1"));
    }

    @AfterAll
    static void removeDevice() {
        SoftProvider.remove(DEVICE);
    }

    @BeforeEach
    void open() {
        ctx = Context.open(DEVICE);
        pd = ctx.allocateProtectionDomain();
        buf = NativeBuffer.allocate(1 << 16);
        mr = pd.register(buf, Access.ALL_REMOTE | Access.MW_BIND);
        cqA = ctx.createCompletionQueue(64);
        cqB = ctx.createCompletionQueue(64);
        long ops = SendOps.SEND | SendOps.SEND_WITH_INV | SendOps.RDMA_WRITE | SendOps.BIND_MW | SendOps.LOCAL_INV;
        a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqA).maxSendWr(16).maxRecvWr(16).sendOps(ops));
        b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cqB).maxSendWr(16).maxRecvWr(16).sendOps(ops));
        Endpoint ea = a.endpoint(1, 1, 0x100), eb = b.endpoint(1, 1, 0x200);
        a.connect(ea, eb, PATH);
        b.connect(eb, ea, PATH);
    }

    @AfterEach
    void close() {
        ctx.close();
        buf.close();
    }

    private static WorkCompletions one(CompletionQueue cq) {
        return SoftQpTest.await(cq, 1);
    }

    private WcStatus writeFromA(long wrId, long address, int rkey) {
        buf.segment().set(ValueLayout.JAVA_LONG, 0, 0x0123456789ABCDEFL + wrId);
        a.postSend(new SendRequests(1, 1).add(wrId, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr, 0, 8).rdma(address, rkey));
        return one(cqA).status(0);
    }

    @Test
    void theDeviceReportsWindowsOfBothTypes() {
        DeviceAttributes attr = ctx.queryDevice();
        assertEquals(DeviceAttributes.CAP_MEM_WINDOW, attr.deviceCapFlags() & DeviceAttributes.CAP_MEM_WINDOW);
        assertEquals(DeviceAttributes.CAP_MEM_WINDOW_TYPE_2B, attr.deviceCapFlags() & DeviceAttributes.CAP_MEM_WINDOW_TYPE_2B);
    }

    @Test
    void typeOneWindowBoundWithIbvBindMwLimitsAccessToItsRange() {
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_1);
        assertTrue((mw.rkey() >>> 8) > 0x10000, "window keys take the indices after the regions' (rxe: from 0x10001)");
        int rkey = mw.bind(b, 7, SendFlags.SIGNALED, mr, mr.address(4096), 64, RW);
        assertEquals((mw.rkey() & ~0xFF), rkey & ~0xFF, "same index");
        WorkCompletions wc = one(cqB);
        assertEquals(WcStatus.SUCCESS, wc.status(0), wc.describe(0));
        assertEquals(WcOpcode.BIND_MW, wc.opcode(0));
        assertEquals(7, wc.wrId(0));
        assertEquals(WcStatus.SUCCESS, writeFromA(1, mr.address(4096 + 56), rkey));
        assertEquals(0x0123456789ABCDEFL + 1, buf.segment().get(ValueLayout.JAVA_LONG, 4096 + 56));
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(2, mr.address(4096 + 60), rkey), "4 bytes past the window");
    }

    @Test
    void unsignaledBindCompletesNothingAndRebindRevokes() {
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_1);
        int first = mw.bind(b, 1, 0, mr, mr.address(0), 64, RW);
        int second = mw.bind(b, 2, SendFlags.SIGNALED, mr, mr.address(8192), 64, RW);
        assertNotEquals(first, second);
        WorkCompletions wc = one(cqB);
        assertEquals(2, wc.wrId(0), "the unsignaled bind completes nothing");
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(3, mr.address(0), first));
    }

    @Test
    void typeOneBindOfARegionOfAnotherProtectionDomainIsRefusedWithEperm() {
        ProtectionDomain other = ctx.allocateProtectionDomain();
        MemoryWindow mw = other.allocateMemoryWindow(MemoryWindow.Type.TYPE_1);
        VerbsException e = assertThrows(VerbsException.class, () -> mw.bind(b, 1, 0, mr, mr.address(0), 64, RW));
        assertTrue(e.getMessage().contains("ibv_bind_mw") && e.getMessage().contains("EPERM"), e.getMessage());
    }

    @Test
    void typeTwoBindBeyondTheRegionCompletesWithMwBindErr() {
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2);
        b.postSend(new SendRequests(1, 0).add(5, WrOpcode.BIND_MW, 0)
                .bindMemoryWindow(mw, mw.nextRkey(), mr, mr.address((1 << 16) - 32), 64, RW));
        WorkCompletions wc = one(cqB);
        assertEquals(WcStatus.MW_BIND_ERR, wc.status(0), "an error completes even unsignaled: " + wc.describe(0));
        assertEquals(5, wc.wrId(0));
    }

    @Test
    void localInvalidateAndSendWithInvalidateRevokeTypeTwoWindows() {
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2);
        ExtendedPost pb = b.extendedPost();
        int k1 = mw.nextRkey();
        pb.start();
        pb.bindMemoryWindow(1, SendFlags.SIGNALED, mw, k1, mr, mr.address(1024), 128, RW);
        pb.localInvalidate(2, SendFlags.SIGNALED, k1);
        pb.complete();
        WorkCompletions wc = SoftQpTest.await(cqB, 2);
        assertEquals(WcOpcode.BIND_MW, wc.opcode(0));
        assertEquals(WcOpcode.LOCAL_INV, wc.opcode(1));
        assertEquals(WcStatus.SUCCESS, wc.status(1), wc.describe(1));
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(3, mr.address(1024), k1));
    }

    @Test
    void sendWithInvalidateReportsTheInvalidatedKey() {
        MemoryWindow mw = pd.allocateMemoryWindow(MemoryWindow.Type.TYPE_2);
        int k = mw.nextRkey();
        b.postSend(new SendRequests(1, 0).add(1, WrOpcode.BIND_MW, SendFlags.SIGNALED)
                .bindMemoryWindow(mw, k, mr, mr.address(2048), 128, RW));
        assertEquals(WcStatus.SUCCESS, one(cqB).status(0));
        assertEquals(WcStatus.SUCCESS, writeFromA(2, mr.address(2048), k), "granted to B's peer");
        b.postReceive(new ReceiveRequests(1, 1).add(3).sge(mr, 32768, 1024));
        ExtendedPost pa = a.extendedPost();
        pa.start();
        pa.sendWithInvalidate(4, SendFlags.SIGNALED, k).sge(mr.address(0), 16, mr.lkey());
        pa.complete();
        assertEquals(WcStatus.SUCCESS, one(cqA).status(0));
        WorkCompletions r = one(cqB);
        assertEquals(WcStatus.SUCCESS, r.status(0), r.describe(0));
        assertEquals(WcOpcode.RECV, r.opcode(0));
        assertEquals(WorkCompletions.FLAG_WITH_INV, r.flags(0) & WorkCompletions.FLAG_WITH_INV);
        assertEquals(k, r.invalidatedRkey(0));
        assertEquals(WcStatus.REM_ACCESS_ERR, writeFromA(5, mr.address(2048), k), "revoked by the peer's SEND_WITH_INV");
    }
}
