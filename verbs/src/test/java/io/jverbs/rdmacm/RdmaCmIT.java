package io.jverbs.rdmacm;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.ffi.LibC;
import io.jverbs.rdmacm.CmConnection;
import io.jverbs.rdmacm.CmEvent;
import io.jverbs.rdmacm.CmEventChannel;
import io.jverbs.rdmacm.CmEventType;
import io.jverbs.rdmacm.CmException;
import io.jverbs.rdmacm.CmId;
import io.jverbs.rdmacm.CmListener;
import io.jverbs.rdmacm.ConnectionParameters;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.VerbsException;
import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.it.TestDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.jverbs.verbs.it.TestDevice.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * rdma_cm on rxe0: client and server in one JVM, looped back through the device. Tagged
 * {@code rdmacm} too: librdmacm reaches kernel devices only, so the soft device's run of this
 * suite (soft/pom.xml) excludes the tag.
 */
@Tag("rdma")
@Tag("rdmacm")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RdmaCmIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static InetSocketAddress address(int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(TestDevice.ipv4()), port);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The transport pads private data with zeros: the sent bytes, then only zeros. */
    private static void assertPrivateData(byte[] sent, byte[] received, int paddedTo) {
        assertEquals(paddedTo, received.length, "IB/RoCE private data arrives padded");
        assertArrayEquals(sent, Arrays.copyOf(received, sent.length));
        for (int i = sent.length; i < received.length; i++) {
            assertEquals(0, received[i], "padding byte " + i);
        }
    }

    @Test
    void connectAcceptWithPrivateDataSendAndDisconnect() throws Exception {
        InetSocketAddress server = address(7471);
        byte[] hello = bytes("client hello, 56 bytes at most");
        byte[] welcome = bytes("server welcome: up to 196 bytes in an accept");
        byte[] message = bytes("one message over the rdma_cm QP");

        try (CmListener listener = CmListener.listen(server, 4);
             NativeBuffer serverBuf = NativeBuffer.allocate(4096);
             NativeBuffer clientBuf = NativeBuffer.allocate(4096)) {
            assertEquals(server, listener.localAddress());
            CompletableFuture<String> serverSide = CompletableFuture.supplyAsync(() -> {
                ReceiveRequests recv = new ReceiveRequests(1, 1);
                WorkCompletions wc = new WorkCompletions(4);
                MemoryRegion[] mr = new MemoryRegion[1];
                CmConnection.Options o = new CmConnection.Options().privateData(welcome).beforeConnect(c -> {
                    // the first receive is posted before the accept, so the client's first send finds it
                    mr[0] = c.protectionDomain().register(serverBuf, Access.LOCAL_WRITE);
                    c.queuePair().postReceive(recv.clear().add(99).sge(mr[0], 0, 4096));
                });
                try (CmConnection c = listener.accept(o, TIMEOUT)) {
                    assertNotNull(c, "no connection request within " + TIMEOUT);
                    assertPrivateData(hello, c.peerPrivateData(), ConnectionParameters.MAX_CONNECT_PRIVATE_DATA);
                    assertEquals(TestDevice.device(), c.context().device().name());
                    assertEquals(QpState.RTS, c.queuePair().state(), "rdma_cm moved the server QP to RTS");
                    pollUntil(c.completionQueue(), wc, 1);
                    assertEquals(99, wc.wrId(0));
                    assertEquals(WcOpcode.RECV, wc.opcode(0));
                    assertEquals(message.length, wc.byteLength(0));
                    assertArrayEquals(message, serverBuf.segment().asSlice(0, message.length).toArray(ValueLayout.JAVA_BYTE));
                    assertTrue(c.awaitDisconnect(TIMEOUT), "the server saw no DISCONNECTED");
                    assertTrue(c.isDisconnected());
                    return c.remoteAddress().toString();
                }
            });

            String clientLocal;
            QueuePair clientQp;
            CmConnection closed;
            try (CmConnection c = CmConnection.connect(server, new CmConnection.Options().privateData(hello), TIMEOUT)) {
                clientLocal = c.localAddress().toString();
                assertEquals(server, c.remoteAddress());
                assertEquals(server.getAddress(), c.localAddress().getAddress(), "loopback on rxe0's address");
                assertPrivateData(welcome, c.peerPrivateData(), ConnectionParameters.MAX_ACCEPT_PRIVATE_DATA);
                assertEquals(QpType.RC, c.queuePair().type());
                assertEquals(QpState.RTS, c.queuePair().state(), "rdma_cm moved the client QP to RTS");

                MemoryRegion mr = c.protectionDomain().register(clientBuf, Access.LOCAL_WRITE);
                MemorySegment.copy(message, 0, clientBuf.segment(), ValueLayout.JAVA_BYTE, 0, message.length);
                SendRequests send = new SendRequests(1, 1);
                c.queuePair().postSend(send.clear().add(7, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, message.length));
                WorkCompletions wc = new WorkCompletions(4);
                pollUntil(c.completionQueue(), wc, 1);
                assertEquals(7, wc.wrId(0));
                assertEquals(WcOpcode.SEND, wc.opcode(0));

                c.disconnect(TIMEOUT); // throws unless the client's own DISCONNECTED arrives
                assertTrue(c.isDisconnected());
                assertEquals(QpState.ERR, c.queuePair().state(), "rdma_disconnect moves the QP to ERR");
                clientQp = c.queuePair();
                closed = c;
            }
            assertTrue(clientQp.isClosed(), "closing the connection closes its QP");
            assertThrows(IllegalStateException.class, () -> closed.awaitDisconnect(Duration.ofMillis(1)));
            assertThrows(IllegalStateException.class, () -> clientQp.postSend(new SendRequests(1, 1)));
            assertEquals(clientLocal, get(serverSide), "the server's peer is the client's local address");
        }
    }

    @Test
    void lowLevelApiDrivesBothSidesEventByEvent() throws Exception {
        InetSocketAddress server = address(7472);
        CmEventChannel serverChannel = CmEventChannel.create();
        CmEventChannel clientChannel = CmEventChannel.create();
        try {
            CmId listenId = serverChannel.createId();
            listenId.bind(server);
            listenId.listen(1);
            assertEquals(server, listenId.localAddress());
            assertNull(listenId.remoteAddress(), "a listening id has no peer");

            CmId client = clientChannel.createId();
            assertThrows(IllegalStateException.class, client::context, "no device before address resolution");
            client.resolveAddress(null, server, Duration.ofSeconds(2));
            client.awaitEvent(CmEventType.ADDR_RESOLVED, TIMEOUT, "resolve");
            Context ctx = client.context();
            assertEquals(TestDevice.device(), ctx.device().name());
            assertEquals(1, client.portNumber());
            client.resolveRoute(Duration.ofSeconds(2));
            client.awaitEvent(CmEventType.ROUTE_RESOLVED, TIMEOUT, "route");

            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(16);
            QueuePair clientQp = client.createQueuePair(pd, QueuePair.Config.of(QpType.RC, cq));
            assertSame(clientQp, client.queuePair());
            client.connect(new ConnectionParameters().privateData(new byte[] {1, 2, 3}).initiatorDepth(1));

            CmEvent request = next(serverChannel, CmEventType.CONNECT_REQUEST);
            assertSame(listenId, request.listenId());
            CmId accepted = request.id();
            assertSame(serverChannel, accepted.channel(), "a plain channel keeps the request's id");
            assertSame(ctx, accepted.context(), "librdmacm shares one context per device, and so does jverbs");
            assertEquals(clientQp.qpNumber(), request.parameters().qpNumber());
            assertEquals(1, request.parameters().responderResources(), "our initiator depth is the server's responder resources");
            assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOf(request.privateData(), 3));
            assertEquals(client.localAddress(), accepted.remoteAddress());

            QueuePair serverQp = accepted.createQueuePair(pd, QueuePair.Config.of(QpType.RC, cq));
            accepted.accept(new ConnectionParameters().privateData(new byte[] {4, 5}));
            CmEvent established = client.awaitEvent(CmEventType.ESTABLISHED, TIMEOUT, "connect");
            assertArrayEquals(new byte[] {4, 5}, Arrays.copyOf(established.privateData(), 2));
            assertEquals(serverQp.qpNumber(), established.parameters().qpNumber());
            assertSame(accepted, next(serverChannel, CmEventType.ESTABLISHED).id());

            client.disconnect();
            assertSame(accepted, next(serverChannel, CmEventType.DISCONNECTED).id());
            accepted.disconnect(); // answers the peer's DREQ: without it the client waits for a CM timeout
            assertSame(client, next(clientChannel, CmEventType.DISCONNECTED).id());

            serverChannel.close();
            assertTrue(accepted.isClosed() && listenId.isClosed() && serverQp.isClosed(), "the channel closes its ids and their QPs");
            assertFalse(client.isClosed());
            pd.close(); // closes the client's QP too: it uses the PD
            assertTrue(clientQp.isClosed());
            assertNull(client.queuePair());
            cq.close();
            assertFalse(ctx.isClosed(), "closing a PD or CQ leaves the rdma_cm context alone");
        } finally {
            serverChannel.close();
            clientChannel.close();
        }
    }

    /**
     * RDMA_PS_UDP, as perftest's -R -c UD: the client's SIDR connect yields the server's QP number,
     * qkey and address in ESTABLISHED; the client sends with an AH made from them; the server answers
     * with an AH made from the received completion and its GRH (ibv_create_ah_from_wc).
     */
    @Test
    void udpIdsConnectBySidrAndBothSidesSendWithAddressHandlesFromTheEventAndTheCompletion() throws Exception {
        InetSocketAddress server = address(7479);
        try (CmEventChannel serverChannel = CmEventChannel.create(); CmEventChannel clientChannel = CmEventChannel.create()) {
            CmId listenId = serverChannel.createUdpId();
            assertTrue(listenId.isUdp());
            listenId.bind(server);
            listenId.listen(1);
            CmId client = clientChannel.createUdpId();
            client.resolveAddress(null, server, Duration.ofSeconds(2));
            client.awaitEvent(CmEventType.ADDR_RESOLVED, TIMEOUT, "resolve");
            client.resolveRoute(Duration.ofSeconds(2));
            client.awaitEvent(CmEventType.ROUTE_RESOLVED, TIMEOUT, "route");
            Context ctx = client.context();
            ProtectionDomain pd = ctx.allocateProtectionDomain();
            CompletionQueue cq = ctx.createCompletionQueue(16);
            NativeBuffer buf = NativeBuffer.allocate(4096);
            MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE);
            QueuePair clientQp = client.createQueuePair(pd, QueuePair.Config.of(QpType.UD, cq));
            assertEquals(QpState.RTS, clientQp.state(), "rdma_cm readies a UD QP at once");
            client.connect(new ConnectionParameters());

            CmEvent request = next(serverChannel, CmEventType.CONNECT_REQUEST);
            CmId accepted = request.id();
            assertTrue(accepted.isUdp(), "a request's id is in its listener's port space");
            QueuePair serverQp = accepted.createQueuePair(pd, QueuePair.Config.of(QpType.UD, cq));
            ReceiveRequests recv = new ReceiveRequests(1, 1);
            recv.add(7).sge(mr.address(2048), 2048, mr.lkey());
            serverQp.postReceive(recv);
            accepted.accept(new ConnectionParameters());
            CmEvent established = client.awaitEvent(CmEventType.ESTABLISHED, TIMEOUT, "SIDR connect");
            CmEvent.UdParameters ud = established.ud();
            assertNotNull(ud, "ESTABLISHED of a UDP id carries param.ud");
            assertEquals(serverQp.qpNumber(), ud.qpNumber());
            assertEquals(CmId.UDP_QKEY, ud.qkey());
            assertNull(serverChannel.next(Duration.ofMillis(300)), "SIDR has no ESTABLISHED on the passive side");

            var ah = ud.createAddressHandle(pd);
            buf.segment().set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x5a5a1234);
            SendRequests send = new SendRequests(1, 1);
            send.add(1, WrOpcode.SEND_WITH_IMM, SendFlags.SIGNALED).sge(mr.address(0), 4, mr.lkey())
                    .ud(ah, ud.qpNumber(), ud.qkey()).immediate(clientQp.qpNumber());
            clientQp.postSend(send);
            WorkCompletions wc = new WorkCompletions(4);
            boolean sent = false, received = false;
            int receivedAt = -1;
            WorkCompletions got = new WorkCompletions(1);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!(sent && received) && System.nanoTime() < deadline) {
                int n = cq.poll(wc);
                for (int i = 0; i < n; i++) {
                    assertTrue(wc.isSuccess(i), wc.describe(i));
                    if (wc.opcode(i) == WcOpcode.RECV) {
                        received = true;
                        assertEquals(clientQp.qpNumber(), wc.immediateData(i));
                        assertEquals(clientQp.qpNumber(), wc.sourceQp(i));
                        MemorySegment.copy(wc.segment(), (long) i * 48, got.segment(), 0, 48);
                    } else {
                        sent = true;
                    }
                }
            }
            assertTrue(sent && received, "send " + sent + ", receive " + received);
            assertEquals(0x5a5a1234, buf.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 2048 + ProtectionDomain.GRH_BYTES));

            // the server answers the sender the completion names, through an AH built from it
            var back = pd.createAddressHandle(accepted.portNumber(), got, 0, buf.segment().asSlice(2048, ProtectionDomain.GRH_BYTES));
            ReceiveRequests clientRecv = new ReceiveRequests(1, 1);
            clientRecv.add(8).sge(mr.address(1024), 1024, mr.lkey());
            clientQp.postReceive(clientRecv);
            SendRequests reply = new SendRequests(1, 1);
            reply.add(2, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr.address(0), 4, mr.lkey())
                    .ud(back, got.sourceQp(0), CmId.UDP_QKEY);
            serverQp.postSend(reply);
            int replies = 0;
            deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (replies < 2 && System.nanoTime() < deadline) {
                int n = cq.poll(wc);
                for (int i = 0; i < n; i++) {
                    assertTrue(wc.isSuccess(i), wc.describe(i));
                    if (wc.opcode(i) == WcOpcode.RECV) {
                        assertEquals(serverQp.qpNumber(), wc.sourceQp(i));
                    }
                    replies++;
                }
            }
            assertEquals(2, replies, "the reply's send and receive completions");
            assertThrows(IllegalArgumentException.class,
                    () -> pd.createAddressHandle(1, got, 0, buf.segment().asSlice(0, 8)), "a GRH is 40 bytes");
            pd.close();
            cq.close();
            buf.close();
        }
    }

    /** The next event on {@code channel}, which must be {@code type}. */
    private static CmEvent next(CmEventChannel channel, CmEventType type) {
        CmEvent e = channel.next(TIMEOUT);
        assertNotNull(e, "no " + type + " within " + TIMEOUT);
        assertEquals(type, e.type(), e.toString());
        return e;
    }

    @Test
    void serverRejectionReachesTheClientWithItsPrivateData() throws Exception {
        InetSocketAddress server = address(7473);
        try (CmListener listener = CmListener.listen(server, 1)) {
            CompletableFuture<byte[]> rejected = CompletableFuture.supplyAsync(() -> listener.reject(bytes("go away"), TIMEOUT));
            CmException e = assertThrows(CmException.class,
                    () -> CmConnection.connect(server, bytes("may I?"), TIMEOUT).close());
            assertEquals(CmEventType.REJECTED, e.event());
            assertEquals(CmException.REJECT_CONSUMER_DEFINED, e.status(), e.getMessage());
            assertFalse(e.isConnectionRefused());
            assertPrivateData(bytes("go away"), e.privateData(), ConnectionParameters.MAX_REJECT_PRIVATE_DATA);
            assertArrayEquals(bytes("may I?"), Arrays.copyOf(get(rejected), 6));
        }
    }

    @Test
    void connectingToAPortNobodyListensOnIsRefusedQuickly() throws Exception {
        long start = System.nanoTime();
        CmException e = assertThrows(CmException.class, () -> CmConnection.connect(address(7999), new byte[0], TIMEOUT).close());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(e.isConnectionRefused(), e.getMessage());
        assertEquals(CmEventType.REJECTED, e.event());
        assertTrue(e.getMessage().contains("nothing listens"), e.getMessage());
        assertTrue(took.compareTo(TIMEOUT) < 0, "refused within the timeout, took " + took);
    }

    @Test
    void anAddressNobodyAnswersFailsWithinTheTimeout() throws Exception {
        // 10.77.0.99 is on rxe0's subnet but no host has it: the request is never answered.
        Duration timeout = Duration.ofSeconds(3);
        for (String dead : new String[] {"10.77.0.99", "192.0.2.1"}) {
            long start = System.nanoTime();
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> CmConnection.connect(new InetSocketAddress(InetAddress.getByName(dead), 7471),
                            new CmConnection.Options().resolveTimeout(Duration.ofSeconds(1)), timeout).close());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!(e instanceof CmException) && !(e instanceof VerbsException)) {
                fail("expected CmException or VerbsException for " + dead, e);
            }
            assertTrue(took.compareTo(timeout.plusSeconds(2)) < 0, dead + ": failed only after " + took + ": " + e);
            assertTrue(e.getMessage().contains(dead), "the message names the address: " + e.getMessage());
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() throws Exception {
        CmEventChannel channel = CmEventChannel.create();
        CmId id = channel.createId();
        id.bind(address(7474));
        channel.close();
        assertTrue(id.isClosed(), "closing the channel closes its ids");
        channel.close(); // twice: a no-op
        id.close();
        InetSocketAddress any = address(7475);
        assertThrows(IllegalStateException.class, () -> id.bind(any));
        assertThrows(IllegalStateException.class, id::localAddress);
        assertThrows(IllegalStateException.class, id::context);
        assertThrows(IllegalStateException.class, id::disconnect);
        assertThrows(IllegalStateException.class, id::segment);
        assertThrows(IllegalStateException.class, () -> id.connect(new ConnectionParameters()));
        assertThrows(IllegalStateException.class, () -> id.resolveAddress(null, any, Duration.ofSeconds(1)));
        assertThrows(IllegalStateException.class, () -> channel.next(Duration.ofMillis(1)));
        assertThrows(IllegalStateException.class, channel::createId);
        assertThrows(IllegalStateException.class, channel::fd);

        // and the port is free again
        try (CmListener listener = CmListener.listen(address(7474), 1)) {
            assertNull(listener.accept(new CmConnection.Options(), Duration.ofMillis(200)), "nobody connects");
        }
    }

    @Test
    void nextReturnsNullAfterItsTimeout() {
        try (CmEventChannel channel = CmEventChannel.create()) {
            channel.createId();
            long start = System.nanoTime();
            assertNull(channel.next(Duration.ofMillis(300)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 250 && ms < 5000, "waited " + ms + " ms");
        }
    }

    @Test
    void aPdFromAnotherContextIsRefusedWithAClearMessage() throws Exception {
        try (CmEventChannel channel = CmEventChannel.create();
             Context own = Context.open(TestDevice.device())) {
            CmId id = channel.createId();
            id.resolveAddress(null, address(7476), Duration.ofSeconds(2));
            id.awaitEvent(CmEventType.ADDR_RESOLVED, TIMEOUT, "resolve");
            ProtectionDomain pd = own.allocateProtectionDomain();
            CompletionQueue cq = own.createCompletionQueue(4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> id.createQueuePair(pd, QueuePair.Config.of(QpType.RC, cq)));
            assertTrue(e.getMessage().contains("CmId.context()"), e.getMessage());
        }
    }

    /** A server and a client connection over {@code listener}, made in this JVM. */
    private record Connected(CmConnection server, CmConnection client) implements AutoCloseable {
        @Override
        public void close() {
            try {
                client.close();
            } finally {
                server.close();
            }
        }
    }

    private static Connected connectPair(CmListener listener, CmConnection.Options serverOptions,
                                         CmConnection.Options clientOptions) throws Exception {
        CompletableFuture<CmConnection> server = CompletableFuture.supplyAsync(() -> listener.accept(serverOptions, TIMEOUT));
        CmConnection client = CmConnection.connect(listener.localAddress(), clientOptions, TIMEOUT);
        CmConnection s;
        try {
            s = get(server);
            assertNotNull(s, "no connection request within " + TIMEOUT);
        } catch (Exception | Error e) {
            client.close();
            throw e;
        }
        return new Connected(s, client);
    }

    @Test
    void nextEventAndAwaitDisconnectAnswerThePeersDisconnectOnce() throws Exception {
        try (CmListener listener = CmListener.listen(address(7477), 2)) {
            // nextEvent: the DISCONNECTED it returns is answered, so the client's disconnect ends
            // at once instead of after the CM's DREQ retries (about a minute)
            try (Connected c = connectPair(listener, new CmConnection.Options(), new CmConnection.Options())) {
                CompletableFuture<Long> clientDisconnect = CompletableFuture.supplyAsync(() -> {
                    long start = System.nanoTime();
                    c.client().disconnect(Duration.ofSeconds(8));
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                });
                CmEvent e = c.server().nextEvent(TIMEOUT);
                assertNotNull(e, "no event within " + TIMEOUT);
                assertEquals(CmEventType.DISCONNECTED, e.type());
                assertTrue(c.server().isDisconnected());
                long ms = get(clientDisconnect);
                assertTrue(ms < 8000, "the client's disconnect took " + ms + " ms");
                assertTrue(c.server().awaitDisconnect(Duration.ZERO));
            }
            // awaitDisconnect(ZERO) looks each time it is called
            try (Connected c = connectPair(listener, new CmConnection.Options(), new CmConnection.Options())) {
                assertFalse(c.server().awaitDisconnect(Duration.ZERO), "nobody disconnected yet");
                CompletableFuture<Void> clientDisconnect = CompletableFuture.runAsync(() -> c.client().disconnect(Duration.ofSeconds(8)));
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (!c.server().awaitDisconnect(Duration.ZERO)) {
                    assertTrue(System.nanoTime() < deadline, "awaitDisconnect(ZERO) never saw the DISCONNECTED");
                    Thread.sleep(10);
                }
                get(clientDisconnect);
            }
        }
    }

    @Test
    void completionWaitsReturnCompletionsTimeOutAndEndWhenThePeerDisconnects() throws Exception {
        try (CmListener listener = CmListener.listen(address(7478), 2);
             NativeBuffer serverBuf = NativeBuffer.allocate(4096);
             NativeBuffer clientBuf = NativeBuffer.allocate(4096)) {
            for (boolean events : new boolean[] {false, true}) {
                String mode = events ? "completion channel, separate CQs" : "busy polling, one CQ";
                MemoryRegion[] mr = new MemoryRegion[2];
                ReceiveRequests recv = new ReceiveRequests(1, 1);
                CmConnection.Options serverOptions = new CmConnection.Options().completionChannel(events)
                        .separateCompletionQueues(events).beforeConnect(c -> {
                            mr[0] = c.protectionDomain().register(serverBuf, Access.LOCAL_WRITE);
                            c.queuePair().postReceive(recv.clear().add(1).sge(mr[0], 0, 64));
                            c.queuePair().postReceive(recv.clear().add(2).sge(mr[0], 64, 64));
                        });
                CmConnection.Options clientOptions = new CmConnection.Options().completionChannel(events).separateCompletionQueues(events)
                        .beforeConnect(c -> mr[1] = c.protectionDomain().register(clientBuf, Access.LOCAL_WRITE));
                try (Connected c = connectPair(listener, serverOptions, clientOptions)) {
                    CmConnection server = c.server(), client = c.client();
                    if (events) {
                        assertThrows(IllegalStateException.class, server::completionQueue, mode);
                        assertNotNull(server.sendCompletionQueue().channel(), mode);
                        assertFalse(server.sendCompletionQueue() == server.receiveCompletionQueue(), mode);
                    } else {
                        assertSame(server.completionQueue(), server.receiveCompletionQueue(), mode);
                    }
                    WorkCompletions wc = new WorkCompletions(4);
                    long start = System.nanoTime();
                    assertEquals(0, server.awaitReceiveCompletion(wc, Duration.ZERO), mode + ": nothing sent yet");
                    assertEquals(0, server.awaitReceiveCompletion(wc, Duration.ofMillis(300)), mode);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(ms >= 250 && ms < 10_000, mode + ": waited " + ms + " ms");

                    client.queuePair().postSend(new SendRequests(1, 1).add(7, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr[1], 0, 16));
                    assertEquals(1, client.awaitSendCompletion(wc, TIMEOUT), mode);
                    assertEquals(WcOpcode.SEND, wc.opcode(0), mode);
                    assertEquals(1, server.awaitReceiveCompletion(wc), mode);
                    assertEquals(WcOpcode.RECV, wc.opcode(0), mode);
                    assertEquals(16, wc.byteLength(0), mode);

                    // the peer leaves while a receive is outstanding: the wait ends with a disconnect
                    CompletableFuture<Void> leave = CompletableFuture.runAsync(() -> {
                        sleep(300);
                        client.disconnect(TIMEOUT);
                    });
                    start = System.nanoTime();
                    CmException e = assertThrows(CmException.class, () -> server.awaitReceiveCompletion(wc, TIMEOUT), mode);
                    ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(e.isDisconnected(), mode + ": " + e.getMessage());
                    assertTrue(server.isDisconnected(), mode);
                    assertTrue(ms < TIMEOUT.toMillis() / 2, mode + ": the disconnect was noticed after " + ms + " ms");
                    get(leave); // the client's disconnect was answered
                    assertThrows(CmException.class, () -> server.awaitSendCompletion(wc, Duration.ZERO), mode + ": still gone");
                }
            }
        }
    }

    @Test
    void aPeerThatStopsAnsweringFailsTheWaitWithRetryExceededWithinTheBound() throws Exception {
        try (CmListener listener = CmListener.listen(address(7479), 2);
             NativeBuffer clientBuf = NativeBuffer.allocate(4096)) {
            // ackTimeout 14: 67 ms per try, 2 tries; defaults: about 7 x 0.54 s (ConnectionParameters)
            ConnectionParameters[] cases = {new ConnectionParameters().ackTimeout(14).retryCount(1), new ConnectionParameters()};
            assertEquals(ConnectionParameters.DEFAULT_ACK_TIMEOUT, cases[1].ackTimeout);
            long[] took = new long[cases.length];
            String[] outcome = new String[cases.length];
            for (int i = 0; i < cases.length; i++) {
                MemoryRegion[] mr = new MemoryRegion[1];
                CmConnection.Options clientOptions = new CmConnection.Options().parameters(cases[i])
                        .beforeConnect(c -> mr[0] = c.protectionDomain().register(clientBuf, Access.LOCAL_WRITE));
                try (Connected c = connectPair(listener, new CmConnection.Options(), clientOptions)) {
                    // silent: no DREQ, and the peer's device drops packets for a QP it no longer has
                    c.server().queuePair().close();
                    c.client().queuePair().postSend(new SendRequests(1, 1).add(3, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED)
                            .sge(mr[0], 0, 16).rdma(0x1000, 1));
                    WorkCompletions wc = new WorkCompletions(4);
                    long start = System.nanoTime();
                    try {
                        int n = c.client().awaitSendCompletion(wc, Duration.ofSeconds(20));
                        outcome[i] = n == 0 ? "no completion in 20 s" : "completed " + wc.status(0);
                    } catch (CmException e) {
                        outcome[i] = e.completionStatus() + " disconnected=" + e.isDisconnected() + " wrId=" + wc.wrId(0);
                    }
                    took[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    outcome[i] += " after " + took[i] + " ms";
                }
                System.out.println("retry case " + i + ": " + outcome[i]);
            }
            for (String o : outcome) assertTrue(o.startsWith("RETRY_EXC_ERR disconnected=true wrId=3"), o);
            assertTrue(took[0] < 3000, "ackTimeout 14 x 2 tries is ~0.13 s: " + outcome[0]);
            assertTrue(took[1] < 10_000, "the documented default bound is ~3.8 s: " + outcome[1]);
            assertTrue(took[1] > took[0], "the default ACK timeout is longer than 2^14 x 4.096 us");
        }
    }

    @Test
    void connectTimeoutNamesTheCallersTimeoutAndRdmaToolShowsTheListener() throws Exception {
        InetSocketAddress server = address(7480);
        try (CmListener listener = CmListener.listen(server, 1)) { // listens, never accepts
            // a script can see the listener: rdma(8) lists rdma_cm ids (ss does not: no TCP socket)
            Process rdma = new ProcessBuilder("rdma", "resource", "show", "cm_id").redirectErrorStream(true).start();
            String out = new String(rdma.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, rdma.waitFor(), out);
            assertTrue(out.lines().anyMatch(l -> l.contains("LISTEN") && l.contains(TestDevice.ipv4() + ":" + server.getPort())), out);

            Duration timeout = Duration.ofMillis(2500);
            CmException e = assertThrows(CmException.class, () -> CmConnection.connect(server, new byte[0], timeout).close());
            assertTrue(e.isTimeout(), e.getMessage());
            assertTrue(e.getMessage().contains("no ESTABLISHED event within 2500 ms"), e.getMessage());
        }
    }

    @Test
    void clientsKilledBeforeAndDuringAcceptAreCmExceptionsAndTheListenerKeepsServing() throws Exception {
        InetSocketAddress server = address(7481);
        try (CmListener listener = CmListener.listen(server, 4)) {
            for (boolean duringAccept : new boolean[] {false, true}) {
                String when = duringAccept ? "killed during accept" : "killed before accept";
                // rdma_client (rdmacm-utils) blocks in a synchronous rdma_connect until it is established
                Process client = new ProcessBuilder("rdma_client", "-s", TestDevice.ipv4(), "-p", Integer.toString(server.getPort()))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                try {
                    assertTrue(LibC.awaitReadable(listener.id().channel().fd(), TIMEOUT.toMillis()), when + ": no connection request");
                    CmConnection.Options o = new CmConnection.Options();
                    if (duringAccept) {
                        o.beforeConnect(c -> kill(client)); // the QP exists; rdma_accept comes next
                    } else {
                        kill(client);
                    }
                    long start = System.nanoTime();
                    CmException e = assertThrows(CmException.class, () -> {
                        CmConnection c = listener.accept(o, TIMEOUT);
                        if (c != null) c.close();
                    }, when);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    System.out.println(when + ": " + e.getMessage() + (e.getCause() == null ? "" : " <- " + e.getCause().getMessage()));
                    assertTrue(e.isDisconnected(), when + ": " + e.getMessage());
                    assertTrue(e.getMessage().contains("client went away"), e.getMessage());
                    assertTrue(ms < TIMEOUT.toMillis() / 2, when + ": noticed after " + ms + " ms");
                } finally {
                    client.destroyForcibly().waitFor();
                }
            }
            // and the next client is served
            try (Connected c = connectPair(listener, new CmConnection.Options(), new CmConnection.Options())) {
                assertEquals(QpState.RTS, c.server().queuePair().state());
            }
        }
    }

    @Test
    void aPeerProcessKilledDuringATransferEndsTheWaitPromptly() throws Exception {
        InetSocketAddress server = address(7482);
        try (CmListener listener = CmListener.listen(server, 1);
             NativeBuffer buf = NativeBuffer.allocate(RdmaCmPeer.SIZE)) {
            String javaBin = ProcessHandle.current().info().command().orElseThrow();
            Process peer = new ProcessBuilder(javaBin, "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), RdmaCmPeer.class.getName(), TestDevice.ipv4(),
                    Integer.toString(server.getPort())).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            MemoryRegion[] mr = new MemoryRegion[1];
            CmConnection.Options o = new CmConnection.Options().completionChannel(true).separateCompletionQueues(true)
                    .beforeConnect(c -> mr[0] = c.protectionDomain().register(buf, Access.LOCAL_WRITE));
            try (CmConnection c = listener.accept(o, Duration.ofSeconds(90))) {
                assertNotNull(c, "the peer JVM did not connect within 90 s");
                java.nio.ByteBuffer pd = java.nio.ByteBuffer.wrap(c.peerPrivateData()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                long remote = pd.getLong();
                int rkey = pd.getInt();
                SendRequests read = new SendRequests(1, 1);
                WorkCompletions wc = new WorkCompletions(4);
                c.queuePair().postSend(read.clear().add(1, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(mr[0], 0, RdmaCmPeer.SIZE).rdma(remote, rkey));
                assertEquals(1, c.awaitSendCompletion(wc, TIMEOUT));
                assertEquals(WcOpcode.RDMA_READ, wc.opcode(0));
                for (int i = 0; i < RdmaCmPeer.SIZE; i += 997) {
                    assertEquals((byte) i, buf.segment().get(ValueLayout.JAVA_BYTE, i), "byte " + i + " read from the peer");
                }

                // kill -9 while this side waits for a completion that will never come
                CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
                    sleep(500);
                    kill(peer);
                });
                c.queuePair().postSend(read.clear().add(2, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(mr[0], 0, RdmaCmPeer.SIZE).rdma(remote, rkey));
                assertEquals(1, c.awaitSendCompletion(wc, TIMEOUT), "the second read, before the kill");
                long start = System.nanoTime();
                CmException e = assertThrows(CmException.class, () -> c.awaitReceiveCompletion(wc, Duration.ofSeconds(60)));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                get(killer);
                System.out.println("peer killed: " + e.getMessage() + " after " + ms + " ms");
                assertTrue(e.isDisconnected(), e.getMessage());
                assertTrue(ms < 15_000, "the wait noticed the dead peer only after " + ms + " ms");

                // a read posted now fails at once too
                c.queuePair().postSend(read.clear().add(3, WrOpcode.RDMA_READ, SendFlags.SIGNALED).sge(mr[0], 0, RdmaCmPeer.SIZE).rdma(remote, rkey));
                start = System.nanoTime();
                CmException again = assertThrows(CmException.class, () -> c.awaitSendCompletion(wc, Duration.ofSeconds(60)));
                assertTrue(again.isDisconnected(), again.getMessage());
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "after the disconnect, waits end at once");
            } finally {
                peer.destroyForcibly().waitFor();
            }
        }
    }

    /** SIGKILL, and wait until the process is gone (its kernel then tears its rdma_cm ids down). */
    private static void kill(Process p) {
        try {
            p.destroyForcibly().waitFor();
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }

}
