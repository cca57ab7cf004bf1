package io.jverbs.examples;

import io.jverbs.core.NativeBuffer;
import io.jverbs.rdmacm.CmConnection;
import io.jverbs.rdmacm.CmException;
import io.jverbs.rdmacm.CmListener;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * An RC ping-pong set up with rdma_cm instead of a TCP side channel: the client names the server
 * by IP address and port, as with sockets; the greeting travels in the connection's private data.
 *
 * <pre>
 * server: java --enable-native-access=ALL-UNNAMED -cp ... io.jverbs.examples.RdmaCmPingPong server [port]
 * client: java --enable-native-access=ALL-UNNAMED -cp ... io.jverbs.examples.RdmaCmPingPong client &lt;server-ip&gt; [port] [iterations]
 * </pre>
 *
 * The server listens on every RDMA device (port 7471 by default), serves one client, and exits.
 * The client sends {@code iterations} (default 1000; the number travels in its connection private
 * data) 64-byte messages, each answered by the server, then prints the average round trip. Both sides give up after 60 s without progress (a cold JVM in the TCG guest needs tens of seconds for its first connection).
 * Exit status: 0 on success, 1 on failure (message on stderr), 2 on bad usage. Inside the jverbs
 * Soft-RoCE VM: {@code native-test/softroce-vm.sh -- sh -c 'java ... server & sleep 3; java ... client $JVERBS_IPV4'}.
 */
public final class RdmaCmPingPong {
    private static final int DEFAULT_PORT = 7471, SIZE = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long SEND_ID = 1, RECV_ID = 2;

    private RdmaCmPingPong() {}

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (CmException | io.jverbs.core.NativeException | IllegalStateException e) {
            System.err.println("RdmaCmPingPong: " + e.getMessage());
            status = 1;
        } catch (Exception e) {
            System.err.println("RdmaCmPingPong: " + e);
            status = 1;
        }
        System.exit(status);
    }

    static int run(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("server") && args.length <= 2) {
            return server(args.length == 2 ? Integer.parseInt(args[1]) : DEFAULT_PORT);
        }
        if (args.length >= 2 && args[0].equals("client") && args.length <= 4) {
            InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[1]),
                    args.length >= 3 ? Integer.parseInt(args[2]) : DEFAULT_PORT);
            return client(server, args.length == 4 ? Integer.parseInt(args[3]) : 1000);
        }
        System.err.println("usage: RdmaCmPingPong server [port] | client <server-ip> [port] [iterations]");
        return 2;
    }

    private static int server(int port) {
        try (NativeBuffer buf = NativeBuffer.allocate(2 * SIZE);
             CmListener listener = CmListener.listen(new InetSocketAddress(port), 1)) {
            System.out.println("listening on " + listener.localAddress());
            Endpoint ep = new Endpoint(buf);
            try (CmConnection c = listener.accept(ep.options("jverbs rdma_cm server"), Duration.ofSeconds(60))) {
                if (c == null) {
                    System.err.println("RdmaCmPingPong: no client within 60 s");
                    return 1;
                }
                String hello = text(c.peerPrivateData());
                System.out.println("connection from " + c.remoteAddress() + ": \"" + hello + "\"");
                int iterations = Integer.parseInt(hello.substring(hello.lastIndexOf(' ') + 1));
                for (int i = 0; i < iterations; i++) {
                    if (!ep.await(c, RECV_ID)) {
                        System.err.println("RdmaCmPingPong: the connection failed after " + i + " round trips");
                        return 1;
                    }
                    ep.postReceive(c);
                    ep.send(c);
                    if (!ep.await(c, SEND_ID)) {
                        System.err.println("RdmaCmPingPong: a reply failed after " + i + " round trips");
                        return 1;
                    }
                }
                if (!c.awaitDisconnect(TIMEOUT)) {
                    System.err.println("RdmaCmPingPong: the client did not disconnect");
                    return 1;
                }
                System.out.println(iterations + " round trips served");
                return 0;
            }
        }
    }

    private static int client(InetSocketAddress server, int iterations) {
        try (NativeBuffer buf = NativeBuffer.allocate(2 * SIZE)) {
            Endpoint ep = new Endpoint(buf);
            try (CmConnection c = CmConnection.connect(server, ep.options("jverbs rdma_cm client, iterations " + iterations), TIMEOUT)) {
                System.out.println("connected to " + c.remoteAddress() + ": \"" + text(c.peerPrivateData()) + "\"");
                long start = System.nanoTime();
                for (int i = 0; i < iterations; i++) {
                    ep.send(c);
                    if (!ep.await(c, SEND_ID) || !ep.await(c, RECV_ID)) {
                        System.err.println("RdmaCmPingPong: the connection failed after " + i + " round trips");
                        return 1;
                    }
                    ep.postReceive(c);
                }
                long ns = System.nanoTime() - start;
                System.out.printf("%d round trips of %d bytes, %.2f us each%n", iterations, SIZE, ns / 1000.0 / Math.max(1, iterations));
                c.disconnect(TIMEOUT);
                return 0;
            }
        }
    }

    /** One side's buffer (send half, receive half), work requests and completions. */
    private static final class Endpoint {
        final NativeBuffer buf;
        final SendRequests send = new SendRequests(1, 1);
        final ReceiveRequests recv = new ReceiveRequests(1, 1);
        final WorkCompletions wc = new WorkCompletions(2);
        MemoryRegion mr;
        /** A completion of the other kind that arrived while waiting for one kind. */
        boolean pendingSend, pendingRecv;

        Endpoint(NativeBuffer buf) {
            this.buf = buf;
        }

        CmConnection.Options options(String greeting) {
            return new CmConnection.Options().maxSendWr(1).maxRecvWr(1).privateData(greeting.getBytes(StandardCharsets.UTF_8))
                    .beforeConnect(c -> {
                        mr = c.protectionDomain().register(buf, Access.LOCAL_WRITE);
                        postReceive(c); // before the handshake: the peer's first message finds it
                    });
        }

        void postReceive(CmConnection c) {
            c.queuePair().postReceive(recv.clear().add(RECV_ID).sge(mr, SIZE, SIZE));
        }

        void send(CmConnection c) {
            c.queuePair().postSend(send.clear().add(SEND_ID, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, SIZE));
        }

        /** Polls until the completion {@code wrId} arrives: true if it succeeded, false on error or timeout. */
        boolean await(CmConnection c, long wrId) {
            if (wrId == SEND_ID && pendingSend) { pendingSend = false; return true; }
            if (wrId == RECV_ID && pendingRecv) { pendingRecv = false; return true; }
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                int n = c.completionQueue().poll(wc);
                for (int i = 0; i < n; i++) {
                    if (!wc.isSuccess(i)) return false;
                    if (wc.wrId(i) == wrId) {
                        // the other completion in this batch, if any, is kept for the next await
                        for (int j = i + 1; j < n; j++) markPending(wc.wrId(j));
                        return true;
                    }
                    markPending(wc.wrId(i));
                }
                if (n == 0) Thread.onSpinWait();
            }
            return false;
        }

        private void markPending(long wrId) {
            if (wrId == SEND_ID) pendingSend = true; else pendingRecv = true;
        }
    }

    private static String text(byte[] privateData) {
        int end = 0;
        while (end < privateData.length && privateData[end] != 0) end++;
        return new String(Arrays.copyOf(privateData, end), StandardCharsets.UTF_8);
    }
}
