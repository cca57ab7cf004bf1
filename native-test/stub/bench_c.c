/*
 * The C baseline for verbs/src/test/java/io/jverbs/verbs/PostPollBenchmark.java: the same
 * post_send + poll_cq loops, through verbs.h's static inline ibv_post_send()/ibv_poll_cq()
 * (qp->context->ops.post_send, ...), against the stub provider in libjverbs_stub.so.
 *
 *   prebuilt  one signaled SEND with 1 SGE built once; post it, poll 1 completion, check it
 *   rebuild   the same, but the WR and SGE are zeroed and filled every iteration
 *   list16    a prebuilt chain of 16 signaled SENDs; post it, poll 16 completions
 *
 * Usage: bench_c [iterations per run (default 50000000)] [runs (default 5)]
 * Prints ns per operation (one post + one poll; for list16, per post of 16 + poll of 16).
 *
 * Built with -DBENCH_C_NO_MAIN, the loops are also compiled into libjverbs_stub.so, so that
 * PostPollBenchmark times them in the same JVM run as the Java loops (cPrebuilt, ...): on a
 * shared, busy machine only figures taken side by side can be compared.
 */
#include <infiniband/verbs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct stub;
struct stub *stub_create(uint32_t qp_num);
void stub_destroy(struct stub *s);
struct ibv_qp *stub_qp(struct stub *s);
struct ibv_cq *stub_cq(struct stub *s);
uint64_t stub_wrs_posted(const struct stub *s);

#define LIST 16

static char buffer[4096];

static inline double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void fail(const char *what, int rc, const struct ibv_wc *wc)
{
	fprintf(stderr, "bench_c: %s failed: rc=%d status=%d\n", what, rc, wc ? (int)wc->status : -1);
	exit(1);
}

uint64_t bench_c_prebuilt(struct ibv_qp *qp, struct ibv_cq *cq, long iters)
{
	struct ibv_sge sge = { .addr = (uintptr_t)buffer, .length = 64, .lkey = 0x1234 };
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED };
	struct ibv_send_wr *bad;
	struct ibv_wc wc;
	uint64_t sink = 0;
	for (long i = 0; i < iters; i++) {
		int rc = ibv_post_send(qp, &wr, &bad);
		if (rc)
			fail("ibv_post_send", rc, NULL);
		int n = ibv_poll_cq(cq, 1, &wc);
		if (n != 1 || wc.status != IBV_WC_SUCCESS)
			fail("ibv_poll_cq", n, &wc);
		sink += wc.wr_id;
	}
	return sink;
}

uint64_t bench_c_rebuild(struct ibv_qp *qp, struct ibv_cq *cq, long iters)
{
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct ibv_send_wr *bad;
	struct ibv_wc wc;
	uint64_t sink = 0;
	for (long i = 0; i < iters; i++) {
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = (uint64_t)i;
		wr.opcode = IBV_WR_SEND;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		sge.addr = (uintptr_t)buffer;
		sge.length = 64;
		sge.lkey = 0x1234;
		int rc = ibv_post_send(qp, &wr, &bad);
		if (rc)
			fail("ibv_post_send", rc, NULL);
		int n = ibv_poll_cq(cq, 1, &wc);
		if (n != 1 || wc.status != IBV_WC_SUCCESS)
			fail("ibv_poll_cq", n, &wc);
		sink += wc.wr_id;
	}
	return sink;
}

uint64_t bench_c_list16(struct ibv_qp *qp, struct ibv_cq *cq, long iters)
{
	struct ibv_sge sge[LIST];
	struct ibv_send_wr wr[LIST];
	struct ibv_send_wr *bad;
	struct ibv_wc wc[LIST];
	memset(wr, 0, sizeof(wr));
	for (int k = 0; k < LIST; k++) {
		sge[k] = (struct ibv_sge){ .addr = (uintptr_t)buffer + 64 * k, .length = 64, .lkey = 0x1234 };
		wr[k].wr_id = (uint64_t)k;
		wr[k].sg_list = &sge[k];
		wr[k].num_sge = 1;
		wr[k].opcode = IBV_WR_SEND;
		wr[k].send_flags = IBV_SEND_SIGNALED;
		wr[k].next = k + 1 < LIST ? &wr[k + 1] : NULL;
	}
	uint64_t sink = 0;
	for (long i = 0; i < iters; i++) {
		int rc = ibv_post_send(qp, wr, &bad);
		if (rc)
			fail("ibv_post_send", rc, NULL);
		int n = ibv_poll_cq(cq, LIST, wc);
		if (n != LIST)
			fail("ibv_poll_cq", n, NULL);
		for (int k = 0; k < LIST; k++) {
			if (wc[k].status != IBV_WC_SUCCESS)
				fail("completion", 0, &wc[k]);
			sink += wc[k].wr_id;
		}
	}
	return sink;
}

#ifndef BENCH_C_NO_MAIN
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 50000000L;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	struct stub *s = stub_create(0x42);
	if (!s)
		return 1;
	struct ibv_qp *qp = stub_qp(s);
	struct ibv_cq *cq = stub_cq(s);
	static const struct {
		const char *name;
		uint64_t (*fn)(struct ibv_qp *, struct ibv_cq *, long);
		int divisor; /* list16 runs 16x fewer iterations so each run moves the same WR count */
	} cases[] = { { "prebuilt", bench_c_prebuilt, 1 }, { "rebuild", bench_c_rebuild, 1 }, { "list16", bench_c_list16, LIST } };
	/* Each run is timed as a whole and in chunks of CHUNK operations (~0.1 ms): on a busy
	 * machine a run's mean includes the time other processes had the CPU, while most chunks
	 * run undisturbed, so the median chunk is the figure to compare (PostPollBenchmark's
	 * p0.50 is the same statistic over batches of 1000). */
	enum { CHUNK = 1000 };
	uint64_t sink = 0;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		long chunks = iters / cases[c].divisor / CHUNK;
		if (chunks < 1)
			chunks = 1;
		double *t = malloc(sizeof(double) * chunks * runs);
		if (!t)
			return 1;
		sink += cases[c].fn(qp, cq, chunks * CHUNK / 10); /* warm-up */
		printf("C %-9s ns/op, mean of each run:", cases[c].name);
		for (int r = 0; r < runs; r++) {
			double start = now_ns(), t0 = start;
			for (long k = 0; k < chunks; k++) {
				sink += cases[c].fn(qp, cq, CHUNK);
				double t1 = now_ns();
				t[r * chunks + k] = (t1 - t0) / CHUNK;
				t0 = t1;
			}
			printf(" %.2f", (t0 - start) / (chunks * CHUNK));
		}
		long total = chunks * runs;
		qsort(t, total, sizeof(double), cmp_double);
		printf("   chunks of %d: min %.2f p10 %.2f median %.2f p90 %.2f\n", CHUNK, t[0], t[total / 10], t[total / 2],
		       t[total * 9 / 10]);
		free(t);
	}
	printf("(wrs posted %llu, sink %llu)\n", (unsigned long long)stub_wrs_posted(s), (unsigned long long)sink);
	stub_destroy(s);
	return 0;
}
#endif
