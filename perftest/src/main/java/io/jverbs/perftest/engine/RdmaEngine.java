package io.jverbs.perftest.engine;

import io.jverbs.core.NotSupportedException;
import io.jverbs.perftest.BufferMemory;
import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Engine;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.oob.CmTransport;
import io.jverbs.perftest.oob.OobSession;
import io.jverbs.perftest.report.Reporter;
import io.jverbs.perftest.system.HugePages;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.mlx5.Mlx5;

import java.time.Duration;

/**
 * jperf's RDMA engine: the eight perftest tests over libibverbs, RC/UC/UD/XRC and DC (mlx5 DCT/DCI
 * through mlx5dv, posting with the extended post API as perftest does), with perftest's TCP
 * out-of-band exchange or its rdma_cm one ({@code -z}; {@code -R} also connects the test QPs with
 * rdma_cm, RC or UD), iterations, {@code -D} or {@code --run_infinitely}, so either side may be C perftest ({@code ib_write_bw} ...). Registered in
 * {@code META-INF/services/io.jverbs.perftest.Engine}.
 */
public final class RdmaEngine implements Engine {
    /** How long a wait in a measured loop may see nothing (property {@code jperf.stallSeconds}, 20). */
    static long stallNs() {
        return Long.getLong("jperf.stallSeconds", 20) * 1_000_000_000L;
    }

    /** Bound of one out-of-band step (property {@code jperf.stepSeconds}, 30). */
    static Duration stepTimeout() {
        return Duration.ofSeconds(Long.getLong("jperf.stepSeconds", 30));
    }

    /** Every valid command line; what the device lacks fails in {@link #run} saying so. */
    @Override
    public boolean supports(TestParameters p) {
        return p.connection() != Connection.RAW_ETH;
    }

    /**
     * Refuses, before any connection and in one line, what the test device lacks: DC transport
     * (an mlx5 device), on-device memory ({@code max_dm_size}), rdma_cm ({@code -z}, {@code -R})
     * on a soft device, free huge pages. A peer waiting for this side sees nothing; the user sees
     * why at once.
     */
    static void checkDevice(TestParameters p) {
        if (p.bufferMemory() == BufferMemory.HUGEPAGES && HugePages.system().free() <= 0) {
            throw new EngineException("--use_hugepages: no free huge pages (HugePages_Free is 0 in /proc/meminfo): reserve some first,"
                    + " e.g. echo 64 > /proc/sys/vm/nr_hugepages (as root)");
        }
        if (p.connection() != Connection.DC && p.bufferMemory() != BufferMemory.DEVICE && !p.commRdmaCm()) {
            return;
        }
        try (Context ctx = p.device() == null ? Context.openFirst() : Context.open(p.device())) {
            // librdmacm finds its devices through the kernel (/dev/infiniband/rdma_cm): it cannot
            // reach a device that lives in this JVM, and would fail saying no RDMA device exists.
            if (p.commRdmaCm() && ctx.isSoftDevice()) {
                throw new EngineException((p.rdmaCm() ? "-R" : "-z") + ": " + new NotSupportedException("rdma_cm",
                        ctx.device().name(), "librdmacm reaches kernel RDMA devices only; on a soft device use perftest's"
                        + " default TCP exchange (no -z/-R)", null, 0).getMessage());
            }
            if (p.connection() == Connection.DC && !Mlx5.isSupported(ctx)) {
                throw new EngineException("-c DC: " + new NotSupportedException("DC transport (mlx5 DCT/DCI)", ctx.device().name(),
                        "it needs an NVIDIA/Mellanox ConnectX device driven by the mlx5 provider", null, 0).getMessage());
            }
            if (p.bufferMemory() == BufferMemory.DEVICE && ctx.queryDevice().maxDeviceMemorySize() == 0) {
                throw new EngineException("--use_ib_dm_dmabuf: " + new NotSupportedException("device memory", ctx.device().name(),
                        "its max_dm_size is 0; on-device memory needs e.g. an mlx5 device (ConnectX-5 and later)", null, 0).getMessage());
            }
        }
    }

    @Override
    public void run(TestParameters p, Reporter reporter) throws Exception {
        checkDevice(p);
        if (p.loopback()) {
            Loopback.run(p, reporter, stallNs());
            return;
        }
        boolean server = p.isServer();
        try (TestRun run = new TestRun(p, reporter, server, p.commRdmaCm() ? CmOob::open : TcpOob::open, stallNs())) {
            run.run();
        }
    }

    /** perftest's TCP channel: the server accepts one client (waiting as long as perftest), the client retries. */
    static final class TcpOob {
        private TcpOob() {
        }

        static OobSession open(TestParameters p) {
            if (p.isServer()) {
                return OobSession.server(p.port(), acceptTimeout(), stepTimeout());
            }
            return OobSession.client(p.serverName(), p.port(), stepTimeout(), stepTimeout());
        }
    }

    /** perftest's rdma_cm control channel (-z, implied by -R), with the same bounds as the TCP one. */
    static final class CmOob {
        private CmOob() {
        }

        static OobSession open(TestParameters p) {
            if (p.isServer()) {
                return OobSession.over(CmTransport.accept(p.port(), acceptTimeout(), stepTimeout()),
                        OobSession.Role.SERVER, stepTimeout());
            }
            return OobSession.over(CmTransport.connect(p.serverName(), p.port(), stepTimeout(), stepTimeout()),
                    OobSession.Role.CLIENT, stepTimeout());
        }
    }

    /** perftest waits for its client forever; property {@code jperf.acceptSeconds} bounds it (0 = forever). */
    static Duration acceptTimeout() {
        return Duration.ofSeconds(Long.getLong("jperf.acceptSeconds", 0));
    }
}
