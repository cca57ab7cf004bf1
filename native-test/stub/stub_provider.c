/*
 * A fake libibverbs provider for measuring and testing the data path without a device.
 *
 * stub_create() builds a struct verbs_context (abi_compat marks it extended) whose
 * ops.post_send / ops.post_recv / ops.poll_cq point at the functions below, plus a struct ibv_qp
 * and a struct ibv_cq whose ->context is that context. verbs.h's static inline ibv_post_send()
 * and ibv_poll_cq() therefore dispatch here, exactly as they dispatch to mlx5 or rxe.
 *
 * The ops do the minimum a real provider does per request: post walks the WR chain, reads
 * every field a provider reads (wr_id, opcode, send_flags, num_sge, sg_list, next, and by
 * opcode imm_data and wr.rdma / wr.atomic), writes a
 * "WQE" (a record, kept in a 64-entry ring the tests read back) and queues a completion for
 * signaled sends and every receive; poll_cq writes up to n of those completions into the
 * caller's struct ibv_wc array and returns how many.
 *
 * Single-threaded by design (no locks): one poster and one poller on the same thread.
 * Build: gcc -O2 -shared -fPIC -o libjverbs_stub.so stub_provider.c (see README.md).
 */
#include <infiniband/verbs.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STUB_MAX_SGE 4
#define STUB_RECORDS 64 /* power of two */
#define STUB_CQ_DEPTH 1024 /* power of two */
#define STUB_MAX_DM_SIZE (256 * 1024) /* what a ConnectX-6 Dx reports as max_dm_size */
#define STUB_PRIV_WORDS 1024 /* far more than libibverbs' private ops table has slots */

/* One posted request as the provider saw it. Every field is 64-bit so that Java reads field k
 * at byte offset 8*k without a layout table. */
struct stub_wr_record {
	uint64_t self; /* address of the struct ibv_send_wr / ibv_recv_wr */
	uint64_t wr_id;
	uint64_t next; /* the wr->next pointer */
	uint64_t kind; /* 0 send, 1 receive */
	uint64_t opcode; /* enum ibv_wr_opcode (sends) */
	uint64_t send_flags;
	uint64_t num_sge;
	/* Sends only, read as a provider reads them for the opcode (0 when it reads none): */
	uint64_t imm_data; /* imm_data / invalidate_rkey, raw (network order for imm) */
	uint64_t remote_addr; /* wr.rdma or wr.atomic */
	uint64_t rkey; /* wr.rdma.rkey, or wr.atomic.rkey for atomics */
	uint64_t compare_add, swap; /* wr.atomic */
	struct {
		uint64_t addr;
		uint64_t length;
		uint64_t lkey;
	} sge[STUB_MAX_SGE];
};
_Static_assert(sizeof(struct stub_wr_record) == 8 * (12 + 3 * STUB_MAX_SGE), "record is all 64-bit");

struct stub_cqe {
	uint64_t wr_id;
	uint32_t opcode; /* enum ibv_wc_opcode */
	uint32_t byte_len;
};

/* Device memory: mlx5 maps a BAR window; here it is host memory behind the same calls. */
struct stub_dm {
	struct ibv_dm dm;
	struct stub *owner;
	uint64_t length;
	unsigned char mem[];
};

/* libibverbs' struct verbs_mr (infiniband/driver.h, not installed): ibv_dereg_mr reads mr_type and
 * access right after the ibv_mr. */
struct stub_mr {
	struct ibv_mr mr;
	uint32_t mr_type; /* IBV_MR_TYPE_MR, as ibv_cmd_reg_dm_mr sets it */
	uint32_t access;
	struct stub_dm *dm;
	struct stub_mr *next; /* the stub's list of live MRs */
};

struct stub {
	struct verbs_context vctx; /* the ibv_context is its last member */
	struct ibv_qp qp;
	struct ibv_cq cq;
	struct ibv_pd pd;
	/* Stands in for libibverbs' struct verbs_ex_private (vctx.priv); see stub_private_op. */
	void *priv[STUB_PRIV_WORDS];
	uint64_t max_dm_size;
	uint64_t dm_live, mr_live, pd_live; /* objects allocated and not yet freed */
	uint32_t next_key;
	struct stub_mr *mrs;
	uint64_t post_calls; /* post_send + post_recv calls */
	uint64_t wrs_posted; /* requests accepted (send + receive) */
	uint64_t last_wr_id;
	uint64_t poll_calls;
	uint64_t cq_head, cq_tail; /* completions produced / consumed */
	uint32_t completion_status; /* status written into the following completions */
	uint32_t vendor_err;
	struct stub_cqe cqes[STUB_CQ_DEPTH];
	struct stub_wr_record records[STUB_RECORDS];
};

