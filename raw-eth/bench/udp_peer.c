/*
 * The kernel's side of raw-eth/bench-vs-kernel.sh: a UDP ping-pong and a UDP flood between two
 * network namespaces over veth, measured the way jperf's raw_ethernet_lat/_bw measure themselves.
 *
 *   udp_peer lat-server PORT                     echo every datagram back; stop on a 1-byte one
 *   udp_peer lat-client DST PORT PAYLOAD ITERS   ITERS timed round trips (after 1000 untimed);
 *                                                prints "typical_us p99_us" of half round trips
 *   udp_peer bw-server PORT IDLE_MS              count datagrams from the first to the last,
 *                                                stop IDLE_MS after the last; prints
 *                                                "packets seconds pps"
 *   udp_peer bw-client DST PORT PAYLOAD COUNT    send COUNT datagrams, sendmmsg bursts of 32
 *
 * Both sides busy-poll (recv with MSG_DONTWAIT), as jperf polls its port: the figures are the
 * kernel's UDP path, not a wake-up. gcc -O2 -o udp_peer udp_peer.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 32
#define RX_BURST 64

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int udp_socket(int port, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) die("SO_RCVBUFFORCE");
    if (port > 0) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    }
    return fd;
}

static void connect_to(int fd, const char *ip, int port) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", ip); exit(2); }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
}

/* Busy-polls one datagram; gives up after 10 s (a lost datagram or a dead peer). */
static ssize_t recv_spin(int fd, char *buf, size_t len, struct sockaddr_in *from) {
    long long end = now_ns() + 10000000000LL;
    for (unsigned spins = 0;; spins++) {
        socklen_t fl = sizeof *from;
        ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, from ? &fl : NULL);
        if (n >= 0) return n;
        if (errno != EAGAIN && errno != EINTR) die("recvfrom");
        if ((spins & 1023) == 0 && now_ns() > end) { fprintf(stderr, "no datagram for 10 s\n"); exit(3); }
    }
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int lat_server(int port) {
    int fd = udp_socket(port, 0);
    char buf[2048];
    struct sockaddr_in from;
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        ssize_t n = recv_spin(fd, buf, sizeof buf, &from);
        if (n == 1) return 0;
        if (sendto(fd, buf, n, 0, (struct sockaddr *)&from, sizeof from) != n) die("sendto");
    }
}

static int lat_client(const char *ip, int port, int payload, int iters) {
    int fd = udp_socket(0, 0);
    connect_to(fd, ip, port);
    char buf[2048] = {0};
    int warm = 1000;
    long long *half = malloc(sizeof *half * iters);
    for (int i = -warm; i < iters; i++) {
        long long t0 = now_ns();
        if (send(fd, buf, payload, 0) != payload) die("send");
        if (recv_spin(fd, buf, sizeof buf, NULL) != payload) { fprintf(stderr, "short reply\n"); return 1; }
        if (i >= 0) half[i] = (now_ns() - t0) / 2;
    }
    for (int i = 0; i < 3; i++) send(fd, buf, 1, 0);
    qsort(half, iters, sizeof *half, cmp_ll);
    printf("%.2f %.2f\n", half[iters / 2] / 1000.0, half[(int)(iters * 0.99)] / 1000.0);
    return 0;
}

static int bw_server(int port, int idle_ms) {
    int fd = udp_socket(port, 4 << 20); /* the size of AfPacketPort's default RX ring */
    static char bufs[RX_BURST][2048];
    struct mmsghdr m[RX_BURST];
    struct iovec iov[RX_BURST];
    for (int i = 0; i < RX_BURST; i++) {
        iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
        m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    printf("ready\n");
    fflush(stdout);
    long long first = 0, last = 0, packets = 0, start = now_ns();
    for (unsigned spins = 0;; spins++) {
        int n = recvmmsg(fd, m, RX_BURST, MSG_DONTWAIT, NULL);
        if (n > 0) {
            last = now_ns();
            if (packets == 0) first = last;
            packets += n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) die("recvmmsg");
        if ((spins & 1023) == 0) {
            long long t = now_ns();
            if (packets > 0 ? t - last > idle_ms * 1000000LL : t - start > 60000000000LL) break;
        }
    }
    double s = (last - first) / 1e9;
    printf("%lld %.6f %.0f\n", packets, s, s > 0 ? packets / s : 0.0);
    return packets > 0 ? 0 : 1;
}

static int bw_client(const char *ip, int port, int payload, long long count) {
    int fd = udp_socket(0, 0);
    connect_to(fd, ip, port);
    static char buf[2048];
    struct mmsghdr m[BURST];
    struct iovec iov = { buf, (size_t)payload };
    for (int i = 0; i < BURST; i++) m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
    long long sent = 0, t0 = now_ns();
    while (sent < count) {
        int want = count - sent < BURST ? (int)(count - sent) : BURST;
        int n = sendmmsg(fd, m, want, 0);
        if (n > 0) sent += n;
        else if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die("sendmmsg");
    }
    double s = (now_ns() - t0) / 1e9;
    printf("%lld %.6f %.0f\n", sent, s, sent / s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "lat-server")) return lat_server(atoi(argv[2]));
    if (argc >= 6 && !strcmp(argv[1], "lat-client")) return lat_client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc >= 4 && !strcmp(argv[1], "bw-server")) return bw_server(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 6 && !strcmp(argv[1], "bw-client")) return bw_client(argv[2], atoi(argv[3]), atoi(argv[4]), atoll(argv[5]));
    fprintf(stderr, "usage: udp_peer lat-server PORT | lat-client DST PORT PAYLOAD ITERS |"
            " bw-server PORT IDLE_MS | bw-client DST PORT PAYLOAD COUNT\n");
    return 2;
}
