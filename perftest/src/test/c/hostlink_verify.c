/*
 * hostlink_verify: RC and UC round trips of RDMA WRITE with immediate and SEND with immediate, UD
 * round trips of SEND with immediate, every message's data, length and immediate checked by its
 * receiver, and a closing handshake.
 * The C side of RxeInteropTest's verify cases (kernel rxe in the Soft-RoCE VM); the Java side is
 * HostLinkVerify (io.jverbs.perftest.interop) on the soft device. Same protocol, same checks:
 *
 *   TCP: the client connects; per transport (-c RC,UC,UD: one QP each, in that order) the client
 *   writes its line "QPN:PSN:RKEY:VA:GID\n" (%06x:%06x:%08x:%016llx:32 hex digits, 73 bytes) and
 *   reads the server's; the server reads, connects its QP (RTR, RTS) and then writes, so the
 *   client never sends to a QP that is not ready.
 *   Iteration i (0..n-1): the client sends message i, the server checks it and answers with its
 *   own message i; even i: RDMA_WRITE_WITH_IMM into the peer's receive area, odd i:
 *   SEND_WITH_IMM into it; on UD always SEND_WITH_IMM (Q_Key 0x11111111) of at most UD_MAX bytes,
 *   received after the 40-byte GRH. Byte j of side s's message i (s 0 client, 1 server, t the transport's
 *   index) is (i*7 + j*13 + (j>>8) + s*101 + t*53) & 0xff; its immediate 0x5a000000 | s<<16 | i.
 *   Closing: each side waits for its own last send to complete (on RC: ACKed), then the client
 *   writes "done\n" and the server answers "done\n" over TCP: neither destroys a QP the other
 *   may still need an ACK from.
 *
 * Build: gcc -O2 -Wall -o hostlink_verify hostlink_verify.c -libverbs
 * Use:   hostlink_verify -d rxe0 -g 1 -p PORT -n ITERS -s SIZE -c RC,UC,UD [SERVER]
 * Exit 0 when everything checked out; 1 with a line on stderr saying what did not.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE 73
#define GRH 40
#define UD_MAX 1000 /* a UD message fits one packet at MTU 1024 */
#define QKEY 0x11111111
#define WAIT_SECONDS 30

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t pattern(int s, int t, int i, int j)
{
	return (uint8_t)(i * 7 + j * 13 + (j >> 8) + s * 101 + t * 53);
}

static uint32_t immediate(int s, int i)
{
	return 0x5a000000u | (uint32_t)s << 16 | (uint32_t)i;
}

