package io.jverbs.perftest.cli;

import picocli.CommandLine.Option;

/**
 * The option groups of the test subcommands, as picocli mixins. A subcommand mixes in exactly the
 * groups perftest accepts for that test, so an option of another test is an unknown option.
 * Fields hold what was typed (null when absent); {@link Resolver} applies perftest's defaults.
 */
final class Options {
    private Options() {
    }

    /** Options every test has (RDMA and raw Ethernet). */
    static final class Common {
        @Option(names = {"-d", "--ib-dev"}, paramLabel = "DEV", description = "Use RDMA device DEV (default first device found)")
        String ibDev;
        @Option(names = {"-i", "--ib-port"}, paramLabel = "PORT", description = "Use port PORT of the device (default 1)")
        Integer ibPort;
        @Option(names = {"-n", "--iters"}, paramLabel = "N", description = "Number of exchanges (at least 5; default 1000, write_bw 5000)")
        Long iters;
        @Option(names = {"-D", "--duration"}, paramLabel = "SEC", description = "Run for SEC seconds instead of -n iterations")
        Integer duration;
        @Option(names = {"-f", "--margin"}, paramLabel = "SEC", description = "Exclude SEC seconds at both ends of a -D run (default D/4)")
        Integer margin;
        @Option(names = {"-F", "--CPU-freq"}, description = "Accepted for compatibility (jperf never warns about CPU frequency)")
        boolean cpuFreq;
        @Option(names = "--output", paramLabel = "WHAT", description = "Print one number: bandwidth or message_rate (BW), latency (LAT)")
        String output;
        @Option(names = "--out_json", description = "Save the report in perftest's JSON layout")
        boolean outJson;
        @Option(names = "--out_json_file", paramLabel = "FILE", description = "File for --out_json (default perftest_out.json; implies --out_json)")
        String outJsonFile;
        @Option(names = "--json", description = "jperf: print one strict JSON document (every size, percentiles, parameters) instead of the text")
        boolean json;
        @Option(names = "--json-file", paramLabel = "FILE", description = "jperf: also write that JSON document to FILE")
        String jsonFile;
        @Option(names = "--plot", paramLabel = "FILE", description = "jperf: chart to FILE.png or FILE.svg (latency percentiles; BW by size or over time)")
        String plot;
        @Option(names = "--debug", description = "jperf: stack traces and protocol details on errors")
        boolean debug;
        @Option(names = "--style", paramLabel = "STYLE", description = "jperf: text like upstream perftest 6.29 (upstream, MiB/sec; default) or Debian's 6.06 (debian, MB/sec)")
        String style;
    }

    /** Options of the RDMA tests (the out-of-band exchange, the QP connection); not raw Ethernet. */
    static final class Rdma {
        @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Listen on/connect to TCP port PORT (default 18515)")
        Integer port;
        @Option(names = {"-c", "--connection"}, paramLabel = "TYPE", description = "Connection type RC/UC/UD/XRC/DC, as valid for the test (default RC)")
        String connection;
        @Option(names = {"-x", "--gid-index"}, paramLabel = "IDX", description = "Use GID index IDX (default: none on IB, the best RoCE GID on Ethernet)")
        Integer gidIndex;
        @Option(names = {"-R", "--rdma_cm"}, description = "Connect the test QPs with rdma_cm")
        boolean rdmaCm;
        @Option(names = {"-z", "--comm_rdma_cm", "--com_rdma_cm"}, description = "Exchange data over rdma_cm instead of TCP")
        boolean commRdmaCm;
        @Option(names = {"-u", "--qp-timeout"}, paramLabel = "T", description = "QP timeout exponent: 4.096 usec * 2^T (default 14)")
        Integer qpTimeout;
        @Option(names = {"-S", "--sl"}, paramLabel = "SL", description = "Service level 0-15 (default 0)")
        Integer sl;
        @Option(names = {"-T", "--tos"}, paramLabel = "TOS", description = "Type of service 0-255 of rdma_cm QPs (only with -R)")
        Integer tos;
        @Option(names = {"-m", "--mtu"}, paramLabel = "MTU", description = "Path MTU 256/512/1024/2048/4096 (default the port's)")
        Integer mtu;
        @Option(names = "--loopback", description = "jperf: server and client in this process on one device")
        boolean loopback;
        @Option(names = "--use_hugepages", description = "Test buffers on huge pages (fails when none are free)")
        boolean useHugepages;
        @Option(names = "--use_ib_dm_dmabuf", paramLabel = "DEV", description = "Test buffers in the on-device memory of DEV, the test device (mlx5)")
        String deviceMemory;
    }

