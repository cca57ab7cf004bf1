package io.jverbs.perftest.engine;

import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.ExtendedPost;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.mlx5.DcInitiator;

/**
 * How one DC initiator posts the loops' requests (perftest's {@code _new_post_send} with
 * {@code IBV_QPT_DRIVER}/DC): DC has no {@code ibv_post_send} path, so each chain the loops
 * patched ({@code wr_id} and send flags per request, as for the other transports) goes out
 * through the extended post API, every request addressed to the peer's DC target
 * ({@code mlx5dv_wr_set_dc_addr} with its DCT number and perftest's DC key) before its data.
 * What the loops never change (opcode, buffers, remote address and key) is fixed here; nothing
 * is allocated per post.
 */
final class DcPost {
    /** perftest's {@code DC_KEY}: the access key of its DC targets, which its initiators present. */
    static final long KEY = 0xffeeddccL;

    /**
     * The destination step of each request, between its opcode and its data: in a run
     * {@code mlx5dv_wr_set_dc_addr} ({@link #to}); DcPostIT puts a counter here to run the rest on
     * Soft-RoCE, which has the extended post API but no DC.
     */
    interface Destination {
        void set();
    }

    private final ExtendedPost post;
    private final Destination destination;
    private final WrOpcode opcode;
    private final long localAddress;
    private final int length;
    private final int lkey;
    private final long remoteAddress;
    private final int rkey;
    private final long compareAdd;
    private final long swap;

    /**
     * Posts through {@code dci} to the peer's DC target.
     *
     * @param ah            the path to the peer (made from the peer's LID and GID, as the DCI's RTR)
     * @param dctn          the peer's DCT number (the QPN of its QP message after its DCT reached RTR)
     * @param compareAdd    fetch-and-add's addend or compare-and-swap's compare value
     * @param swap          compare-and-swap's swap value
     */
    static DcPost to(DcInitiator dci, AddressHandle ah, int dctn, WrOpcode opcode, long localAddress, int length, int lkey,
                     long remoteAddress, int rkey, long compareAdd, long swap) {
        return new DcPost(dci.post(), () -> dci.address(ah, dctn, KEY), opcode, localAddress, length, lkey, remoteAddress, rkey,
                compareAdd, swap);
    }

    DcPost(ExtendedPost post, Destination destination, WrOpcode opcode, long localAddress, int length, int lkey,
           long remoteAddress, int rkey, long compareAdd, long swap) {
        this.post = post;
        this.destination = destination;
        this.opcode = opcode;
        this.localAddress = localAddress;
        this.length = length;
        this.lkey = lkey;
        this.remoteAddress = remoteAddress;
        this.rkey = rkey;
        this.compareAdd = compareAdd;
        this.swap = swap;
    }

    /**
     * Posts the requests of {@code wrs} as one batch with their {@code wr_id} and send flags: an
     * INLINE request carries its bytes in the WQE ({@code ibv_wr_set_inline_data}), any other one
     * SGE.
     */
    void post(SendRequests wrs) {
        int n = wrs.size();
        post.start();
        for (int j = 0; j < n; j++) {
            long id = wrs.wrId(j);
            int flags = wrs.sendFlags(j);
            switch (opcode) {
                case RDMA_WRITE -> post.rdmaWrite(id, flags, remoteAddress, rkey);
                case RDMA_READ -> post.rdmaRead(id, flags, remoteAddress, rkey);
                case SEND -> post.send(id, flags);
                case ATOMIC_FETCH_AND_ADD -> post.atomicFetchAdd(id, flags, remoteAddress, rkey, compareAdd);
                case ATOMIC_CMP_AND_SWP -> post.atomicCompareSwap(id, flags, remoteAddress, rkey, compareAdd, swap);
                default -> throw new IllegalStateException("perftest's DC tests do not post " + opcode);
            }
            destination.set();
            if ((flags & SendFlags.INLINE) != 0) {
                post.inline(localAddress, length);
            } else {
                post.sge(localAddress, length, lkey);
            }
        }
        post.complete();
    }
}
