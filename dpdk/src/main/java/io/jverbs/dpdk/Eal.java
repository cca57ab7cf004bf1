package io.jverbs.dpdk;

import io.jverbs.core.NativeResource;
import io.jverbs.dpdk.ffi.RteEal;
import io.jverbs.dpdk.ffi.RteEthdev;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The DPDK environment abstraction layer of this process: {@link #init(EalOptions)} runs
 * {@code rte_eal_init}, {@link #close()} stops and closes every port, frees every pool (its
 * children, newest first) and runs {@code rte_eal_cleanup}.
 *
 * <p>DPDK initializes once per process: a second {@link #init} while one is live throws
 * {@link IllegalStateException}, and so does any {@link #init} after {@link #close()}, because
 * DPDK 22.11 cannot initialize again after {@code rte_eal_cleanup} (start a new JVM). Nor after a
 * failed {@code rte_eal_init}: even after an argument error, where EAL resets its once-flag, a
 * retry with good arguments fails (measured), so jverbs refuses it with that explanation.
 *
 * <p>{@code rte_eal_init} pins its calling thread to the main lcore, and threads created later
 * by that thread inherit the affinity. So EAL runs on a dedicated platform thread
 * ({@code dpdk-main-lcore}) that owns the main lcore and does nothing else; {@code rte_eal_cleanup}
 * runs there too. Other threads may make control calls (pools, ports). A Java thread that
 * allocates or frees mbufs should call {@link #registerThread()} first: DPDK gives it an lcore id,
 * and with one the mempool's per-lcore cache is used instead of the shared ring for every
 * allocation and free.
 */
public final class Eal extends NativeResource {
    private static final Object LOCK = new Object();
    private static Eal live;
    private static String cleanedUp;
    private static String failed;

    private final EalOptions options;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Thread mainThread;
    private final int mainLcore;
    /** Set on the main lcore's thread by its last task, rte_eal_cleanup. */
    private boolean cleanedUpHere;
    /** The wrapper of each port id, so a port is one object (and closed once). */
    final EthPort[] ports = new EthPort[(int) RteEthdev.RTE_MAX_ETHPORTS];

    private Eal(EalOptions options) {
        super(null);
        this.options = options;
        CompletableFuture<Integer> started = new CompletableFuture<>();
        this.mainThread = Thread.ofPlatform().name("dpdk-main-lcore").daemon(true).unstarted(() -> mainLoop(options, started));
        mainThread.start();
        int lcore;
        try {
            lcore = started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while rte_eal_init ran", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("rte_eal_init failed", e.getCause());
        }
        this.mainLcore = lcore;
        attach();
    }

    /**
     * Runs {@code rte_eal_init} with {@code options} on a new thread that becomes the main lcore.
     *
     * @throws DpdkException when EAL refuses: a bad argument ({@code EINVAL}), a device it cannot
     *                       probe, no memory; the message names the errno and what to fix
     * @throws IllegalStateException when EAL is live already, was cleaned up, or failed to initialize in this process
     */
    public static Eal init(EalOptions options) {
        synchronized (LOCK) {
            if (live != null) {
                throw new IllegalStateException("EAL is already initialized in this process (with " + live.options
                        + "): DPDK allows one rte_eal_init per process; share that Eal (Eal.current()) instead of initializing again");
            }
            if (cleanedUp != null) {
                throw new IllegalStateException("EAL was initialized and cleaned up in this process already (" + cleanedUp
                        + "): DPDK 22.11 cannot initialize again after rte_eal_cleanup; start a new JVM");
            }
            if (failed != null) {
                throw new IllegalStateException("rte_eal_init failed in this process already (" + failed
                        + "): DPDK 22.11 does not initialize after a failed rte_eal_init; fix the options and start a new JVM");
            }
            try {
                live = new Eal(options);
            } catch (RuntimeException e) {
                failed = e.getMessage();
                throw e;
            }
            return live;
        }
    }

    /** The live EAL of this process. */
    public static Eal current() {
        synchronized (LOCK) {
            if (live == null) {
                throw new IllegalStateException("EAL is not initialized in this process: call Eal.init(EalOptions) first");
            }
            return live;
        }
    }

    private void mainLoop(EalOptions options, CompletableFuture<Integer> started) {
        try {
            List<String> args = new ArrayList<>();
            args.add("jverbs");
            args.addAll(options.args());
            // EAL keeps pointers into argv (and getopt permutes it): the strings live as long as the process.
            Arena arena = Arena.global();
            MemorySegment argv = arena.allocate(ValueLayout.ADDRESS, args.size() + 1L);
            for (int i = 0; i < args.size(); i++) {
                argv.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(args.get(i)));
            }
            int rc = RteEal.rte_eal_init(args.size(), argv);
            if (rc < 0) {
                int errno = RteErrno.get();
                started.completeExceptionally(new DpdkException(DpdkCall.EAL_INIT, errno,
                        join(DpdkCall.EAL_INIT.hint(errno), "arguments were: " + options)));
                return;
            }
            started.complete(RteErrno.lcoreId());
        } catch (Throwable t) {
            started.completeExceptionally(t);
            return;
        }
        // The main lcore's thread now runs what must run there (rte_eal_cleanup), until cleanup.
        while (true) {
            Runnable task;
            try {
                task = tasks.take();
            } catch (InterruptedException e) {
                continue; // only cleanup ends this thread
            }
            task.run();
            if (cleanedUpHere) {
                return;
            }
        }
    }

    private static String join(String hint, String more) {
        return hint == null ? more : hint + "; " + more;
    }

    /** Runs {@code task} on the main lcore's thread and waits for it. */
    <T> T onMainLcore(Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        tasks.add(f);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the main lcore", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The options EAL was initialized with. */
    public EalOptions options() {
        return options;
    }

    /** The main lcore's id ({@code rte_get_main_lcore()}), owned by the {@code dpdk-main-lcore} thread. */
    public int mainLcore() {
        return mainLcore;
    }

    /** {@code rte_lcore_count()}: the lcores EAL runs (not counting registered non-EAL threads). */
    public int lcoreCount() {
        checkOpen();
        return RteEal.rte_lcore_count();
    }

    /** {@code rte_eal_has_hugepages()}. */
    public boolean hasHugepages() {
        checkOpen();
        return RteEal.rte_eal_has_hugepages() != 0;
    }

    /**
     * Adds a device after init ({@code rte_dev_probe}, hotplug), e.g.
     * {@code "net_tap1,iface=dtap1"} or {@code "net_af_packet0,iface=veth0"}: for a network
     * device EAL creates a port that {@link EthPort#byName} finds by the name before the comma.
     * Lets a program (or a test) add a vdev whose kernel side it set up after EAL started.
     *
     * @throws DpdkException when EAL cannot probe it (no such driver, bad arguments, a name in use)
     */
    public void probe(String devargs) {
        checkOpen();
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            rc = RteEal.rte_dev_probe(arena.allocateFrom(devargs));
        }
        if (rc < 0) {
            String hint = DpdkCall.DEV_PROBE.hint(-rc);
            throw new DpdkException(DpdkCall.DEV_PROBE, -rc, (hint == null ? "" : hint + "; ") + "devargs were '" + devargs + "'");
        }
    }

    /** {@code rte_eth_dev_count_avail()}: the ports EAL probed (vdevs and bound NICs). */
    public int portCount() {
        checkOpen();
        return Short.toUnsignedInt(RteEthdev.rte_eth_dev_count_avail());
    }

    /** The ids of the available ports, ascending ({@code RTE_ETH_FOREACH_DEV}). */
    public int[] portIds() {
        checkOpen();
        int max = (int) RteEthdev.RTE_MAX_ETHPORTS;
        int[] ids = new int[max];
        int n = 0;
        for (int p = Short.toUnsignedInt(RteEthdev.rte_eth_find_next((short) 0)); p < max;
             p = Short.toUnsignedInt(RteEthdev.rte_eth_find_next((short) (p + 1)))) {
            ids[n++] = p;
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    /**
     * Gives the calling thread an lcore id ({@code rte_thread_register}), so that its mbuf
     * allocations and frees use the mempools' per-lcore caches. Returns the id; a thread that has
     * one (an EAL lcore, or registered before) keeps it. Call {@link #unregisterThread()} before
     * the thread ends: ids are few ({@code RTE_MAX_LCORE}).
     */
    public int registerThread() {
        checkOpen();
        int id = Lcore.current();
        if (id != Lcore.ANY) {
            return id;
        }
        if (RteEal.rte_thread_register() < 0) {
            throw new DpdkException(DpdkCall.THREAD_REGISTER, RteErrno.get());
        }
        return Lcore.refresh();
    }

    /** Releases the calling thread's lcore id ({@code rte_thread_unregister}); no-op for an unregistered thread. */
    public void unregisterThread() {
        checkOpen();
        if (Lcore.current() == Lcore.ANY) {
            return;
        }
        RteEal.rte_thread_unregister();
        Lcore.refresh();
    }

    /** The calling thread's lcore id, or -1 when it has none ({@code rte_lcore_id()}). */
    public static int currentLcore() {
        int id = Lcore.current();
        return id == Lcore.ANY ? -1 : id;
    }

    /** Throws IllegalStateException when this EAL was cleaned up. */
    void checkLive() {
        checkOpen();
    }

    @Override
    protected void destroy() {
        int errno = onMainLcore(() -> {
            cleanedUpHere = true;
            return RteEal.rte_eal_cleanup() < 0 ? RteErrno.get() : 0;
        });
        synchronized (LOCK) {
            live = null;
            cleanedUp = "with " + options;
        }
        if (errno != 0) {
            throw new DpdkException(DpdkCall.EAL_CLEANUP, errno);
        }
    }

    @Override
    protected String describe() {
        return "EAL (" + options + ")";
    }
}
