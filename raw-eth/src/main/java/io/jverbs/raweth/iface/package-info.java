/**
 * The interface layer of the userspace TCP/IP stack, modelled on smoltcp's {@code iface}: an
 * {@link io.jverbs.raweth.iface.Interface} is an IPv4 host on one
 * {@link io.jverbs.raweth.port.PacketPort} (ARP, IPv4 with an on-link prefix and a default
 * gateway, ICMP echo and errors), polled by the caller with an injected clock, allocating nothing
 * per frame. Transport endpoints are {@link io.jverbs.raweth.iface.Socket}s in the interface's
 * {@link io.jverbs.raweth.iface.SocketSet}; they send through an
 * {@link io.jverbs.raweth.iface.IpTransmitter}. Drops are counted per reason in
 * {@link io.jverbs.raweth.iface.InterfaceStats}. Pure Java: no native calls.
 *
 * {@snippet :
 * ManualClock clock = new ManualClock();
 * MemoryPair pair = MemoryPair.builder().clock(clock).build();
 * Interface a = new Interface(pair.a(), InterfaceConfig.builder(Ipv4Address.parse("10.0.0.1"), 24).build(), clock);
 * Interface b = new Interface(pair.b(), InterfaceConfig.builder(Ipv4Address.parse("10.0.0.2"), 24).build(), clock);
 * UdpSocket server = b.sockets().add(new UdpSocket(16, 16, 1472)).bind(7);
 * UdpSocket client = a.sockets().add(new UdpSocket(16, 16, 1472)).bind(40000);
 * client.send(payload, Ipv4Address.parse("10.0.0.2").value(), 7);
 * for (int i = 0; i < 4; i++) {   // ARP request, reply, then the datagram
 *     a.poll(clock.nanos());
 *     b.poll(clock.nanos());
 * }
 * int n = server.receive(buffer);
 * }
 */
package io.jverbs.raweth.iface;
