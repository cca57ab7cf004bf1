/**
 * Sockets of the userspace stack over an {@link io.jverbs.raweth.iface.Interface}:
 * {@link io.jverbs.raweth.socket.UdpSocket} and {@link io.jverbs.raweth.socket.TcpSocket} (one
 * TCP connection per socket; timers, ISN key and congestion controller in
 * {@link io.jverbs.raweth.socket.TcpConfig}; the controller is a
 * {@link io.jverbs.raweth.socket.CongestionControl}: {@link io.jverbs.raweth.socket.Cubic} by
 * default, {@link io.jverbs.raweth.socket.Reno}, or the caller's),
 * {@link io.jverbs.raweth.socket.TcpDemux} (every connection of an interface in a 4-tuple hash
 * table, and {@link io.jverbs.raweth.socket.TcpListener}s with SYN and accept queues and SYN
 * cookies), and the blocking facade for virtual threads: {@link io.jverbs.raweth.socket.TcpStack},
 * {@link io.jverbs.raweth.socket.TcpServer}, {@link io.jverbs.raweth.socket.TcpConnection}. See
 * docs/tcp.md for what the TCP stack does and does not. Pure Java.
 */
package io.jverbs.raweth.socket;
