/**
 * Sockets of the userspace stack over an {@link io.jverbs.raweth.iface.Interface}:
 * {@link io.jverbs.raweth.socket.UdpSocket} and {@link io.jverbs.raweth.socket.TcpSocket} (one
 * TCP connection per socket, timers and ISN key in {@link io.jverbs.raweth.socket.TcpConfig}; see
 * docs/tcp.md for what this first TCP slice does and does not). Pure Java.
 */
package io.jverbs.raweth.socket;
