/*
 * The plain-UDP baseline of perftest/bench-soft-vs-udp.sh: what two processes on this host move
 * through kernel UDP sockets with datagrams of the sizes the soft device sends.
 *
 *   udp_peer sink   BIND_IP PORT COUNT           receive until COUNT datagrams came, or 1 s with none
 *                                                after the first; prints "sink DATAGRAMS BYTES SECONDS"
 *                                                (first to last datagram)
 *   udp_peer source BIND_IP DEST_IP PORT SIZE COUNT   send COUNT datagrams of SIZE bytes, as fast as
 *                                                the socket takes them; prints "source COUNT SECONDS"
 *   udp_peer echo   BIND_IP PORT                 send every datagram back to where it came from;
 *                                                ends on a 1-byte datagram
 *   udp_peer ping   BIND_IP DEST_IP PORT SIZE ITERS   ITERS round trips of SIZE bytes (blocking
 *                                                receives, as the soft device's progress thread
 *                                                waits), the first ITERS/10 not counted; prints
 *                                                "ping SAMPLES MEDIAN_HALF_RTT_US P99_HALF_RTT_US"
 *
 * Default socket buffers on both sides, as the soft device's DatagramChannel has them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 65536

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static struct sockaddr_in addr(const char *ip, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        fprintf(stderr, "udp_peer: not an IPv4 address: %s\n", ip);
        exit(2);
    }
    return a;
}

static int bound(const char *ip, int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = addr(ip, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    return fd;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    static char buf[MAX_DGRAM];
    if (argc >= 5 && strcmp(argv[1], "sink") == 0) {
        int fd = bound(argv[2], atoi(argv[3]));
        long count = atol(argv[4]), got = 0, bytes = 0;
        double first = 0, last = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (got < count) {
            if (got > 0) {
                int r = poll(&p, 1, 1000);
                if (r < 0 && errno != EINTR) die("poll");
                if (r == 0) break;
            }
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                die("recv");
            }
            last = now();
            if (got++ == 0) first = last;
            bytes += n;
        }
        printf("sink %ld %ld %.6f\n", got, bytes, last - first);
        return 0;
    }
    if (argc >= 7 && strcmp(argv[1], "source") == 0) {
        int fd = bound(argv[2], 0);
        struct sockaddr_in to = addr(argv[3], atoi(argv[4]));
        int size = atoi(argv[5]);
        long count = atol(argv[6]);
        if (size < 1 || size > MAX_DGRAM) die("size");
        memset(buf, 0x5a, size);
        double t0 = now();
        for (long i = 0; i < count; i++) {
            if (sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof to) < 0) {
                if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) { i--; continue; }
                die("sendto");
            }
        }
        printf("source %ld %.6f\n", count, now() - t0);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "echo") == 0) {
        int fd = bound(argv[2], atoi(argv[3]));
        for (;;) {
            struct sockaddr_in from;
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
            if (n < 0) {
                if (errno == EINTR) continue;
                die("recvfrom");
            }
            if (n == 1) return 0;
            if (sendto(fd, buf, n, 0, (struct sockaddr *)&from, len) < 0) die("sendto");
        }
    }
    if (argc >= 7 && strcmp(argv[1], "ping") == 0) {
        int fd = bound(argv[2], 0);
        struct sockaddr_in to = addr(argv[3], atoi(argv[4]));
        int size = atoi(argv[5]);
        long iters = atol(argv[6]), warm = iters / 10;
        if (size < 2 || size > MAX_DGRAM || iters < 10) die("size/iters");
        if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) die("connect");
        double *half = malloc(sizeof(double) * iters);
        long m = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        for (long i = 0; i < iters + warm; i++) {
            double t0 = now();
            if (send(fd, buf, size, 0) < 0) die("send");
            int r = poll(&p, 1, 1000);
            if (r <= 0) { fprintf(stderr, "udp_peer: no echo within 1 s\n"); return 1; }
            if (recv(fd, buf, sizeof buf, 0) < 0) die("recv");
            if (i >= warm) half[m++] = (now() - t0) * 1e6 / 2;
        }
        char end = 0;
        send(fd, &end, 1, 0);
        qsort(half, m, sizeof(double), cmp);
        printf("ping %ld %.2f %.2f\n", m, half[m / 2], half[(long)(m * 0.99)]);
        return 0;
    }
    fprintf(stderr, "usage: udp_peer sink|source|echo|ping ... (see the comment at the top of udp_peer.c)\n");
    return 2;
}
