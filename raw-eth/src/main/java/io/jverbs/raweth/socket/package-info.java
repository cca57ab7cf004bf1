/**
 * Sockets of the userspace stack over an {@link io.jverbs.raweth.iface.Interface}:
 * {@link io.jverbs.raweth.socket.UdpSocket} and {@link io.jverbs.raweth.socket.TcpSocket} (one
 * TCP connection per socket, timers, ISN key and congestion controller in
 * {@link io.jverbs.raweth.socket.TcpConfig}; the controller is a
 * {@link io.jverbs.raweth.socket.CongestionControl}: {@link io.jverbs.raweth.socket.Cubic} by
 * default, {@link io.jverbs.raweth.socket.Reno}, or the caller's; see docs/tcp.md for what the TCP
 * slices do and do not). Pure Java.
 */
package io.jverbs.raweth.socket;
