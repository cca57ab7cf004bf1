/**
 * Packet ports on Linux network interfaces: {@link io.jverbs.raweth.linux.AfPacketPort}
 * ({@code AF_PACKET} with TPACKET_V3 RX and TX rings, frames received in place) and
 * {@link io.jverbs.raweth.linux.TapPort} (a TAP device, frames copied by read/write into a
 * port-owned pool). Failures are {@link io.jverbs.core.NativeException}s naming the call
 * ({@link io.jverbs.raweth.linux.LinuxCall}), the errno and the usual fix. The bindings are in
 * {@code io.jverbs.raweth.linux.ffi}, generated from {@code native-test/abi/linux.spec}.
 *
 * {@snippet :
 * try (AfPacketPort port = AfPacketPort.open("veth0")) {
 *     FrameBurst burst = new FrameBurst(32);
 *     if (port.awaitReceive(1_000_000_000L) && port.receive(burst) > 0) {
 *         eth.wrap(burst.memory(), burst.offset(0), burst.length(0)); // read in place
 *         port.release(burst);
 *     }
 * }
 * }
 */
package io.jverbs.raweth.linux;
