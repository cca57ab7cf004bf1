package io.jverbs.raweth.iface;

/**
 * The events an {@link Interface} counts, in {@link InterfaceStats}: what it received and sent,
 * and one counter per reason it dropped a frame or a packet (malformed headers are counted apart,
 * by {@link io.jverbs.raweth.wire.WireStatus}). Names follow the kernel's SNMP counters where one
 * exists.
 */
public enum Counter {
    /** Frames taken from the port. */
    RX_FRAMES,
    /** Frames for another unicast MAC (or a multicast group): not ours, dropped. */
    RX_OTHER_MAC,
    /** Frames of an EtherType other than IPv4 and ARP (IPv6 included), dropped. */
    RX_UNKNOWN_ETHERTYPE,
    /** 802.1Q-tagged frames, dropped: the interface is untagged. */
    RX_VLAN_TAGGED,

    /** ARP requests received for our address. */
    ARP_REQUESTS_RECEIVED,
    /** ARP replies received for our address. */
    ARP_REPLIES_RECEIVED,
    /** ARP replies sent. */
    ARP_REPLIES_SENT,
    /** ARP requests sent. */
    ARP_REQUESTS_SENT,
    /** ARP requests not sent because one for that address went out less than the interval ago. */
    ARP_REQUESTS_RATE_LIMITED,
    /** Neighbour entries updated by an ARP packet not for us (gratuitous ARP, RFC 826's merge). */
    ARP_UPDATED_BY_OTHERS,
    /** ARP packets for another address that updated nothing, dropped. */
    ARP_NOT_FOR_US,
    /** ARP packets whose sender MAC is multicast, broadcast or zero, dropped. */
    ARP_BAD_SENDER,
    /** ARP packets from another host claiming our address, dropped. */
    ARP_ADDRESS_CONFLICT,
    /** ARP packets for us with an operation other than request or reply, dropped. */
    ARP_UNKNOWN_OPERATION,
    /** Packets queued to wait for their next hop's MAC. */
    ARP_QUEUED,
    /** Packets dropped because the resolution queue was full. */
    ARP_QUEUE_FULL,
    /** Packets dropped because their next hop did not answer within the resolve timeout. */
    ARP_TIMEOUT,

    /** IPv4 packets delivered to ICMP, UDP or a socket. */
    IPV4_DELIVERED,
    /** IPv4 packets for another address, dropped (a host does not forward). */
    IPV4_NOT_FOR_US,
    /** IPv4 packets from a broadcast or multicast source, dropped (RFC 1122 3.2.1.3). */
    IPV4_BAD_SOURCE,
    /** IPv4 fragments, dropped: no reassembly. */
    IPV4_FRAGMENT,
    /** IPv4 packets of a protocol no one handles, dropped (protocol unreachable sent). */
    IPV4_UNKNOWN_PROTOCOL,

    /** ICMP echo requests answered. */
    ICMP_ECHO_REPLIES_SENT,
    /** ICMP echo requests to a broadcast address, ignored (as Linux's icmp_echo_ignore_broadcasts). */
    ICMP_BROADCAST_ECHO_IGNORED,
    /** ICMP messages other than echo requests received (replies, errors), counted and dropped. */
    ICMP_OTHER_RECEIVED,
    /**
     * ICMP errors (destination unreachable, time exceeded, parameter problem) handed to the socket
     * whose packet they quote (RFC 9293 MUST-54, RFC 1122 4.2.3.9).
     */
    ICMP_ERRORS_DELIVERED,
    /** ICMP errors quoting a packet no socket claims (no such connection, or a sequence number outside its window). */
    ICMP_ERRORS_UNMATCHED,
    /** ICMP errors too short, sent to a broadcast, or quoting something other than an IPv4 packet of ours: dropped. */
    ICMP_ERRORS_MALFORMED,
    /** ICMP source quench, silently discarded (RFC 9293 MUST-55, RFC 6633). */
    ICMP_SOURCE_QUENCH_IGNORED,
    /** Negative advice from TCP (RFC 9293 MUST-20, R1 retransmissions): the next hop's MAC asked for again. */
    ARP_NEGATIVE_ADVICE,
    /** ICMP destination unreachable messages sent (port or protocol). */
    ICMP_UNREACHABLE_SENT,
    /** ICMP errors not sent: the rate limit's tokens were used up. */
    ICMP_ERRORS_RATE_LIMITED,
    /** ICMP errors not sent because the offending packet was a broadcast (RFC 1122 3.2.2). */
    ICMP_ERRORS_SUPPRESSED,

    /** UDP datagrams delivered to a socket's queue. */
    UDP_DELIVERED,
    /** UDP datagrams to a port no socket is bound to (port unreachable sent when allowed). */
    UDP_NO_PORT,
    /** UDP datagrams dropped because the socket's receive queue was full. */
    UDP_RX_QUEUE_FULL,
    /** TCP segments delivered to a socket. */
    TCP_DELIVERED,
    /** TCP segments no socket took, dropped (the TCP layer answers them with a RST). */
    TCP_NO_SOCKET,
    /** RSTs sent for segments no socket took (RFC 9293 3.10.7.1; none for a RST or a broadcast). */
    TCP_RESETS_SENT,

    /** Frames handed to the port. */
    TX_FRAMES,
    /** Sends put off because the port had no transmit buffer. */
    TX_NO_BUFFER,
    /** Frames the port did not take (its queue was full), dropped. */
    TX_PORT_FULL,
    /** Packets to a destination off the prefix with no gateway, dropped. */
    TX_NO_ROUTE,
    /** Packets larger than the MTU, dropped (no fragmentation). */
    TX_TOO_BIG,
    /** TCP frames larger than the MTU handed to the port to segment (TSO); each is one of {@link #TX_FRAMES}. */
    TX_SEGMENTATION_FRAMES
}
