/**
 * librdmacm for Java: connections by IP address, wire-compatible with rdma-core's C programs
 * ({@code rping}, {@code rdma_server}/{@code rdma_client}). {@link io.jverbs.rdmacm.CmListener}
 * and {@link io.jverbs.rdmacm.CmConnection} do a whole server or client in a few calls: rdma_cm
 * resolves the address to a device and GID, creates the QP and moves it through its states, and
 * the completion waits end promptly with a {@link io.jverbs.rdmacm.CmException} when the peer
 * leaves. {@link io.jverbs.rdmacm.CmEventChannel}, {@link io.jverbs.rdmacm.CmId} and
 * {@link io.jverbs.rdmacm.CmEvent} are the step-by-step API underneath.
 *
 * {@snippet :
 * // server: one client after another; a client that leaves mid-handshake is a CmException
 * try (CmListener listener = CmListener.listen(new InetSocketAddress(7471), 16)) {
 *     while (running) {
 *         try (CmConnection c = listener.accept(new CmConnection.Options(), Duration.ofSeconds(30))) {
 *             if (c == null) continue;                                    // nobody came in time
 *             c.awaitDisconnect(Duration.ofSeconds(30));
 *         } catch (CmException e) {
 *             if (!e.isDisconnected()) throw e;
 *         }
 *     }
 * }
 * // client: the QP is in RTS when connect returns
 * try (CmConnection c = CmConnection.connect(new InetSocketAddress(serverIp, 7471),
 *         new CmConnection.Options(), Duration.ofSeconds(10))) {
 *     c.queuePair().postSend(wrs);
 *     int n = c.awaitSendCompletion(wc, Duration.ofSeconds(5));          // 0: none in time
 *     c.disconnect(Duration.ofSeconds(2));
 * }
 * }
 *
 * docs/rdmacm.md has the details: when a server is listening, the completion waits, and the
 * {@link io.jverbs.rdmacm.ConnectionParameters} defaults.
 */
package io.jverbs.rdmacm;
