package io.jverbs.perftest.oob;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A raw-socket peer that plays a script, standing in for a C perftest (or a bad peer) on
 * 127.0.0.1. Failures inside the script (e.g. unexpected bytes from jperf) surface from
 * {@link #join()}.
 */
final class FakePeer implements AutoCloseable {
    interface Script {
        void run(DataInputStream in, DataOutputStream out) throws Exception;
    }

    private final ServerSocket listener;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Socket socket;

    private FakePeer(ServerSocket listener) {
        this.listener = listener;
    }

    /** A fake server on an ephemeral port; jperf's client connects to {@link #port()}. */
    static FakePeer server(Script script) throws IOException {
        ServerSocket l = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        FakePeer p = new FakePeer(l);
        Thread.ofPlatform().daemon().start(() -> {
            try (Socket s = l.accept()) {
                p.socket = s;
                l.close();
                p.play(s, script);
            } catch (Throwable t) {
                p.done.completeExceptionally(t);
            }
        });
        return p;
    }

    /** A fake client that connects to a jperf server on {@code port}, retrying until it listens. */
    static FakePeer client(int port, Script script) throws IOException {
        FakePeer p = new FakePeer(null);
        Thread.ofPlatform().daemon().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                    p.socket = s;
                    try (s) {
                        p.play(s, script);
                    }
                    return;
                } catch (java.net.ConnectException e) {
                    if (System.nanoTime() > deadline) {
                        p.done.completeExceptionally(e);
                        return;
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        return;
                    }
                } catch (Throwable t) {
                    p.done.completeExceptionally(t);
                    return;
                }
            }
        });
        return p;
    }

    private void play(Socket s, Script script) throws Exception {
        script.run(new DataInputStream(s.getInputStream()), new DataOutputStream(s.getOutputStream()));
        done.complete(null);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Waits for the script to end and rethrows its failure. */
    void join() throws Exception {
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (listener != null) {
            listener.close();
        }
        Socket s = socket;
        if (s != null) {
            s.close();
        }
    }

    static byte[] readN(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** A port nobody listens on right now (another process could take it; tests accept that). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
