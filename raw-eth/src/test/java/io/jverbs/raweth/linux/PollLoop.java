package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.socket.TcpSocket;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One platform thread that polls an {@link Interface} and runs the applications on its sockets, as
 * a server would: the stack is not thread-safe, so the test thread hands work over with
 * {@link #call} and {@link #run} and waits for the answers.
 */
final class PollLoop implements AutoCloseable {
    /** An application step, run on the poll thread after each poll; returns whether it has finished. */
    interface App {
        boolean step(long now);
    }

    private final Interface iface;
    private final PacketPort port;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<App> apps = new ArrayList<>();
    private final List<CompletableFuture<Void>> done = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stop;

    PollLoop(Interface iface) {
        this.iface = iface;
        this.port = iface.port();
        thread = Thread.ofPlatform().name("tcp-poll").daemon().start(this::loop);
    }

    Interface iface() {
        return iface;
    }

    private void loop() {
        try {
            while (!stop) {
                iface.poll(iface.clock().nanos());
                for (Runnable r; (r = tasks.poll()) != null; ) r.run();
                long now = iface.clock().nanos();
                for (int i = 0; i < apps.size(); i++) {
                    boolean finished;
                    try {
                        finished = apps.get(i).step(now);
                    } catch (RuntimeException | Error e) {
                        done.get(i).completeExceptionally(e);
                        finished = true;
                    }
                    if (finished) {
                        done.remove(i).complete(null);
                        apps.remove(i--);
                    }
                }
                port.awaitReceive(Math.min(iface.pollDelay(iface.clock().nanos()), 1_000_000L));
            }
        } catch (Throwable e) {
            failure.set(e);
            done.forEach(f -> f.completeExceptionally(e));
        }
    }

    /** Runs {@code what} on the poll thread and returns its result. */
    <T> T call(Supplier<T> what) {
        CompletableFuture<T> f = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                f.complete(what.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return await(f, 30);
    }

    /** Starts {@code app} on the poll thread; the future completes when it has finished. */
    CompletableFuture<Void> run(App app) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        tasks.add(() -> {
            apps.add(app);
            done.add(f);
        });
        return f;
    }

    /** Waits up to {@code seconds} for {@code f}, failing with the poll thread's error if it died. */
    <T> T await(CompletableFuture<T> f, long seconds) {
        return await("the poll thread's work", f, seconds);
    }

    private <T> T await(String what, CompletableFuture<T> f, long seconds) {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": not done in " + seconds + " s" + (failure.get() == null ? "" : "; poll thread: "
                    + failure.get()), e);
        } catch (ExecutionException e) {
            throw new AssertionError("failed on the poll thread: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Polls {@code condition} on the poll thread every millisecond until it holds, up to {@code seconds}. */
    void awaitCondition(String what, long seconds, Supplier<Boolean> condition) {
        await(what, run(now -> condition.get()), seconds);
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
        if (failure.get() != null) {
            throw new AssertionError("poll thread failed", failure.get());
        }
    }

    /**
     * Sends {@code toSend} generated bytes (SplittableRandom, 64 KiB at a time, never held whole)
     * then closes, and reads the other direction to its end; SHA-256 of both ways. Finished when the
     * socket has ended: CLOSED or TIME-WAIT, in order or by a reset.
     */
    static final class Stream implements App {
        final TcpSocket socket;
        final long toSend;
        final boolean closeWhenSent;
        private final SplittableRandom random;
        private final byte[] chunk = new byte[1 << 16];
        private final MemorySegment chunkSeg = MemorySegment.ofArray(chunk);
        private final byte[] in = new byte[1 << 16];
        private final MemorySegment inSeg = MemorySegment.ofArray(in);
        private final MessageDigest sentDigest = sha256();
        private final MessageDigest gotDigest = sha256();
        private int chunkPos;
        private int chunkLen;
        volatile long sent;
        volatile long got;
        volatile boolean eof;
        volatile boolean closed;
        volatile String sentHash;
        volatile String gotHash;
        volatile long stopReadingAfter = Long.MAX_VALUE;

        Stream(TcpSocket socket, long toSend, long seed, boolean closeWhenSent) {
            this.socket = socket;
            this.toSend = toSend;
            this.closeWhenSent = closeWhenSent;
            random = new SplittableRandom(seed);
        }

        @Override
        public boolean step(long now) {
            TcpSocket.State st = socket.state();
            if (st == TcpSocket.State.CLOSED && socket.error() != TcpSocket.Error.NONE) {
                return true;
            }
            while (sent < toSend && socket.canSend()) {
                if (chunkPos == chunkLen) {
                    chunkLen = (int) Math.min(chunk.length, toSend - sent);
                    random.nextBytes(chunk);
                    sentDigest.update(chunk, 0, chunkLen);
                    chunkPos = 0;
                }
                int n = socket.send(chunkSeg.asSlice(chunkPos, chunkLen - chunkPos));
                chunkPos += n;
                sent += n;
                if (n == 0) break;
            }
            if (sent == toSend && sentHash == null) {
                sentHash = hex(sentDigest);
            }
            if (sent == toSend && closeWhenSent && !closed
                    && (st == TcpSocket.State.ESTABLISHED || st == TcpSocket.State.CLOSE_WAIT)) {
                socket.close();
                closed = true;
            }
            while (!eof && got < stopReadingAfter) {
                int n = socket.receive(inSeg.asSlice(0, (int) Math.min(in.length, stopReadingAfter - got)));
                if (n < 0) {
                    eof = true;
                    gotHash = hex(gotDigest);
                } else if (n == 0) {
                    break;
                } else {
                    gotDigest.update(in, 0, n);
                    got += n;
                }
            }
            st = socket.state();
            return eof && sent == toSend && (st == TcpSocket.State.CLOSED || st == TcpSocket.State.TIME_WAIT);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }
}
