package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocking facade: two {@link TcpStack}s over a {@link MemoryPair} in real time, many virtual threads. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpStackTest {
    final MemoryPair pair = MemoryPair.builder().queueDepth(1024).txBuffers(1024).build();
    final TcpConfig config = TcpConfig.defaults(new Random(1)).withRtoMin(200_000_000L);
    final TcpStack server = TcpStack.builder(pair.a(), InterfaceConfig.builder(new Ipv4Address(IP_A), 24).build())
            .tcp(config).random(new SplittableRandom(1)).start();
    final TcpStack client = TcpStack.builder(pair.b(), InterfaceConfig.builder(new Ipv4Address(IP_B), 24).build())
            .tcp(config).random(new SplittableRandom(2)).start();

    @AfterEach
    void close() {
        client.close();
        server.close();
        pair.close();
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    @Test
    void manyVirtualThreadsEchoThroughOneServer() throws Exception {
        int connections = 200;
        int bytes = 64 * 1024;
        TcpServer s = server.listen(7, 256);
        AtomicInteger served = new AtomicInteger();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            threads.submit(() -> {
                for (int i = 0; i < connections; i++) {
                    TcpConnection c = s.accept();
                    threads.submit(() -> {
                        try (c) {
                            c.inputStream().transferTo(c.outputStream()); // echo until the client's FIN
                            served.incrementAndGet();
                        }
                        return null;
                    });
                }
                return null;
            });
            List<Future<byte[]>> results = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                byte[] data = new byte[bytes];
                new Random(i).nextBytes(data);
                sent.add(data);
                results.add(threads.submit(() -> {
                    try (TcpConnection c = client.connect(new Ipv4Address(IP_A), 7, 10_000)) {
                        c.setReadTimeout(30_000);
                        Thread writer = Thread.startVirtualThread(() -> {
                            try {
                                c.outputStream().write(data);
                                c.shutdownOutput();
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        });
                        byte[] got = c.inputStream().readAllBytes();
                        writer.join();
                        return got;
                    }
                }));
            }
            for (int i = 0; i < connections; i++) {
                byte[] got = results.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(bytes, got.length, "connection " + i);
                assertArrayEquals(sha256(sent.get(i)), sha256(got), "connection " + i);
            }
        }
        assertEquals(connections, served.get());
        long polls = server.polls();
        int left = server.locked(() -> server.demux().connections());
        System.out.println("TcpStack: " + connections + " virtual-thread connections echoed " + bytes
                + " B each; server polls " + polls + ", connections left (closing) " + left + ", "
                + server.locked(() -> s.listener().toString()) + ", stray ACKs after close answered with RST "
                + server.locked(() -> s.listener().cookiesRejected()));
        assertEquals(0, server.locked(() -> s.listener().synsDropped() + s.listener().acceptOverflows()));
    }

    @Test
    void readTimesOutThenGetsDataThenEndOfStream() throws Exception {
        TcpServer s = server.listen(80, 16);
        s.setSoTimeout(100);
        assertThrows(SocketTimeoutException.class, s::accept);
        try (TcpConnection c = client.connect(new Ipv4Address(IP_A), 80, 5_000); TcpConnection p = s.accept()) {
            p.setReadTimeout(100);
            InputStream in = p.inputStream();
            assertThrows(SocketTimeoutException.class, in::read);
            c.outputStream().write("abc".getBytes());
            byte[] b = new byte[8];
            assertEquals(3, in.read(b));
            assertEquals("abc", new String(b, 0, 3));
            c.shutdownOutput();
            assertEquals(-1, in.read(b));
            assertEquals(c.localPort(), p.remotePort());
        }
    }

    @Test
    void connectToAPortNobodyListensOnIsRefused() {
        ConnectException e = assertThrows(ConnectException.class, () -> client.connect(new Ipv4Address(IP_A), 9, 5_000));
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
    }

    @Test
    void aResetConnectionFailsTheBlockedReaderAndWriter() throws Exception {
        TcpServer s = server.listen(80, 16);
        TcpConnection c = client.connect(new Ipv4Address(IP_A), 80, 5_000);
        TcpConnection p = s.accept();
        Future<Integer> reader;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            reader = threads.submit(() -> c.inputStream().read(new byte[10]));
            Thread.sleep(50);
            p.abort();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> reader.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof SocketException && e.getCause().getMessage().contains("reset"),
                    String.valueOf(e.getCause()));
        }
        assertThrows(SocketException.class, () -> c.outputStream().write(new byte[1]));
        assertThrows(SocketException.class, () -> p.inputStream().read());
    }

    @Test
    void closingTheStackWakesBlockedCallsWithAnError() throws Exception {
        TcpServer s = server.listen(80, 16);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> accept = threads.submit(() -> s.accept());
            Thread.sleep(50);
            server.close();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> accept.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof SocketException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        }
        assertThrows(SocketException.class, () -> server.listen(81, 1));
    }
}
