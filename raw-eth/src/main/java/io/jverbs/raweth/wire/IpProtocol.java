package io.jverbs.raweth.wire;

/** IPv4 protocol numbers (IANA "Assigned Internet Protocol Numbers") this package parses. */
public final class IpProtocol {
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;

    private IpProtocol() {}
}