/* Live stubs, for stub_private_op (single-threaded, like the rest). */
struct stub_list {
	struct stub *stub;
	struct stub_list *next;
};
static struct stub_list *stubs;

static inline struct stub *stub_of_qp(struct ibv_qp *qp)
{
	return (struct stub *)((char *)qp - offsetof(struct stub, qp));
}

static inline struct stub *stub_of_cq(struct ibv_cq *cq)
{
	return (struct stub *)((char *)cq - offsetof(struct stub, cq));
}

static inline enum ibv_wc_opcode wc_opcode_of(enum ibv_wr_opcode op)
{
	switch (op) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return IBV_WC_RDMA_WRITE;
	case IBV_WR_RDMA_READ:
		return IBV_WC_RDMA_READ;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		return IBV_WC_COMP_SWAP;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		return IBV_WC_FETCH_ADD;
	case IBV_WR_LOCAL_INV:
		return IBV_WC_LOCAL_INV;
	default:
		return IBV_WC_SEND;
	}
}

/* Copies the SGEs into the record ("WQE") and returns the total length. */
static inline uint32_t record_sges(struct stub_wr_record *r, const struct ibv_sge *sg, int num_sge)
{
	uint32_t total = 0;
	for (int i = 0; i < num_sge; i++) {
		total += sg[i].length;
		if (i < STUB_MAX_SGE) {
			r->sge[i].addr = sg[i].addr;
			r->sge[i].length = sg[i].length;
			r->sge[i].lkey = sg[i].lkey;
		}
	}
	return total;
}

static int stub_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
	struct stub *s = stub_of_qp(qp);
	s->post_calls++;
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || wr->num_sge > STUB_MAX_SGE) {
			*bad_wr = wr;
			return EINVAL;
		}
		/* Like a QP created with sq_sig_all = 0: only SIGNALED sends complete. */
		int signaled = wr->send_flags & IBV_SEND_SIGNALED;
		if (signaled && s->cq_head - s->cq_tail == STUB_CQ_DEPTH) {
			*bad_wr = wr;
			return ENOMEM;
		}
		struct stub_wr_record *r = &s->records[s->wrs_posted & (STUB_RECORDS - 1)];
		r->self = (uintptr_t)wr;
		r->wr_id = wr->wr_id;
		r->next = (uintptr_t)wr->next;
		r->kind = 0;
		r->opcode = wr->opcode;
		r->send_flags = wr->send_flags;
		r->num_sge = (uint64_t)wr->num_sge;
		r->imm_data = 0;
		r->remote_addr = r->rkey = r->compare_add = r->swap = 0;
		switch (wr->opcode) {
		case IBV_WR_ATOMIC_CMP_AND_SWP:
		case IBV_WR_ATOMIC_FETCH_AND_ADD:
			r->remote_addr = wr->wr.atomic.remote_addr;
			r->rkey = wr->wr.atomic.rkey;
			r->compare_add = wr->wr.atomic.compare_add;
			r->swap = wr->wr.atomic.swap;
			break;
		case IBV_WR_RDMA_WRITE_WITH_IMM:
			r->imm_data = wr->imm_data;
			/* fall through */
		case IBV_WR_RDMA_WRITE:
		case IBV_WR_RDMA_READ:
			r->remote_addr = wr->wr.rdma.remote_addr;
			r->rkey = wr->wr.rdma.rkey;
			break;
		case IBV_WR_SEND_WITH_IMM:
		case IBV_WR_SEND_WITH_INV:
			r->imm_data = wr->imm_data;
			break;
		default:
			break;
		}
		uint32_t len = record_sges(r, wr->sg_list, wr->num_sge);
		if (signaled) {
			struct stub_cqe *c = &s->cqes[s->cq_head++ & (STUB_CQ_DEPTH - 1)];
			c->wr_id = wr->wr_id;
			c->opcode = wc_opcode_of(wr->opcode);
			c->byte_len = len;
		}
		s->last_wr_id = wr->wr_id;
		s->wrs_posted++;
	}
	return 0;
}

