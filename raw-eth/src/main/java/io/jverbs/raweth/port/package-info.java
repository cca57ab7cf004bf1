/**
 * Packet ports: one interface, {@link io.jverbs.raweth.port.PacketPort}, for receiving and
 * transmitting bursts of Ethernet frames over very different devices (an ibverbs RAW_PACKET QP,
 * a DPDK port, AF_PACKET, TAP, an in-memory pair), with frames handed out as entries of a reusable
 * {@link io.jverbs.raweth.port.FrameBurst} over the port's own memory. This package is pure Java:
 * the interface, its value types, and the ports and wrappers that need no native code.
 *
 * <ul>
 *   <li>{@link io.jverbs.raweth.port.MemoryPair}: two ports joined by a simulated cable, for
 *       tests with no kernel, timed by an injected {@link io.jverbs.raweth.port.NanoClock}
 *       ({@link io.jverbs.raweth.port.ManualClock} for virtual time).</li>
 *   <li>{@link io.jverbs.raweth.port.PcapPort}: wraps any port and records its frames with a
 *       {@link io.jverbs.raweth.port.PcapWriter} for tcpdump and Wireshark.</li>
 *   <li>{@link io.jverbs.raweth.port.FaultInjector}: wraps any port and damages what it receives
 *       (seeded loss, corruption, duplication, reordering, delay).</li>
 * </ul>
 *
 * Wrappers compose: a lossy link recorded at the receiver, on virtual time:
 * {@snippet :
 * ManualClock clock = new ManualClock();
 * MemoryPair pair = MemoryPair.builder().clock(clock).latency(100_000).build();
 * PacketPort b = PcapPort.wrap(
 *         FaultInjector.wrap(pair.b(), FaultInjector.settings().seed(1).clock(clock).loss(0.01)),
 *         Path.of("b.pcap"));
 * }
 */
package io.jverbs.raweth.port;