static void xfer(int fd, char *buf, int len, int out)
{
	for (int done = 0; done < len;) {
		ssize_t n = out ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);
		if (n <= 0)
			die("TCP %s: %s", out ? "write" : "read", n == 0 ? "the peer closed" : strerror(errno));
		done += n;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Polls until one completion of the given kind (receive or not) arrives; checks its status. */
static struct ibv_wc await_wc(struct ibv_cq *cq, int recv, struct ibv_wc *stash, int *stashed, const char *what)
{
	double deadline = now() + WAIT_SECONDS;
	for (;;) {
		for (int k = 0; k < *stashed; k++) {
			if (!!(stash[k].opcode & IBV_WC_RECV) == recv) {
				struct ibv_wc wc = stash[k];
				stash[k] = stash[--*stashed];
				return wc;
			}
		}
		struct ibv_wc wc;
		int n = ibv_poll_cq(cq, 1, &wc);
		if (n < 0)
			die("ibv_poll_cq failed");
		if (n == 1) {
			if (wc.status != IBV_WC_SUCCESS)
				die("%s: completion status %s (%d), wr_id %llu", what, ibv_wc_status_str(wc.status), wc.status,
				    (unsigned long long)wc.wr_id);
			if (*stashed == 4)
				die("%s: unexpected completions", what);
			stash[(*stashed)++] = wc;
			continue;
		}
		if (now() > deadline)
			die("%s: no completion in %d s", what, WAIT_SECONDS);
	}
}

int main(int argc, char **argv)
{
	const char *dev_name = "rxe0", *transports = "RC", *server = NULL;
	int gidx = 1, port = 18515, iters = 50, size = 4093, opt;
	while ((opt = getopt(argc, argv, "d:g:p:n:s:c:")) != -1) {
		switch (opt) {
		case 'd': dev_name = optarg; break;
		case 'g': gidx = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'n': iters = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'c': transports = optarg; break;
		default: die("usage: hostlink_verify -d DEV -g GIDX -p PORT -n ITERS -s SIZE -c RC,UC [SERVER]");
		}
	}
	if (optind < argc)
		server = argv[optind];
	if (iters < 2 || iters > 0xffff || size < 1)
		die("-n must be 2..65535 and -s positive");
	int me = server ? 0 : 1, peer = 1 - me;

	/* TCP first: the client connects, the server accepts one. */
	int fd;
	if (server) {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
		char ps[8];
		snprintf(ps, sizeof ps, "%d", port);
		if (getaddrinfo(server, ps, &hints, &ai))
			die("getaddrinfo %s", server);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen))
			die("connect %s:%d: %s", server, port, strerror(errno));
		freeaddrinfo(ai);
	} else {
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1))
			die("listen on %d: %s", port, strerror(errno));
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			die("accept: %s", strerror(errno));
		close(l);
	}

	struct ibv_device **list = ibv_get_device_list(NULL), *dev = NULL;
	for (int k = 0; list && list[k]; k++)
		if (!strcmp(ibv_get_device_name(list[k]), dev_name))
			dev = list[k];
	if (!dev)
		die("no device %s", dev_name);
	struct ibv_context *ctx = ibv_open_device(dev);
	struct ibv_pd *pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	char *buf = calloc(1, 2 * size + GRH);
	struct ibv_mr *mr = pd ? ibv_reg_mr(pd, buf, 2 * size + GRH, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE) : NULL;
	union ibv_gid gid;
	if (!mr || ibv_query_gid(ctx, 1, gidx, &gid))
		die("opening %s (PD, MR, GID %d) failed", dev_name, gidx);
	char *sendarea = buf, *recvarea = buf + size;
	srand48(getpid() * time(NULL));

	int t = 0;
	for (const char *tp = transports; *tp; t++) {
		int uc = !strncmp(tp, "UC", 2), ud = !strncmp(tp, "UD", 2);
		if (!uc && !ud && strncmp(tp, "RC", 2))
			die("-c takes RC, UC and UD, not %s", tp);
		const char *name = uc ? "UC" : ud ? "UD" : "RC";
		/* UD: one packet a message, received after the GRH. */
		int len = ud && size > UD_MAX ? UD_MAX : size, at0 = ud ? GRH : 0;
		tp += 2;
		if (*tp == ',')
			tp++;

		struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
		struct ibv_qp_init_attr ia = {
			.send_cq = cq, .recv_cq = cq, .qp_type = uc ? IBV_QPT_UC : ud ? IBV_QPT_UD : IBV_QPT_RC,
			.cap = { .max_send_wr = 2, .max_recv_wr = 4, .max_send_sge = 1, .max_recv_sge = 1 },
		};
		struct ibv_qp *qp = cq ? ibv_create_qp(pd, &ia) : NULL;
		if (!qp)
			die("%s: creating the CQ or QP failed", name);
		struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1, .qkey = QKEY,
					 .qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE };
		if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
					      (ud ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS)))
			die("%s: to INIT failed", name);
		struct ibv_sge rsge = { .addr = (uintptr_t)recvarea, .length = len + at0, .lkey = mr->lkey };
		struct ibv_recv_wr rwr = { .wr_id = 1, .sg_list = &rsge, .num_sge = 1 }, *bad_r;
		for (int k = 0; k < 2; k++)
			if (ibv_post_recv(qp, &rwr, &bad_r))
				die("%s: ibv_post_recv failed", name);

		int psn = lrand48() & 0xffffff;
		char line[LINE + 1], theirs[LINE + 1];
		int at = snprintf(line, sizeof line, "%06x:%06x:%08x:%016llx:", qp->qp_num, psn, mr->rkey,
				  (unsigned long long)(uintptr_t)recvarea);
		for (int k = 0; k < 16; k++)
			at += snprintf(line + at, sizeof line - at, "%02x", gid.raw[k]);
		line[LINE - 1] = '\n';
		if (server) {
			xfer(fd, line, LINE, 1);
			xfer(fd, theirs, LINE, 0);
		} else {
			xfer(fd, theirs, LINE, 0);
		}
		theirs[LINE] = 0;
		unsigned rqpn, rpsn, rrkey;
		unsigned long long rva;
		char rgid[33];
		if (sscanf(theirs, "%6x:%6x:%8x:%16llx:%32[0-9a-f]", &rqpn, &rpsn, &rrkey, &rva, rgid) != 5)
			die("%s: bad address line from the peer: %.72s", name, theirs);
		union ibv_gid dgid;
		for (int k = 0; k < 16; k++)
			sscanf(rgid + 2 * k, "%2hhx", &dgid.raw[k]);

		memset(&a, 0, sizeof a);
		a.qp_state = IBV_QPS_RTR;
		a.path_mtu = IBV_MTU_1024;
		a.dest_qp_num = rqpn;
		a.rq_psn = rpsn;
		a.ah_attr.is_global = 1;
		a.ah_attr.grh.dgid = dgid;
		a.ah_attr.grh.sgid_index = gidx;
		a.ah_attr.grh.hop_limit = 64;
		a.ah_attr.port_num = 1;
		struct ibv_ah *ah = ud ? ibv_create_ah(pd, &a.ah_attr) : NULL;
		if (ud && !ah)
			die("%s: ibv_create_ah failed", name);
		int mask = ud ? IBV_QP_STATE : IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN;
		if (!uc && !ud) {
			a.max_dest_rd_atomic = 1;
			a.min_rnr_timer = 12;
			mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
		}
		if (ibv_modify_qp(qp, &a, mask))
			die("%s: to RTR failed", name);
		a.qp_state = IBV_QPS_RTS;
		a.sq_psn = psn;
		a.timeout = 14;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 1;
		if (ibv_modify_qp(qp, &a, uc || ud ? IBV_QP_STATE | IBV_QP_SQ_PSN
					     : IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
					       IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
			die("%s: to RTS failed", name);
		if (!server)
			xfer(fd, line, LINE, 1);

		struct ibv_wc stash[4];
		int stashed = 0;
		char what[64];
		for (int i = 0; i < iters; i++) {
			for (int turn = 0; turn < 2; turn++) {
				int sending = (turn == 0) == (me == 0);
				snprintf(what, sizeof what, "%s message %d %s", name, i, sending ? "sent" : "received");
				if (sending) {
					for (int j = 0; j < len; j++)
						sendarea[j] = pattern(me, t, i, j);
					struct ibv_sge s = { .addr = (uintptr_t)sendarea, .length = len, .lkey = mr->lkey };
					struct ibv_send_wr w = { .wr_id = 2, .sg_list = &s, .num_sge = 1,
								 .opcode = i % 2 || ud ? IBV_WR_SEND_WITH_IMM : IBV_WR_RDMA_WRITE_WITH_IMM,
								 .send_flags = IBV_SEND_SIGNALED,
								 .imm_data = htonl(immediate(me, i)) }, *bad;
					if (ud) {
						w.wr.ud.ah = ah;
						w.wr.ud.remote_qpn = rqpn;
						w.wr.ud.remote_qkey = QKEY;
					} else {
						w.wr.rdma.remote_addr = rva;
						w.wr.rdma.rkey = rrkey;
					}
					if (ibv_post_send(qp, &w, &bad))
						die("%s: ibv_post_send failed", what);
					await_wc(cq, 0, stash, &stashed, what);
				} else {
					struct ibv_wc wc = await_wc(cq, 1, stash, &stashed, what);
					enum ibv_wc_opcode op = i % 2 || ud ? IBV_WC_RECV : IBV_WC_RECV_RDMA_WITH_IMM;
					if (wc.opcode != op)
						die("%s: completion opcode %d, not %d", what, wc.opcode, op);
					if (!(wc.wc_flags & IBV_WC_WITH_IMM))
						die("%s: no immediate", what);
					if (ntohl(wc.imm_data) != immediate(peer, i))
						die("%s: immediate 0x%08x, not 0x%08x", what, ntohl(wc.imm_data), immediate(peer, i));
					if (wc.byte_len != (uint32_t)(len + at0))
						die("%s: byte_len %u, not %d", what, wc.byte_len, len + at0);
					if (ud && wc.src_qp != rqpn)
						die("%s: source QP 0x%06x, not 0x%06x", what, wc.src_qp, rqpn);
					for (int j = 0; j < len; j++)
						if ((uint8_t)recvarea[at0 + j] != pattern(peer, t, i, j))
							die("%s: byte %d is 0x%02x, not 0x%02x", what, j, (uint8_t)recvarea[at0 + j],
							    pattern(peer, t, i, j));
					if (ibv_post_recv(qp, &rwr, &bad_r))
						die("%s: ibv_post_recv failed", what);
				}
			}
		}
		/* Both sides' last sends have completed: now neither needs the other's QP. */
		char done[5] = "done";
		done[4] = '\n';
		char got[5];
		if (server) {
			xfer(fd, done, 5, 1);
			xfer(fd, got, 5, 0);
		} else {
			xfer(fd, got, 5, 0);
			xfer(fd, done, 5, 1);
		}
		if (memcmp(got, done, 5))
			die("%s: no closing handshake from the peer", name);
		printf("%s: %d round trips of %d bytes (%s): data, lengths and immediates checked\n", name, iters, len,
		       ud ? "SEND_WITH_IMM" : "RDMA_WRITE_WITH_IMM, SEND_WITH_IMM");
		fflush(stdout);
		if (ibv_destroy_qp(qp) || (ah && ibv_destroy_ah(ah)) || ibv_destroy_cq(cq))
			die("%s: destroying the QP or CQ failed", name);
	}
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	return 0;
}
