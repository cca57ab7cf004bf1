/**
 * Packet ports: one interface, {@link io.jverbs.raweth.port.PacketPort}, for receiving and
 * transmitting bursts of Ethernet frames over very different devices (an ibverbs RAW_PACKET QP,
 * a DPDK port, AF_PACKET, TAP, an in-memory pair), with frames handed out as entries of a reusable
 * {@link io.jverbs.raweth.port.FrameBurst} over the port's own memory. This package is pure Java:
 * the interface, its value types, and the ports and wrappers that need no native code.
 */
package io.jverbs.raweth.port;
