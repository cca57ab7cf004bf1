/**
 * perftest's out-of-band protocol in pure Java (no native code): the TCP control channel
 * through which a jperf or C perftest ({@code ib_write_bw}, ...) server and client agree on
 * versions, MTU and QP addresses, synchronise, and hand over bandwidth results.
 *
 * <p>{@link io.jverbs.perftest.oob.OobSession} is the protocol, one method per perftest
 * function; {@link io.jverbs.perftest.oob.OobTransport} is the byte pipe under it
 * ({@link io.jverbs.perftest.oob.TcpTransport}, or an rdma_cm control QP for {@code -z});
 * {@link io.jverbs.perftest.oob.QpInfo}, {@link io.jverbs.perftest.oob.PerftestVersion},
 * {@link io.jverbs.perftest.oob.SystemData} and {@link io.jverbs.perftest.oob.BwReport} are
 * the messages, each with its exact wire form. Every failure is an
 * {@link io.jverbs.perftest.oob.OobException}.
 *
 * <h2>Version</h2>
 * jperf advertises 6.06 (Debian bookworm's perftest). Any version in [5.70, 6.28) gets the same
 * treatment from every C perftest; 6.28+ would make a 6.28+ peer send and expect the binary
 * {@code perftest_parameters_negotiate} struct (ints in network order plus a raw
 * {@code struct ibv_device_attr} and mlx5dv fields that depend on how the peer was built).
 * Each side decides from the <em>remote</em> version alone, so a 6.29 peer facing jperf
 * skips it, and jperf facing a 6.29 peer skips it too, exactly as C 6.06 does.
 *
 * <h2>Per-test order (from each test's main() in perftest 6.06 and 6.29, TCP, RC, one size)</h2>
 * Common start: connect, {@code exchangeVersions}, {@code exchangeSystemData},
 * {@code exchangeMtu}. Then, with Q = {@code exchangeQpInfo} (one message per QP),
 * B = {@code barrier}, R = {@code exchangeBwReport}, C = {@code closeConnection},
 * "connect" = the local move to RTR/RTS:
 * <table>
 *   <caption>OOB steps after the MTU exchange</caption>
 *   <tr><th>test</th><th>both sides</th><th>then server</th><th>then client</th></tr>
 *   <tr><td>write_bw, read_bw, atomic_bw</td><td>Q, connect, Q, B</td>
 *       <td>B (long wait: the client's whole run), R (sends NONE, prints the client's), C</td>
 *       <td>test, B, R, C</td></tr>
 *   <tr><td>send_bw</td><td>Q, connect, B, Q, post receives, B</td><td>test (measures), C</td>
 *       <td>test, C</td></tr>
 *   <tr><td>send_lat</td><td>Q, connect, B, Q, post receives, B, test</td><td>C</td><td>C</td></tr>
 *   <tr><td>write_lat</td><td>Q (QP 0), Q, connect, Q, B, test</td>
 *       <td colspan="2">no closing handshake: {@code close()} only</td></tr>
 *   <tr><td>read_lat, atomic_lat</td><td>Q (QP 0), Q, connect, Q, B</td>
 *       <td>C (long wait: the client's run)</td><td>test, C</td></tr>
 * </table>
 * {@code -a}: send_bw adds B before and after each size, send_lat B before each size; write_bw
 * and read_bw exchange no per-size messages unless {@code -b}. {@code -b} (duplex) adds B
 * before the run and B + R after each size in the BW tests, and no server-only wait. DC
 * repeats its set-up; UD/XRC/DC specifics and {@code --run_infinitely} are in each main().
 *
 * <h2>Mismatched settings below 6.28</h2>
 * Below 6.28 perftest compares nothing but what the messages carry: the version (≥ 5.70), the
 * MTU (the minimum is used, silently), the QP message layout (which only works if both
 * sides use a GID or neither; C itself does not notice: it reads its own size and later
 * misparses or hangs) and the GID type ({@code ctx_check_gid_compatibility}: "Found
 * Incompatibility issue with GID types"). Message size, iterations, connection type, test
 * type, {@code -q}, {@code --report_gbits} and duration are not on the wire: a mismatch shows
 * as a hang (e.g. RC against UC, send against write), a wrong report (the server prints the
 * client's size and units), or an error completion. jperf reports the layout and GID-type
 * mismatches as {@link io.jverbs.perftest.oob.OobException.Kind#MISMATCH} at once, and every
 * hang as a {@link io.jverbs.perftest.oob.OobException.Kind#TIMEOUT} naming the step.
 */
package io.jverbs.perftest.oob;
