/**
 * The out-of-band exchange that precedes RDMA traffic, over plain TCP and in pure Java (no
 * native memory): {@link io.jverbs.verbs.oob.OobConnection} connects or accepts with bounded
 * timeouts and reads whole messages, {@link io.jverbs.verbs.oob.PingPongExchange} swaps
 * {@link io.jverbs.verbs.Endpoint}s in the wire format of rdma-core's {@code ibv_*_pingpong}
 * programs. Failures are {@link io.jverbs.verbs.oob.OobException}s naming the peer and what was
 * awaited.
 */
package io.jverbs.verbs.oob;