static int stub_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	struct stub *s = stub_of_qp(qp);
	s->post_calls++;
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || wr->num_sge > STUB_MAX_SGE || s->cq_head - s->cq_tail == STUB_CQ_DEPTH) {
			*bad_wr = wr;
			return wr->num_sge > STUB_MAX_SGE || wr->num_sge < 0 ? EINVAL : ENOMEM;
		}
		struct stub_wr_record *r = &s->records[s->wrs_posted & (STUB_RECORDS - 1)];
		r->self = (uintptr_t)wr;
		r->wr_id = wr->wr_id;
		r->next = (uintptr_t)wr->next;
		r->kind = 1;
		r->opcode = 0;
		r->send_flags = 0;
		r->num_sge = (uint64_t)wr->num_sge;
		r->imm_data = r->remote_addr = r->rkey = r->compare_add = r->swap = 0;
		/* As if a message that fills the buffers arrived at once. */
		uint32_t len = record_sges(r, wr->sg_list, wr->num_sge);
		struct stub_cqe *c = &s->cqes[s->cq_head++ & (STUB_CQ_DEPTH - 1)];
		c->wr_id = wr->wr_id;
		c->opcode = IBV_WC_RECV;
		c->byte_len = len;
		s->last_wr_id = wr->wr_id;
		s->wrs_posted++;
	}
	return 0;
}

static int stub_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)
{
	struct stub *s = stub_of_cq(cq);
	s->poll_calls++;
	int n = 0;
	while (n < num_entries && s->cq_tail != s->cq_head) {
		const struct stub_cqe *c = &s->cqes[s->cq_tail++ & (STUB_CQ_DEPTH - 1)];
		struct ibv_wc *w = &wc[n++];
		w->wr_id = c->wr_id;
		w->status = s->completion_status;
		w->opcode = c->opcode;
		w->vendor_err = s->vendor_err;
		w->byte_len = c->byte_len;
		w->imm_data = 0;
		w->qp_num = s->qp.qp_num;
		w->src_qp = 0;
		w->wc_flags = 0;
		w->pkey_index = 0;
		w->slid = 0;
		w->sl = 0;
		w->dlid_path_bits = 0;
	}
	return n;
}


/* ---- device memory, through the verbs_context slots (ibv_alloc_dm & co. in verbs.h) ---- */

static inline struct stub *stub_of_ctx(struct ibv_context *ctx)
{
	return (struct stub *)((char *)ctx - offsetof(struct stub, vctx.context));
}

/* mlx5's rules (providers/mlx5/verbs.c, mlx5_access_dm): EFAULT past the end, EINVAL unless the
 * offset and length are multiples of 4 (the device copies 32-bit words); errno as return value. */
static int stub_dm_check(const struct stub_dm *d, uint64_t offset, size_t length)
{
	if (offset > d->length || length > d->length - offset)
		return EFAULT;
	if ((offset & 3) || (length & 3))
		return EINVAL;
	return 0;
}

static int stub_memcpy_to_dm(struct ibv_dm *dm, uint64_t offset, const void *host, size_t length)
{
	struct stub_dm *d = (struct stub_dm *)dm;
	int rc = stub_dm_check(d, offset, length);
	if (!rc)
		memcpy(d->mem + offset, host, length);
	return rc;
}

static int stub_memcpy_from_dm(void *host, struct ibv_dm *dm, uint64_t offset, size_t length)
{
	struct stub_dm *d = (struct stub_dm *)dm;
	int rc = stub_dm_check(d, offset, length);
	if (!rc)
		memcpy(host, d->mem + offset, length);
	return rc;
}

static struct ibv_dm *stub_alloc_dm(struct ibv_context *ctx, struct ibv_alloc_dm_attr *attr)
{
	struct stub *s = stub_of_ctx(ctx);
	/* As mlx5: unknown comp_mask bits EINVAL, more than max_dm_size EINVAL. */
	if (attr->comp_mask || attr->length == 0 || attr->length > s->max_dm_size) {
		errno = EINVAL;
		return NULL;
	}
	struct stub_dm *d = calloc(1, sizeof(*d) + attr->length);
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->dm.context = ctx;
	d->dm.memcpy_to_dm = stub_memcpy_to_dm;
	d->dm.memcpy_from_dm = stub_memcpy_from_dm;
	d->dm.handle = ++s->next_key;
	d->owner = s;
	d->length = attr->length;
	s->dm_live++;
	return &d->dm;
}

