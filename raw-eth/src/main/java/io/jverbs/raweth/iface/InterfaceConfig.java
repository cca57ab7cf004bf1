package io.jverbs.raweth.iface;

import io.jverbs.raweth.wire.Ipv4Address;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of an {@link Interface}: its IPv4 address and prefix, an optional default gateway,
 * and the limits and timers of ARP and ICMP. The MAC and MTU come from the port's
 * {@link io.jverbs.raweth.port.PortCapabilities}. Made by {@link #builder(Ipv4Address, int)};
 * every timer is in nanoseconds of the interface's clock.
 *
 * @param address the interface's IPv4 address
 * @param prefixLength the on-link prefix, 0..32 (24 for a /24): destinations inside it are
 *        reached directly, the others through {@code gateway}
 * @param gateway the default route's next hop (on-link), or {@link Ipv4Address#UNSPECIFIED} for
 *        no default route
 * @param ttl the TTL of the packets sent, 1..255
 * @param arpCacheSize how many neighbours the ARP cache holds
 * @param arpEntryLifetime how long a learned neighbour stays usable before it is asked again
 * @param arpRequestInterval the least time between two ARP requests for one address (rate limit)
 * @param arpResolveTimeout how long a packet waits for its next hop to be resolved before it is
 *        dropped and counted
 * @param arpQueueSize how many packets wait for resolution, all next hops together
 * @param icmpErrorInterval one ICMP error (port or protocol unreachable) token per interval
 * @param icmpErrorBurst the most ICMP error tokens saved up
 * @param rxBurstsPerPoll the most receive bursts one {@link Interface#poll(long)} handles, so a
 *        flood cannot starve the sockets' transmissions and timers
 */
public record InterfaceConfig(Ipv4Address address, int prefixLength, Ipv4Address gateway, int ttl, int arpCacheSize,
                              long arpEntryLifetime, long arpRequestInterval, long arpResolveTimeout, int arpQueueSize,
                              long icmpErrorInterval, int icmpErrorBurst, int rxBurstsPerPoll) {
    public InterfaceConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        if (address.isUnspecified() || address.isMulticast() || address.isBroadcast()) {
            throw new IllegalArgumentException("interface address " + address + " is not a unicast address");
        }
        check("prefixLength", prefixLength, 0, 32);
        check("ttl", ttl, 1, 255);
        check("arpCacheSize", arpCacheSize, 1, 1 << 16);
        check("arpQueueSize", arpQueueSize, 1, 1 << 16);
        check("icmpErrorBurst", icmpErrorBurst, 1, 1 << 20);
        check("rxBurstsPerPoll", rxBurstsPerPoll, 1, 1 << 20);
        positive("arpEntryLifetime", arpEntryLifetime);
        positive("arpRequestInterval", arpRequestInterval);
        positive("arpResolveTimeout", arpResolveTimeout);
        positive("icmpErrorInterval", icmpErrorInterval);
        if (!gateway.isUnspecified() && !onLink(address.value(), prefixLength, gateway.value())) {
            throw new IllegalArgumentException("gateway " + gateway + " is not inside " + address + "/" + prefixLength);
        }
    }

    /** The netmask of the prefix, e.g. {@code 0xffffff00} for /24. */
    public int netmask() {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** Whether {@code destination} is inside the on-link prefix. */
    public boolean isOnLink(int destination) {
        return onLink(address.value(), prefixLength, destination);
    }

    /** The directed broadcast of the prefix (10.0.0.255 for 10.0.0.1/24); none below /31. */
    public int subnetBroadcast() {
        return prefixLength >= 31 ? -1 : address.value() | ~netmask();
    }

    private static boolean onLink(int address, int prefixLength, int destination) {
        int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return ((address ^ destination) & mask) == 0;
    }

    private static void check(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " " + value + " outside [" + min + ", " + max + "]");
        }
    }

    private static void positive(String what, long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException(what + " " + nanos + " ns must be positive");
        }
    }

    /** Settings for {@code address/prefixLength}, every other one at its default. */
    public static Builder builder(Ipv4Address address, int prefixLength) {
        return new Builder(address, prefixLength);
    }

    /** How an {@link InterfaceConfig} is made; each setter returns this builder. */
    public static final class Builder {
        private final Ipv4Address address;
        private final int prefixLength;
        private Ipv4Address gateway = Ipv4Address.UNSPECIFIED;
        private int ttl = 64;
        private int arpCacheSize = 64;
        // smoltcp's neighbour cache keeps an entry a minute and asks at most once a second;
        // Linux gives up resolving after 3 probes a second apart.
        private long arpEntryLifetime = Duration.ofSeconds(60).toNanos();
        private long arpRequestInterval = Duration.ofSeconds(1).toNanos();
        private long arpResolveTimeout = Duration.ofSeconds(3).toNanos();
        private int arpQueueSize = 16;
        // Linux: icmp_msgs_per_sec 1000, icmp_msgs_burst 50.
        private long icmpErrorInterval = Duration.ofMillis(1).toNanos();
        private int icmpErrorBurst = 50;
        private int rxBurstsPerPoll = 8;

        private Builder(Ipv4Address address, int prefixLength) {
            this.address = address;
            this.prefixLength = prefixLength;
        }

        /** The default route's next hop, inside the prefix; default none (only on-link destinations). */
        public Builder gateway(Ipv4Address value) {
            gateway = Objects.requireNonNull(value, "gateway");
            return this;
        }

        /** TTL of sent packets; default 64 (Linux's ip_default_ttl). */
        public Builder ttl(int value) {
            ttl = value;
            return this;
        }

        /** Neighbours the ARP cache holds; default 64. */
        public Builder arpCacheSize(int value) {
            arpCacheSize = value;
            return this;
        }

        /** How long a learned neighbour is used; default 60 s. */
        public Builder arpEntryLifetime(Duration value) {
            arpEntryLifetime = value.toNanos();
            return this;
        }

        /** The least time between two requests for one address; default 1 s. */
        public Builder arpRequestInterval(Duration value) {
            arpRequestInterval = value.toNanos();
            return this;
        }

        /** How long a packet waits for resolution; default 3 s. */
        public Builder arpResolveTimeout(Duration value) {
            arpResolveTimeout = value.toNanos();
            return this;
        }

        /** Packets waiting for resolution, all next hops together; default 16. */
        public Builder arpQueueSize(int value) {
            arpQueueSize = value;
            return this;
        }

        /** ICMP error rate: one per {@code interval}, up to {@code burst} at once; default 1 ms and 50. */
        public Builder icmpErrorRate(Duration interval, int burst) {
            icmpErrorInterval = interval.toNanos();
            icmpErrorBurst = burst;
            return this;
        }

        /** Receive bursts handled per poll; default 8. */
        public Builder rxBurstsPerPoll(int value) {
            rxBurstsPerPoll = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the setting out of range, or a gateway outside the prefix
         */
        public InterfaceConfig build() {
            return new InterfaceConfig(address, prefixLength, gateway, ttl, arpCacheSize, arpEntryLifetime,
                    arpRequestInterval, arpResolveTimeout, arpQueueSize, icmpErrorInterval, icmpErrorBurst,
                    rxBurstsPerPoll);
        }
    }
}
