/*
 * The C side of dpdk/bench-vs-c.sh, case "alloc+fill+tx+rx+free": on one net_ring port (its TX
 * ring feeds its RX ring), per iteration rte_pktmbuf_alloc_bulk(32), fill each mbuf as a 64-byte
 * frame (data_len, pkt_len and the 14-byte Ethernet header), rte_eth_tx_burst, rte_eth_rx_burst,
 * rte_pktmbuf_free_bulk. Runs on the first worker lcore (where testpmd forwards; the main lcore
 * without one) for WARMUP seconds, then counts received packets for WINDOW seconds and prints
 * "Mpps <rate> cpu-s <the thread's CPU seconds in the window> wall-s <window> bursts <n> lcore <id>".
 *
 * Usage: alloc_loop <EAL args...> -- <port name> <warmup s> <window s>
 * Build: gcc -O3 -march=native alloc_loop.c $(pkg-config --cflags --libs libdpdk)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define BURST 32

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void) {
    return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what, int err) {
    fprintf(stderr, "alloc_loop: %s failed: %s\n", what, rte_strerror(err));
    exit(1);
}

struct loop_args {
    struct rte_mempool *pool;
    uint16_t port;
    double warmup, window;
};

static int loop(void *arg) {
    struct loop_args *a = arg;
    struct rte_mempool *pool = a->pool;
    uint16_t port = a->port;
    double warmup = a->warmup, window = a->window;
    static const uint8_t header[RTE_ETHER_HDR_LEN] = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,   /* destination */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   /* source */
        0x08, 0x00                            /* IPv4 */
    };
    struct rte_mbuf *tx[BURST], *rx[BURST];
    uint64_t received = 0, iterations = 0, counted_from = 0, iterations_from = 0;
    double start = now(), measure_at = start + warmup, end = measure_at + window, t0 = 0, cpu0 = 0;
    int measuring = 0;
    for (;;) {
        if (rte_pktmbuf_alloc_bulk(pool, tx, BURST) != 0) die("rte_pktmbuf_alloc_bulk", ENOBUFS);
        for (int i = 0; i < BURST; i++) {
            struct rte_mbuf *m = tx[i];
            m->data_len = 64;
            m->pkt_len = 64;
            memcpy(rte_pktmbuf_mtod(m, uint8_t *), header, sizeof header);
        }
        uint16_t sent = rte_eth_tx_burst(port, 0, tx, BURST);
        if (sent < BURST) rte_pktmbuf_free_bulk(tx + sent, BURST - sent);
        uint16_t got = rte_eth_rx_burst(port, 0, rx, BURST);
        rte_pktmbuf_free_bulk(rx, got);
        received += got;
        if ((++iterations & 1023) == 0) {
            double t = now();
            if (!measuring && t >= measure_at) {
                measuring = 1;
                t0 = t;
                cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                counted_from = received;
                iterations_from = iterations;
            } else if (measuring && t >= end) {
                double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
                printf("Mpps %.2f cpu-s %.3f wall-s %.3f bursts %lu lcore %u\n", (received - counted_from) / (t - t0) / 1e6,
                       cpu, t - t0, (unsigned long) (iterations - iterations_from), rte_lcore_id());
                fflush(stdout);
                break;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    int n = rte_eal_init(argc, argv);
    if (n < 0) die("rte_eal_init", rte_errno);
    argc -= n;
    argv += n;
    if (argc != 4) {
        fprintf(stderr, "usage: alloc_loop <EAL args...> -- <port name> <warmup s> <window s>\n");
        return 2;
    }
    const char *name = argv[1];
    double warmup = atof(argv[2]), window = atof(argv[3]);
    uint16_t port;
    int rc = rte_eth_dev_get_port_by_name(name, &port);
    if (rc < 0) die("rte_eth_dev_get_port_by_name", -rc);
    /* The pool and port settings of the Java side (BurstBench). */
    struct rte_mempool *pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pool == NULL) die("rte_pktmbuf_pool_create", rte_errno);
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) < 0) die("rte_eth_dev_configure", -rc);
    if ((rc = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL, pool)) < 0) die("rte_eth_rx_queue_setup", -rc);
    if ((rc = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL)) < 0) die("rte_eth_tx_queue_setup", -rc);
    if ((rc = rte_eth_dev_start(port)) < 0) die("rte_eth_dev_start", -rc);

    struct loop_args args = {pool, port, warmup, window};
    unsigned worker = rte_get_next_lcore(-1, 1, 0);
    if (worker < RTE_MAX_LCORE) {
        if ((rc = rte_eal_remote_launch(loop, &args, worker)) < 0) die("rte_eal_remote_launch", -rc);
        /* rte_eal_wait_lcore spins: sleep instead, as testpmd's and Java's main threads do. */
        while (rte_eal_get_lcore_state(worker) != WAIT) usleep(10000);
        rte_eal_wait_lcore(worker);
    } else {
        loop(&args);
    }
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    rte_mempool_free(pool);
    rte_eal_cleanup();
    return 0;
}
