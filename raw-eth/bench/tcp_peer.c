/* The kernel's side of raw-eth/bench-tcp-vs-kernel.sh: one TCP connection per run.
 *   tcp_peer sink PORT                       accept one, read to EOF; prints "bytes seconds MB/s"
 *                                            (first byte to EOF)
 *   tcp_peer source HOST PORT BYTES          connect, send BYTES, shut down, read to EOF
 *   tcp_peer echo PORT                       accept one, echo to EOF
 *   tcp_peer pingpong HOST PORT SIZE ITERS   connect, ITERS round trips of SIZE bytes; prints
 *                                            "median p99" round trip in microseconds
 *                                            (after ITERS/10 round trips of warm-up)
 * Listeners print "ready" once listening. TCP_NODELAY on every socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("TCP_NODELAY");
}

static int accept_one(int port) {
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (l < 0) die("socket");
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
    if (bind(l, (struct sockaddr *) &a, sizeof a) < 0) die("bind");
    if (listen(l, 1) < 0) die("listen");
    printf("ready\n");
    fflush(stdout);
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    close(l);
    nodelay(c);
    return c;
}

static int connect_to(const char *host, int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    nodelay(s);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("inet_pton");
    for (int i = 0; connect(s, (struct sockaddr *) &a, sizeof a) < 0; i++) {
        if (i == 50) die("connect");
        usleep(100000);
    }
    return s;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    static char buf[1 << 16];
    if (argc == 3 && !strcmp(argv[1], "sink")) {
        int c = accept_one(atoi(argv[2]));
        long long n = 0;
        double first = 0;
        ssize_t k;
        while ((k = read(c, buf, sizeof buf)) > 0) {
            if (n == 0) first = now();
            n += k;
        }
        if (k < 0) die("read");
        double secs = now() - first;
        printf("%lld %.6f %.1f\n", n, secs, n / secs / 1e6);
        close(c);
    } else if (argc == 5 && !strcmp(argv[1], "source")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        long long left = atoll(argv[4]);
        memset(buf, 0x5a, sizeof buf);
        while (left > 0) {
            ssize_t k = write(s, buf, left < (long long) sizeof buf ? (size_t) left : sizeof buf);
            if (k < 0) die("write");
            left -= k;
        }
        shutdown(s, SHUT_WR);
        while (read(s, buf, sizeof buf) > 0) {
        }
        close(s);
    } else if (argc == 3 && !strcmp(argv[1], "echo")) {
        int c = accept_one(atoi(argv[2]));
        ssize_t k;
        while ((k = read(c, buf, sizeof buf)) > 0) {
            for (ssize_t off = 0; off < k;) {
                ssize_t w = write(c, buf + off, k - off);
                if (w < 0) die("write");
                off += w;
            }
        }
        close(c);
    } else if (argc == 6 && !strcmp(argv[1], "pingpong")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        int size = atoi(argv[4]), iters = atoi(argv[5]);
        double *rtt = malloc(sizeof(double) * iters);
        memset(buf, 0x33, size);
        for (int i = -iters / 10; i < iters; i++) { /* the first tenth warms up */
            double t0 = now();
            if (write(s, buf, size) != size) die("write");
            for (int got = 0; got < size;) {
                ssize_t k = read(s, buf + got, size - got);
                if (k <= 0) die("read");
                got += k;
            }
            if (i >= 0) rtt[i] = (now() - t0) * 1e6;
        }
        qsort(rtt, iters, sizeof(double), cmp);
        printf("%.2f %.2f\n", rtt[iters / 2], rtt[(int) (iters * 0.99)]);
        close(s);
    } else {
        fprintf(stderr, "usage: tcp_peer sink PORT | source HOST PORT BYTES | echo PORT | pingpong HOST PORT SIZE ITERS\n");
        return 2;
    }
    return 0;
}
