package io.jverbs.rdmacm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * {@code struct sockaddr_in} / {@code sockaddr_in6} in native memory, for librdmacm (netinet/in.h):
 * the family is host order, the port and address network order (big-endian).
 */
final class SocketAddresses {
    static final short AF_INET = 2, AF_INET6 = 10;
    static final long SOCKADDR_IN_SIZE = 16, SOCKADDR_IN6_SIZE = 28;
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SocketAddresses() {}

    /** Writes {@code address} as a sockaddr_in (IPv4) or sockaddr_in6 (IPv6); an unresolved host is an error. */
    static MemorySegment encode(InetSocketAddress address, SegmentAllocator allocator) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address.getHostString() + ": resolve the host name first");
        }
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            MemorySegment sa = allocator.allocate(SOCKADDR_IN_SIZE, 4);
            sa.fill((byte) 0);
            sa.set(ValueLayout.JAVA_SHORT, 0, AF_INET);
            sa.set(NET_SHORT, 2, (short) address.getPort());
            MemorySegment.copy(ip.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return sa;
        }
        Inet6Address ip6 = (Inet6Address) ip;
        MemorySegment sa = allocator.allocate(SOCKADDR_IN6_SIZE, 4);
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, AF_INET6);
        sa.set(NET_SHORT, 2, (short) address.getPort());
        MemorySegment.copy(ip6.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 8, 16);
        sa.set(ValueLayout.JAVA_INT, 24, ip6.getScopeId());
        return sa;
    }

    /** Reads a sockaddr_in/in6; returns null for AF_UNSPEC (nothing bound or resolved yet) and other families. */
    static InetSocketAddress decode(MemorySegment sa) {
        short family = sa.get(ValueLayout.JAVA_SHORT, 0);
        int port = Short.toUnsignedInt(sa.get(NET_SHORT, 2));
        try {
            if (family == AF_INET) {
                byte[] ip = new byte[4];
                MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 4, ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            if (family == AF_INET6) {
                byte[] ip = new byte[16];
                MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 8, ip, 0, 16);
                int scope = sa.get(ValueLayout.JAVA_INT, 24);
                InetAddress a = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(a, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("impossible: the address has the right length", e);
        }
        return null;
    }
}
