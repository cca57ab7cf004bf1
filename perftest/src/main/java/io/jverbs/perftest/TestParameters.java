package io.jverbs.perftest;

import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * One jperf run, as parsed from the command line with perftest's defaults resolved (the engine
 * never sees "unset"): what the RDMA engines consume. Built by {@code io.jverbs.perftest.cli.Jperf};
 * every value here passed perftest's validity rules.
 *
 * @param kind            write, read, send or atomic
 * @param measure         bandwidth or latency
 * @param serverName      the server to connect to (client role), or null (server role)
 * @param port            TCP port of the out-of-band exchange ({@code -p}, 18515)
 * @param device          RDMA device name ({@code -d}), or null for the first device
 * @param ibPort          device port ({@code -i}, 1)
 * @param size            message size in bytes ({@code -s}; bw 65536, lat 2, atomic 8); with
 *                        {@code -a} the largest size, 2^23, as perftest sets it
 * @param allSizes        {@code -a}: every size 2^1 .. 2^23, see {@link #sizes()}
 * @param iterations      messages per QP and size ({@code -n}; 1000, write_bw 5000); 0 in duration mode
 * @param durationSeconds {@code -D}; 0 when the run is counted in iterations
 * @param marginSeconds   {@code -f}: seconds excluded at each end of a duration run (D/4 by default)
 * @param qps             number of QPs ({@code -q}, 1)
 * @param txDepth         send queue depth ({@code -t}; bw 128, lat 1; capped at iterations)
 * @param rxDepth         receive queue depth ({@code -r}; send 512, others 1; capped at iterations;
 *                        UC/UD send min(iterations, 16000))
 * @param inlineSize      max inline data ({@code -I}; bw 0, write_lat 220, send_lat RC/UC/XRC 236,
 *                        UD 188, DC 150; read and atomic 0)
 * @param cqModeration    a signalled completion every N sends ({@code -Q}; 100, 1 when size > 8192,
 *                        the post list size with {@code -l}; at most txDepth)
 * @param postList        sends per post call ({@code -l}, 1)
 * @param connection      transport ({@code -c}, RC)
 * @param useSrq          a shared receive queue (always with XRC and DC)
 * @param gidIndex        GID index ({@code -x}), or -1: none on IB, the best-scoring GID on RoCE
 * @param rdmaCm          {@code -R}: connect the test QPs with rdma_cm
 * @param commRdmaCm      {@code -z}: out-of-band exchange over rdma_cm instead of TCP (implied by -R)
 * @param bidirectional   {@code -b}
 * @param noPeak          {@code -N}: skip the peak bandwidth computation
 * @param events          {@code -e}: sleep on completion events instead of polling
 * @param outReads        outstanding reads/atomics ({@code -o}), or 0 for the device maximum
 * @param atomicType      {@code -A} (FETCH_AND_ADD)
 * @param cpuFreqNoWarn   {@code -F} (accepted for compatibility: jperf never warns about CPU frequency)
 * @param qpTimeout       {@code -u}: QP ACK timeout exponent (14)
 * @param serviceLevel    {@code -S} (0)
 * @param tos             {@code -T}: type of service for rdma_cm QPs, or -1
 * @param mtu             {@code -m}: path MTU in bytes, or 0 for the port's active MTU
 * @param runInfinitely   {@code --run_infinitely}: print BW every duration until killed
 * @param loopback        {@code --loopback}: server and client in this process on one device
 * @param reporting       output options
 * @param raw             the raw Ethernet settings of {@code raw_ethernet_*} runs (connection
 *                        {@link Connection#RAW_ETH}), else null
 * @param bufferMemory    where the test buffers live ({@code --use_hugepages}, {@code --use_ib_dm_dmabuf})
 */
public record TestParameters(TestKind kind, Measure measure, String serverName, int port, String device, int ibPort,
                             int size, boolean allSizes, long iterations, int durationSeconds, int marginSeconds,
                             int qps, int txDepth, int rxDepth, int inlineSize, int cqModeration, int postList,
                             Connection connection, boolean useSrq, int gidIndex, boolean rdmaCm,
                             boolean commRdmaCm, boolean bidirectional, boolean noPeak, boolean events, int outReads,
                             AtomicType atomicType, boolean cpuFreqNoWarn, int qpTimeout, int serviceLevel, int tos,
                             int mtu, boolean runInfinitely, boolean loopback, Reporting reporting,
                             RawEthernet raw, BufferMemory bufferMemory) {

    /** perftest's largest message size ({@code MAX_SIZE}, 8 MiB): the last size of {@code -a}. */
    public static final int MAX_SIZE = 1 << 23;

    public TestParameters {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(measure, "measure");
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(atomicType, "atomicType");
        Objects.requireNonNull(reporting, "reporting");
        Objects.requireNonNull(bufferMemory, "bufferMemory");
        if ((raw != null) != (connection == Connection.RAW_ETH)) {
            throw new IllegalArgumentException("raw Ethernet settings go with connection RAW_ETH and only with it");
        }
    }

    /** The subcommand name, e.g. {@code write_bw}. */
    public String testName() {
        if (raw != null) {
            return "raw_ethernet_" + measure.name().toLowerCase(java.util.Locale.ROOT);
        }
        return kind.name().toLowerCase(java.util.Locale.ROOT) + "_" + measure.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** True without a server name (raw Ethernet: with {@code --server}): this side listens. */
    public boolean isServer() {
        if (raw != null) {
            return raw.server();
        }
        return serverName == null && !loopback;
    }

    /**
     * Whether each side has both initiator and target QPs: perftest's XRC and DC latency tests and
     * bidirectional bandwidth tests double {@code num_of_qps}, the first half sending (XRC_SEND, a
     * DC initiator) and the second half receiving (XRC_RECV, a DC target); a unidirectional XRC or
     * DC bandwidth client has only initiators, its server only targets.
     */
    public boolean pairedQps() {
        return (connection == Connection.XRC || connection == Connection.DC) && (measure == Measure.LAT || bidirectional);
    }

    /**
     * The QPs each side creates and exchanges: {@link #qps()}, doubled by {@link #pairedQps()}.
     * perftest prints this number as "Number of qps".
     */
    public int qpsPerSide() {
        return pairedQps() ? 2 * qps : qps;
    }

    /** True for {@code -D} (and {@code --run_infinitely}) runs. */
    public boolean isDuration() {
        return durationSeconds > 0;
    }

    /** The message sizes of the run in order: 2, 4, ... 2^23 with {@code -a}, else {@link #size()}. */
    public List<Integer> sizes() {
        if (!allSizes) {
            return List.of(size);
        }
        int limit = Integer.numberOfTrailingZeros(MAX_SIZE);
        return IntStream.rangeClosed(1, limit).mapToObj(i -> 1 << i).toList();
    }
}