static int stub_free_dm(struct ibv_dm *dm)
{
	struct stub_dm *d = (struct stub_dm *)dm;
	for (struct stub_mr *m = d->owner->mrs; m; m = m->next)
		if (m->dm == d)
			return EBUSY; /* the kernel refuses while an MR uses it */
	d->owner->dm_live--;
	free(d);
	return 0;
}

#define STUB_DM_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_ZERO_BASED)

static struct ibv_mr *stub_reg_dm_mr(struct ibv_pd *pd, struct ibv_dm *dm, uint64_t offset, size_t length,
				     unsigned int access)
{
	struct stub_dm *d = (struct stub_dm *)dm;
	struct stub *s = d->owner;
	/* mlx5 allows these bits only; the kernel wants ZERO_BASED and a range inside the DM. */
	if ((access & ~STUB_DM_ACCESS) || !(access & IBV_ACCESS_ZERO_BASED) || pd != &s->pd || length == 0
	    || offset > d->length || length > d->length - offset) {
		errno = EINVAL;
		return NULL;
	}
	struct stub_mr *m = calloc(1, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	m->mr.context = pd->context;
	m->mr.pd = pd;
	m->mr.addr = (void *)(uintptr_t)offset;
	m->mr.length = length;
	m->mr.handle = ++s->next_key;
	m->mr.lkey = 0x100000 | m->mr.handle;
	m->mr.rkey = 0x200000 | m->mr.handle;
	m->access = access;
	m->dm = d;
	m->next = s->mrs;
	s->mrs = m;
	s->mr_live++;
	return &m->mr;
}

/*
 * libibverbs' exported ibv_alloc_pd, ibv_dealloc_pd and ibv_dereg_mr call the provider through
 * vctx.priv->ops, a private table (struct verbs_context_ops in driver.h) whose layout is not in
 * the installed headers. Every word of the stub's priv block points here instead, and the object
 * passed says which call it is: the stub's context is alloc_pd, its PD dealloc_pd, one of its
 * MRs dereg_mr. Anything else is a call the stub does not implement: it aborts, naming it.
 * (The other arguments and the return type differ per op; on x86-64 and aarch64 the first
 * argument and the return value sit in the same registers whatever the prototype.)
 */
static void *stub_private_op(void *obj)
{
	struct stub *s = NULL;
	for (struct stub_list *l = stubs; l; l = l->next) {
		s = l->stub;
		if (obj == &s->vctx.context) {
			s->pd_live++;
			return &s->pd;
		}
		if (obj == &s->pd) {
			s->pd_live--;
			return NULL; /* dealloc_pd: 0 */
		}
		for (struct stub_mr **p = &s->mrs; *p; p = &(*p)->next) {
			if (obj == &(*p)->mr) {
				struct stub_mr *m = *p;
				*p = m->next;
				s->mr_live--;
				free(m);
				return NULL; /* dereg_mr: 0 */
			}
		}
	}
	fprintf(stderr, "stub provider: libibverbs called a private provider op on %p, which the stub does not implement\n", obj);
	abort();
}

static int stub_query_device_ex(struct ibv_context *ctx, const struct ibv_query_device_ex_input *input,
				struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct stub *s = stub_of_ctx(ctx);
	if (input || attr_size < offsetof(struct ibv_device_attr_ex, max_dm_size) + sizeof(attr->max_dm_size))
		return EINVAL;
	memset(attr, 0, attr_size);
	strcpy(attr->orig_attr.fw_ver, "stub");
	attr->orig_attr.vendor_id = 0x02c9; /* Mellanox, so nothing takes it for Soft-RoCE */
	attr->orig_attr.phys_port_cnt = 1;
	attr->orig_attr.max_qp = 1;
	attr->orig_attr.max_mr = 1024;
	attr->orig_attr.max_pd = 1;
	attr->max_dm_size = s->max_dm_size;
	return 0;
}

/* ---- exported helpers for the Java test and benchmark, and for bench_c.c ---- */

struct stub *stub_create(uint32_t qp_num)
{
	struct stub *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->vctx.sz = sizeof(struct verbs_context);
	s->vctx.alloc_dm = stub_alloc_dm;
	s->vctx.free_dm = stub_free_dm;
	s->vctx.reg_dm_mr = stub_reg_dm_mr;
	s->vctx.query_device_ex = stub_query_device_ex;
	for (int i = 0; i < STUB_PRIV_WORDS; i++)
		s->priv[i] = (void *)stub_private_op;
	s->vctx.priv = (struct verbs_ex_private *)s->priv;
	s->max_dm_size = STUB_MAX_DM_SIZE;
	struct ibv_context *ctx = &s->vctx.context;
	ctx->abi_compat = __VERBS_ABI_IS_EXTENDED;
	ctx->ops.post_send = stub_post_send;
	ctx->ops.post_recv = stub_post_recv;
	ctx->ops.poll_cq = stub_poll_cq;
	s->qp.context = ctx;
	s->qp.qp_num = qp_num;
	s->qp.qp_type = IBV_QPT_RC;
	s->qp.state = IBV_QPS_RTS;
	s->qp.send_cq = &s->cq;
	s->qp.recv_cq = &s->cq;
	s->cq.context = ctx;
	s->cq.cqe = STUB_CQ_DEPTH;
	s->pd.context = ctx;
	s->pd.handle = 1;
	struct stub_list *l = malloc(sizeof(*l));
	if (!l) {
		free(s);
		return NULL;
	}
	l->stub = s;
	l->next = stubs;
	stubs = l;
	return s;
}

void stub_destroy(struct stub *s)
{
	for (struct stub_list **p = &stubs; *p; p = &(*p)->next) {
		if ((*p)->stub == s) {
			struct stub_list *l = *p;
			*p = l->next;
			free(l);
			break;
		}
	}
	free(s);
}

struct ibv_context *stub_context(struct stub *s) { return &s->vctx.context; }
struct ibv_qp *stub_qp(struct stub *s) { return &s->qp; }
struct ibv_cq *stub_cq(struct stub *s) { return &s->cq; }

uint64_t stub_post_calls(const struct stub *s) { return s->post_calls; }
uint64_t stub_wrs_posted(const struct stub *s) { return s->wrs_posted; }
uint64_t stub_last_wr_id(const struct stub *s) { return s->last_wr_id; }
uint64_t stub_poll_calls(const struct stub *s) { return s->poll_calls; }
/* Device memory, its MRs and PDs allocated and not yet freed. */
uint64_t stub_dm_live(const struct stub *s) { return s->dm_live; }
uint64_t stub_mr_live(const struct stub *s) { return s->mr_live; }
uint64_t stub_pd_live(const struct stub *s) { return s->pd_live; }
/* max_dm_size as query_device_ex reports it and alloc_dm enforces it; 0 empties the three slots,
 * as a provider without device memory leaves them. */
void stub_set_max_dm_size(struct stub *s, uint64_t size)
{
	s->max_dm_size = size;
	s->vctx.alloc_dm = size ? stub_alloc_dm : NULL;
	s->vctx.free_dm = size ? stub_free_dm : NULL;
	s->vctx.reg_dm_mr = size ? stub_reg_dm_mr : NULL;
}
/* Bytes of device memory, read past the provider for the tests. */
const void *stub_dm_bytes(const struct ibv_dm *dm) { return ((const struct stub_dm *)dm)->mem; }
/* Completions queued and not yet polled. */
uint64_t stub_pending(const struct stub *s) { return s->cq_head - s->cq_tail; }

/* The record of the i-th request accepted since creation (the ring keeps the last 64). */
const struct stub_wr_record *stub_record(const struct stub *s, uint64_t i)
{
	return &s->records[i & (STUB_RECORDS - 1)];
}

uint64_t stub_record_size(void) { return sizeof(struct stub_wr_record); }
uint64_t stub_max_sge(void) { return STUB_MAX_SGE; }

/* Status and vendor error written into the completions polled from now on. */
void stub_set_completion_status(struct stub *s, uint32_t status, uint32_t vendor_err)
{
	s->completion_status = status;
	s->vendor_err = vendor_err;
}
