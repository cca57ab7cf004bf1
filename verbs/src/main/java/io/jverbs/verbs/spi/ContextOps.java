package io.jverbs.verbs.spi;

import java.lang.foreign.MemorySegment;

/**
 * The operations of one open device context, shaped like the C provider's
 * ({@code struct verbs_context_ops}): the same native structs in and out. An operation that
 * returns {@code int} answers 0 or a positive errno, as libibverbs' do; one that creates an object
 * returns its struct, allocated by the provider in native memory with the fields libibverbs users
 * read ({@code context}, {@code handle}, {@code qp_num}, {@code lkey}, {@code cqe}, ...), and
 * throws {@link ProviderException} on failure. The object stays valid until its destroy operation.
 *
 * <p>The data-path operations ({@link #postSend}, {@link #postRecv}, {@link #postSrqRecv},
 * {@link #pollCq}, {@link #reqNotifyCq}) take addresses as {@code long}s, like the native calls
 * jverbs makes: the callers have checked the objects are open and keep the request and
 * completion memory reachable across the call. They must not allocate in steady state.
 */
public interface ContextOps {
    /** The {@code struct ibv_context} of this context ({@code device} may be NULL; {@code num_comp_vectors}, {@code async_fd} set). */
    MemorySegment context();

    /**
     * Takes the next asynchronous event ({@code ibv_get_async_event} and {@code ibv_ack_async_event}
     * in one): fills the {@code struct ibv_async_event} and returns 0, or EAGAIN when none is
     * pending. Never blocks: callers wait on the context's {@code async_fd}, which is readable
     * while an event is pending.
     */
    int getAsyncEvent(MemorySegment event);

    /** Fills a {@code struct ibv_device_attr_ex} (its {@code orig_attr} included). */
    int queryDevice(MemorySegment attrEx);

    /** Fills a {@code struct ibv_port_attr} for {@code port} (from 1). */
    int queryPort(int port, MemorySegment portAttr);

    /** Fills a {@code struct ibv_gid_entry}; ENODATA for an index without a valid GID. */
    int queryGid(int port, int index, MemorySegment gidEntry);

    /** Fills up to {@code max} {@code struct ibv_gid_entry}s with the valid GIDs of every port: their count, or a negative errno. */
    long queryGidTable(MemorySegment entries, long max);

    /** A {@code struct ibv_pd}. */
    MemorySegment allocPd();

    int deallocPd(MemorySegment pd);

    /** A {@code struct ibv_mr} for {@code length} bytes at {@code address}, addressed by peers as {@code iova}. */
    MemorySegment regMr(MemorySegment pd, long address, long length, long iova, int access);

    int deregMr(MemorySegment mr);

    /**
     * A {@code struct ibv_mw} of {@code type} (1 or 2) in {@code pd}, its {@code rkey} set
     * ({@code ibv_alloc_mw}); a provider without windows throws {@link ProviderException} with
     * EOPNOTSUPP.
     */
    MemorySegment allocMw(MemorySegment pd, int type);

    int deallocMw(MemorySegment mw);

    /**
     * {@code ibv_bind_mw} of a type 1 window: posts the bind described by a {@code struct ibv_mw_bind}
     * on {@code qp}'s send queue and, once posted, sets {@code mw->rkey} to the new key (as
     * rdma-core's providers do; the completion reports whether the bind took).
     */
    int bindMw(MemorySegment qp, MemorySegment mw, MemorySegment mwBind);

    /** A {@code struct ibv_comp_channel} ({@code fd} -1 where the provider has no file descriptor). */
    MemorySegment createCompChannel();

    int destroyCompChannel(MemorySegment channel);

    /**
     * Waits for the next completion event on {@code channel} ({@code ibv_get_cq_event}): the
     * {@code struct ibv_cq} it is for, or NULL after {@code timeoutNanos} (negative: no timeout).
     */
    MemorySegment getCqEvent(MemorySegment channel, long timeoutNanos);

    /** Acknowledges {@code events} events of {@code cq} ({@code ibv_ack_cq_events}). */
    void ackCqEvents(MemorySegment cq, int events);

    /** A {@code struct ibv_cq} of at least {@code cqe} entries ({@code cqe} holds the real size), reporting to {@code channel} (NULL: none). */
    MemorySegment createCq(int cqe, MemorySegment channel, int vector);

    int destroyCq(MemorySegment cq);

    /** Writes up to {@code max} {@code struct ibv_wc}s at {@code wc}: how many, or a negative errno (overrun). */
    int pollCq(long cq, int max, long wc);

    /** Arms {@code cq} for one event (solicited completions only when {@code solicitedOnly} is 1). */
    int reqNotifyCq(long cq, int solicitedOnly);

    /** A {@code struct ibv_qp} from a {@code struct ibv_qp_init_attr}, whose {@code cap} the provider updates to what it gives. */
    MemorySegment createQp(MemorySegment pd, MemorySegment initAttr);

    /** {@code ibv_modify_qp}: a {@code struct ibv_qp_attr} and its {@code enum ibv_qp_attr_mask}. */
    int modifyQp(MemorySegment qp, MemorySegment attr, int mask);

    /** {@code ibv_query_qp}: fills a {@code struct ibv_qp_attr} and {@code struct ibv_qp_init_attr}. */
    int queryQp(MemorySegment qp, MemorySegment attr, int mask, MemorySegment initAttr);

    int destroyQp(MemorySegment qp);

    /** Posts a {@code struct ibv_send_wr} chain; on failure stores the first request not posted at {@code badWr}. */
    int postSend(long qp, long wr, long badWr);

    /** Posts a {@code struct ibv_recv_wr} chain; on failure stores the first request not posted at {@code badWr}. */
    int postRecv(long qp, long wr, long badWr);

    /** A {@code struct ibv_srq} from a {@code struct ibv_srq_init_attr}. */
    MemorySegment createSrq(MemorySegment pd, MemorySegment initAttr);

    /** {@code ibv_modify_srq}: a {@code struct ibv_srq_attr} and its {@code enum ibv_srq_attr_mask}. */
    int modifySrq(MemorySegment srq, MemorySegment attr, int mask);

    /** Fills a {@code struct ibv_srq_attr}. */
    int querySrq(MemorySegment srq, MemorySegment attr);

    int destroySrq(MemorySegment srq);

    /** Posts a {@code struct ibv_recv_wr} chain to an SRQ. */
    int postSrqRecv(long srq, long wr, long badWr);

    /** A {@code struct ibv_ah} from a {@code struct ibv_ah_attr}. */
    MemorySegment createAh(MemorySegment pd, MemorySegment ahAttr);

    int destroyAh(MemorySegment ah);

    /** Closes the context ({@code ibv_close_device}) after its objects were destroyed. */
    int close();
}
