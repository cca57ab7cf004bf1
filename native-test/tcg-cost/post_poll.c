/*
 * The C side of the post+poll probe on a real provider: one RC QP connected to itself on the
 * first RDMA device, a signaled 64-byte RDMA WRITE posted and its completion polled, N times;
 * then N*10 polls of the empty CQ. Prints ns per operation, 3 rounds. PostPollCost.java is the
 * same loop through jverbs. Usage: post_poll N [GID_INDEX]
 */
#include <infiniband/verbs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, gid_index = argc > 2 ? atoi(argv[2]) : 1;
	if (n <= 0) {
		fprintf(stderr, "usage: post_poll N [GID_INDEX]\n");
		return 2;
	}
	struct ibv_device **list = ibv_get_device_list(NULL);
	if (!list || !list[0])
		return die("no RDMA device");
	struct ibv_context *ctx = ibv_open_device(list[0]);
	struct ibv_pd *pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	char *buf = aligned_alloc(4096, 4096);
	struct ibv_mr *mr = pd ? ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE) : NULL;
	struct ibv_cq *cq = mr ? ibv_create_cq(ctx, 64, NULL, NULL, 0) : NULL;
	if (!cq)
		return die("device/pd/mr/cq");
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = {.max_send_wr = 16, .max_recv_wr = 16, .max_send_sge = 1, .max_recv_sge = 1},
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);
	if (!qp)
		return die("ibv_create_qp");

	struct ibv_qp_attr a = {.qp_state = IBV_QPS_INIT, .port_num = 1, .qp_access_flags = IBV_ACCESS_REMOTE_WRITE};
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return die("INIT");
	union ibv_gid gid;
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		return die("ibv_query_gid");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = qp->qp_num; /* itself */
	a.rq_psn = 1;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = gid;
	a.ah_attr.grh.sgid_index = gid_index;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return die("RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = 1;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				  IBV_QP_MAX_QP_RD_ATOMIC))
		return die("RTS");

	struct ibv_sge sge = {.addr = (uintptr_t)buf, .length = 64, .lkey = mr->lkey};
	struct ibv_send_wr wr = {
		.wr_id = 7, .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = {.remote_addr = (uintptr_t)buf + 2048, .rkey = mr->rkey},
	}, *bad;
	struct ibv_wc wc;
	for (int round = 0; round < 3; round++) {
		double t0 = now_ns();
		for (int i = 0; i < n; i++) {
			if (ibv_post_send(qp, &wr, &bad))
				return die("ibv_post_send");
			int got;
			while ((got = ibv_poll_cq(cq, 1, &wc)) == 0)
				;
			if (got < 0 || wc.status != IBV_WC_SUCCESS) {
				fprintf(stderr, "completion failed: %s\n", ibv_wc_status_str(wc.status));
				return 1;
			}
		}
		double t1 = now_ns();
		for (long i = 0; i < 10L * n; i++)
			if (ibv_poll_cq(cq, 1, &wc) != 0)
				return die("a completion from nowhere");
		printf("C     RDMA WRITE post+poll %10.0f ns/op   empty poll %7.0f ns\n", (t1 - t0) / n,
		       (now_ns() - t1) / (10.0 * n));
	}
	ibv_destroy_qp(qp);
	ibv_destroy_cq(cq);
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	return 0;
}