    /**
     * Raw Ethernet options ({@code raw_ethernet_bw}, {@code raw_ethernet_lat}): the back end and
     * perftest's frame fields. As in perftest, {@code -B}/{@code -E} are this side's and the peer's
     * MAC, while {@code -J}/{@code -j} and {@code -K}/{@code -k} name the server's and the client's
     * IP and port on both sides.
     */
    static final class Raw {
        @Option(names = "--port", paramLabel = "BACKEND:ARG", description = "jperf: the packet port: verbs:<dev>, dpdk:<EAL args>, afpacket:<iface> or tap:<name> (-d DEV means verbs:DEV)")
        String port;
        @Option(names = {"-B", "--source_mac"}, paramLabel = "MAC", description = "This side's MAC XX:XX:XX:XX:XX:XX (required; frames to it are received)")
        String sourceMac;
        @Option(names = {"-E", "--dest_mac"}, paramLabel = "MAC", description = "The peer's MAC (required but for a bw server)")
        String destMac;
        @Option(names = {"-J", "--dest_ip"}, paramLabel = "IP", description = "The server's IPv4 address (frames get an IPv4 header)")
        String serverIp;
        @Option(names = {"-j", "--source_ip"}, paramLabel = "IP", description = "The client's IPv4 address")
        String clientIp;
        @Option(names = {"-K", "--dest_port"}, paramLabel = "PORT", description = "The server's UDP/TCP port (needs -k, -J and -j)")
        Integer serverPort;
        @Option(names = {"-k", "--source_port"}, paramLabel = "PORT", description = "The client's UDP/TCP port")
        Integer clientPort;
        @Option(names = {"-Y", "--ethertype"}, paramLabel = "0xXXXX", description = "EtherType of the frames (default IPv4 with -J/-j, else the 802.3 length)")
        String ethertype;
        @Option(names = {"-Z", "--server"}, description = "This side is the server (receives in bw, answers in lat)")
        boolean server;
        @Option(names = {"-P", "--client"}, description = "This side is the client (sends in bw, starts the ping-pong in lat)")
        boolean client;
        @Option(names = "--tcp", description = "TCP headers instead of UDP (needs -J -j -K -k)")
        boolean tcp;
        @Option(names = {"-L", "--hop_limit"}, paramLabel = "TTL", description = "IPv4 TTL 0-255 (default 64)")
        Integer ttl;
        @Option(names = "--idle-timeout", paramLabel = "SEC", description = "jperf: a receiver that got frames stops after SEC seconds without one and reports what came (default 2)")
        Integer idleTimeout;
    }

    /** {@code -s} and {@code -a}: every test but atomic (fixed 8 bytes). */
    static final class Size {
        @Option(names = {"-s", "--size"}, paramLabel = "SIZE", description = "Message size, K/M suffixes allowed (default bw 65536, lat 2)")
        String size;
        @Option(names = {"-a", "--all"}, description = "Run sizes 2 to 2^23 (not with -D)")
        boolean all;
    }

    /** Bandwidth-only options. */
    static final class Bw {
        @Option(names = {"-q", "--qp"}, paramLabel = "N", description = "Number of QPs 1-16384 (default 1)")
        Integer qps;
        @Option(names = {"-t", "--tx-depth"}, paramLabel = "N", description = "Send queue depth (default 128, at most -n)")
        Integer txDepth;
        @Option(names = {"-Q", "--cq-mod"}, paramLabel = "N", description = "A completion every N sends, 1-1024 (default 100; 1 above 8192 bytes)")
        Integer cqMod;
        @Option(names = {"-l", "--post_list"}, paramLabel = "N", description = "Post lists of N sends (default 1)")
        Integer postList;
        @Option(names = {"-b", "--bidirectional"}, description = "Measure bidirectional bandwidth")
        boolean bidirectional;
        @Option(names = {"-N", "--noPeak"}, description = "Do not compute the peak bandwidth")
        boolean noPeak;
        @Option(names = "--report_gbits", description = "Report bandwidth in Gb/sec (10^9 bits) instead of MiB/sec")
        boolean reportGbits;
        @Option(names = "--report-both", description = "Report RX and TX separately in -b runs")
        boolean reportBoth;
        @Option(names = "--run_infinitely", description = "Run until killed, printing results every -D seconds (default 5)")
        boolean runInfinitely;
        @Option(names = "--min-bw", paramLabel = "[STAT=]BW", description = "jperf: exit 3 unless bandwidth >= BW in the table's unit; STAT avg (default) or peak; comma-separated list")
        String minBw;
    }

    /** Latency-only options. */
    static final class Lat {
        @Option(names = {"-C", "--report-cycles"}, description = "Report times in cycles (jperf: nanoseconds)")
        boolean cycles;
        @Option(names = {"-H", "--report-histogram"}, description = "Print every sorted sample")
        boolean histogram;
        @Option(names = {"-U", "--report-unsorted"}, description = "Print every sample unsorted (implies -H)")
        boolean unsorted;
        @Option(names = "--max-lat", paramLabel = "[STAT=]USEC", description = "jperf: exit 3 unless latency <= USEC; STAT avg (default), typical, min, max, p50, p90, p99, p99.9, p99.99; comma-separated list")
        String maxLat;
        @Option(names = "--hdr-log", paramLabel = "FILE", description = "jperf: write the latency samples as an HdrHistogram log")
        String hdrLog;
    }

    /** {@code -r}: tests with receive completions (send). */
    static final class Rx {
        @Option(names = {"-r", "--rx-depth"}, paramLabel = "N", description = "Receive queue depth 1-16384 (default 512)")
        Integer rxDepth;
    }

    /** {@code -I}: tests that send data (write, send). */
    static final class Inline {
        @Option(names = {"-I", "--inline_size"}, paramLabel = "N", description = "Max inline data 0-1024 (default bw 0, write_lat 220, send_lat 236/UD 188)")
        Integer inline;
    }

    /** {@code -e}: tests that can wait on completion events (not write). */
    static final class Events {
        @Option(names = {"-e", "--events"}, description = "Sleep on CQ events instead of polling")
        boolean events;
    }

    /** {@code -o}: read and atomic. */
    static final class Outs {
        @Option(names = {"-o", "--outs"}, paramLabel = "N", description = "Outstanding reads/atomics (default the device maximum)")
        Integer outReads;
    }

    /** {@code -A}: atomic. */
    static final class Atomic {
        @Option(names = {"-A", "--atomic_type"}, paramLabel = "TYPE", description = "CMP_AND_SWAP or FETCH_AND_ADD (default FETCH_AND_ADD)")
        String atomicType;
    }
}
