/**
 * Sockets of the userspace stack over an {@link io.jverbs.raweth.iface.Interface}:
 * {@link io.jverbs.raweth.socket.UdpSocket} today; TCP joins here. Pure Java.
 */
package io.jverbs.raweth.socket;
