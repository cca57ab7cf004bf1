package io.jverbs.rdmacm;

import io.jverbs.core.Errno;
import io.jverbs.verbs.VerbsException;
import io.jverbs.rdmacm.ffi.rdma_conn_param;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the rdma_cm wrappers that need no RDMA device: encodings, event types, messages. */
class RdmaCmTest {
    @Test
    void encodesSockaddrInAsNetinetDoes() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SocketAddresses.encode(new InetSocketAddress(InetAddress.getByName("10.77.0.1"), 0x1f4f), arena);
            assertEquals(16, sa.byteSize());
            // sin_family (host order, little-endian here), sin_port big-endian, sin_addr, 8 bytes of zero
            assertArrayEquals(new byte[] {2, 0, 0x1f, 0x4f, 10, 77, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, sa.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(new InetSocketAddress("10.77.0.1", 0x1f4f), SocketAddresses.decode(sa));
        }
    }

    @Test
    void highPortsSurviveTheSignedShort() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("192.168.1.200"), 65535);
            MemorySegment sa = SocketAddresses.encode(a, arena);
            assertEquals((byte) 0xff, sa.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals(a, SocketAddresses.decode(sa));
        }
    }

    @Test
    void encodesSockaddrIn6WithScope() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            byte[] ip = InetAddress.getByName("fe80::1234:5678").getAddress();
            InetSocketAddress a = new InetSocketAddress(Inet6Address.getByAddress(null, ip, 3), 4791);
            MemorySegment sa = SocketAddresses.encode(a, arena);
            assertEquals(28, sa.byteSize());
            assertEquals(10, sa.get(ValueLayout.JAVA_SHORT, 0), "AF_INET6");
            assertEquals(0x12, sa.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals((byte) 0xb7, sa.get(ValueLayout.JAVA_BYTE, 3));
            assertArrayEquals(ip, sa.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(3, sa.get(ValueLayout.JAVA_INT, 24), "sin6_scope_id");
            InetSocketAddress back = SocketAddresses.decode(sa);
            assertEquals(a, back);
            assertEquals(3, ((Inet6Address) back.getAddress()).getScopeId());
        }
    }

    @Test
    void decodesNothingBoundAsNullAndRejectsUnresolvedNames() {
        try (Arena arena = Arena.ofConfined()) {
            assertNull(SocketAddresses.decode(arena.allocate(128)), "AF_UNSPEC: not bound or resolved yet");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SocketAddresses.encode(InetSocketAddress.createUnresolved("server.invalid", 1), arena));
            assertTrue(e.getMessage().contains("server.invalid"), e.getMessage());
        }
    }

    @Test
    void eventTypesFollowTheCEnum() {
        assertEquals(16, CmEventType.values().length);
        assertEquals(CmEventType.ADDR_RESOLVED, CmEventType.of(0));
        assertEquals(CmEventType.CONNECT_REQUEST, CmEventType.of(4));
        assertEquals(CmEventType.REJECTED, CmEventType.of(8));
        assertEquals(CmEventType.ESTABLISHED, CmEventType.of(9));
        assertEquals(CmEventType.DISCONNECTED, CmEventType.of(10));
        assertEquals(CmEventType.TIMEWAIT_EXIT, CmEventType.of(15));
        for (CmEventType t : CmEventType.values()) {
            assertEquals(t, CmEventType.of(t.code()));
        }
        assertThrows(IllegalArgumentException.class, () -> CmEventType.of(16));
        assertThrows(IllegalArgumentException.class, () -> CmEventType.of(-1));
        assertTrue(CmEventType.REJECTED.isError() && CmEventType.ADDR_ERROR.isError() && CmEventType.UNREACHABLE.isError());
        assertFalse(CmEventType.ESTABLISHED.isError() || CmEventType.DISCONNECTED.isError());
    }

    @Test
    void connectionParametersFillRdmaConnParam() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] data = {1, 2, 3, 4, 5};
            MemorySegment p = new ConnectionParameters().privateData(data).initiatorDepth(4).rnrRetryCount(3)
                    .encode(arena, ConnectionParameters.MAX_CONNECT_PRIVATE_DATA, "rdma_connect");
            assertEquals(5, rdma_conn_param.private_data_len(p));
            assertArrayEquals(data, rdma_conn_param.private_data(p).reinterpret(5).toArray(ValueLayout.JAVA_BYTE));
            assertEquals((byte) 0xff, rdma_conn_param.responder_resources(p), "RDMA_MAX_RESP_RES by default");
            assertEquals(4, rdma_conn_param.initiator_depth(p));
            assertEquals(6, rdma_conn_param.retry_count(p), "6, not 7: rxe retries forever with 7");
            assertEquals(3, rdma_conn_param.rnr_retry_count(p));

            MemorySegment none = new ConnectionParameters().encode(arena, 56, "rdma_connect");
            assertEquals(0L, rdma_conn_param.private_data(none).address());
            assertEquals(0, rdma_conn_param.private_data_len(none));
        }
    }

    @Test
    void privateDataLimitsAreTheIbCmOnes() {
        ConnectionParameters p = new ConnectionParameters().privateData(new byte[57]);
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.encode(arena, ConnectionParameters.MAX_CONNECT_PRIVATE_DATA, "rdma_connect"));
            assertTrue(e.getMessage().contains("at most 56"), e.getMessage());
            // the same 57 bytes fit an accept (196)
            p.encode(arena, ConnectionParameters.MAX_ACCEPT_PRIVATE_DATA, "rdma_accept");
        }
        assertThrows(IllegalArgumentException.class, () -> ConnectionParameters.checkPrivateData(new byte[149], 148, "rdma_reject"));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionParameters().rnrRetryCount(8));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionParameters().initiatorDepth(256));
    }

    @Test
    void privateDataIsCopiedNotShared() {
        byte[] data = {9, 9};
        ConnectionParameters p = new ConnectionParameters().privateData(data);
        data[0] = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = p.encode(arena, 56, "rdma_connect");
            assertEquals(9, rdma_conn_param.private_data(s).reinterpret(2).get(ValueLayout.JAVA_BYTE, 0));
        }
        CmEvent e = new CmEvent(CmEventType.ESTABLISHED, 0, null, null, new byte[] {7}, null);
        e.privateData()[0] = 0;
        assertEquals(7, e.privateData()[0]);
    }

    @Test
    void errorEventsBecomeMessagesThatSayWhy() {
        CmException refused = CmException.of("rdma_connect to /10.77.0.1:7999",
                new CmEvent(CmEventType.REJECTED, CmException.REJECT_INVALID_SERVICE_ID, null, null, new byte[0], null));
        assertTrue(refused.isConnectionRefused());
        assertFalse(refused.isTimeout());
        assertEquals(CmEventType.REJECTED, refused.event());
        assertTrue(refused.getMessage().contains("nothing listens"), refused.getMessage());
        assertTrue(refused.getMessage().contains("reject reason 8"), refused.getMessage());

        CmException sidr = CmException.of("rdma_connect (UD)", new CmEvent(CmEventType.UNREACHABLE,
                CmException.SIDR_UNSUPPORTED, null, null, new byte[0], null));
        assertTrue(sidr.isConnectionRefused(), "a SIDR request nobody listens for is refused, as a REQ is");
        assertFalse(CmException.of("rdma_connect", new CmEvent(CmEventType.UNREACHABLE, -Errno.ETIMEDOUT, null, null,
                new byte[0], null)).isConnectionRefused(), "an unreachable peer is not a refusal");

        CmException byServer = CmException.of("rdma_connect", new CmEvent(CmEventType.REJECTED,
                CmException.REJECT_CONSUMER_DEFINED, null, null, new byte[] {1, 2}, null));
        assertFalse(byServer.isConnectionRefused());
        assertTrue(byServer.getMessage().contains("server rejected"), byServer.getMessage());
        assertArrayEquals(new byte[] {1, 2}, byServer.privateData());

        CmException addr = CmException.of("rdma_resolve_addr", new CmEvent(CmEventType.ADDR_ERROR, -Errno.ETIMEDOUT, null, null, new byte[0], null));
        assertEquals(-Errno.ETIMEDOUT, addr.status());
        assertTrue(addr.getMessage().contains("ETIMEDOUT") && addr.getMessage().contains("did not resolve in time"), addr.getMessage());

        CmException timeout = CmException.timeout("rdma_connect to x", CmEventType.ESTABLISHED, java.time.Duration.ofMillis(1500));
        assertTrue(timeout.isTimeout());
        assertNull(timeout.event());
        assertTrue(timeout.getMessage().contains("no ESTABLISHED event within 1500 ms"), timeout.getMessage());
    }

    @Test
    void timeoutsNameTheCallersLimitNotTheTimeThatWasLeft() {
        CmException resolve = CmException.timeout("rdma_resolve_addr /10.77.0.9:1", CmEventType.ADDR_RESOLVED,
                java.time.Duration.ofSeconds(2), "Options.resolveTimeout, within a 5000 ms timeout");
        assertTrue(resolve.isTimeout());
        assertFalse(resolve.isDisconnected());
        assertTrue(resolve.getMessage().contains("no ADDR_RESOLVED event within 2000 ms (Options.resolveTimeout, within a 5000 ms timeout)"),
                resolve.getMessage());
    }

    @Test
    void peerLeavingAndFailedCompletionsAreDisconnectsWithTheirCause() {
        VerbsException cause = new VerbsException(RdmaCmCall.CREATE_QP, Errno.EINVAL, null);
        CmException left = CmException.peerLeft("accept from /10.77.0.1:4000", CmEventType.REJECTED, 4, cause);
        assertTrue(left.isDisconnected());
        assertFalse(left.isTimeout());
        assertSame(cause, left.getCause());
        assertEquals(CmEventType.REJECTED, left.event());
        assertTrue(left.getMessage().contains("client went away") && left.getMessage().contains("REJECTED (IB CM reject reason 4)"),
                left.getMessage());

        CmException retry = CmException.completion("send completion", "wr_id=1 status=RETRY_EXC_ERR", io.jverbs.verbs.WcStatus.RETRY_EXC_ERR, false);
        assertTrue(retry.isDisconnected(), "nobody answered the retries: the peer is gone");
        assertEquals(io.jverbs.verbs.WcStatus.RETRY_EXC_ERR, retry.completionStatus());
        assertNull(retry.event());
        assertFalse(retry.isTimeout());
        assertTrue(retry.getMessage().contains("stopped answering"), retry.getMessage());

        CmException access = CmException.completion("send completion", "wr_id=2 status=REM_ACCESS_ERR", io.jverbs.verbs.WcStatus.REM_ACCESS_ERR, false);
        assertFalse(access.isDisconnected(), "a bad rkey is our bug, not the peer leaving");
        assertTrue(CmException.completion("x", "y", io.jverbs.verbs.WcStatus.WR_FLUSH_ERR, true).isDisconnected());
        assertTrue(CmException.disconnected("receive completion", null).isDisconnected());
    }

    @Test
    void ackTimeoutIsAnExponentOrUnset() {
        assertEquals(17, new ConnectionParameters().ackTimeout, "0.54 s per try by default, not rdma_cm's 2.1 s on RoCE");
        assertFalse(new ConnectionParameters().ackTimeoutSet, "the default is applied best effort");
        assertEquals(-1, new ConnectionParameters().ackTimeout(-1).ackTimeout);
        assertEquals(14, new ConnectionParameters().ackTimeout(14).ackTimeout);
        assertThrows(IllegalArgumentException.class, () -> new ConnectionParameters().ackTimeout(32));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionParameters().ackTimeout(-2));
    }

    @Test
    void withoutAnRdmaDeviceTheChannelSaysHowToGetOne() {
        if (Files.exists(Path.of("/dev/infiniband/rdma_cm"))) {
            // A machine with rdma_cm: the channel opens and has a file descriptor to wait on.
            try (CmEventChannel channel = CmEventChannel.create()) {
                assertTrue(channel.fd() >= 0);
            }
            return;
        }
        VerbsException e = assertThrows(VerbsException.class, CmEventChannel::create);
        assertSame(RdmaCmCall.CREATE_EVENT_CHANNEL, e.call());
        assertTrue(e.hint() != null && e.hint().contains("Soft-RoCE"), e.getMessage());
    }
}
