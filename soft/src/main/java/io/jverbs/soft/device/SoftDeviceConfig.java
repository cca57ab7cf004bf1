package io.jverbs.soft.device;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One soft device: its name, its IPv4 address, its port MTU in bytes (the largest path MTU its
 * QPs may use: 256, 512, 1024, 2048 or 4096) and where its packets go: a UDP socket bound to the
 * address on port 4791 (RoCEv2's), or, with a {@code port}, whole Ethernet frames on a raw-eth
 * packet port ({@code afpacket:veth0}, {@code dpdk:...}) where the device owns the address
 * itself (answers ARP for it, resolves its peers) and verifies the ICRC of every packet.
 *
 * @param name         the device name {@code Context.open} takes, e.g. {@code jsoft0}
 * @param address      the IPv4 address (bound on the socket path); its IPv4-mapped GID is GID index 1, as on rxe
 * @param mtu          the port's active MTU in bytes
 * @param prefixLength on a packet port, the length of the on-link prefix (peers outside it are unreachable: no gateway); 24 by default
 * @param port         a raw-eth port spec ({@code io.jverbs.raweth.port.PortSpec}), or null for the UDP socket path
 */
public record SoftDeviceConfig(String name, Inet4Address address, int mtu, int prefixLength, String port) {
    /** The RoCEv2 UDP port. */
    public static final int ROCE_PORT = 4791;

    /** The system property naming the soft devices: {@code jsoft0=127.0.0.1,jsoft1=127.0.0.2:4096}; {@code none} for none. */
    public static final String PROPERTY = "jverbs.soft.devices";
    /** The environment variable read when the property is not set, same syntax. */
    public static final String ENV = "JVERBS_SOFT_DEVICES";
    /**
     * Without configuration: {@code jsoft0} on 127.0.0.1 with a 1024-byte MTU. Loopback works
     * on every machine without privileges and exposes nothing to the network until asked;
     * 1024 is rxe's default active MTU on a 1500-byte Ethernet link (4096 + headers would not fit).
     */
    public static final String DEFAULT = "jsoft0=127.0.0.1";

    public SoftDeviceConfig {
        if (name == null || name.isEmpty() || name.length() > 63 || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("a soft device name is 1-63 letters, digits, '_', '.', '-', got '" + name + "'");
        }
        if (address == null) {
            throw new IllegalArgumentException("soft device " + name + " needs an IPv4 address to bind");
        }
        if (mtu != 256 && mtu != 512 && mtu != 1024 && mtu != 2048 && mtu != 4096) {
            throw new IllegalArgumentException("soft device " + name + ": MTU is 256, 512, 1024, 2048 or 4096, got " + mtu);
        }
        if (prefixLength < 1 || prefixLength > 32) {
            throw new IllegalArgumentException("soft device " + name + ": prefix length is 1..32, got " + prefixLength);
        }
        if (port != null && (port.indexOf(':') <= 0)) {
            throw new IllegalArgumentException("soft device " + name + ": port '" + port
                    + "' is not a raw-eth port spec scheme:argument, e.g. afpacket:veth0");
        }
    }

    /** A device on the UDP socket path: {@code name} bound to {@code address} with {@code mtu}. */
    public SoftDeviceConfig(String name, Inet4Address address, int mtu) {
        this(name, address, mtu, 24, null);
    }

    /**
     * {@code name} with {@code address/prefixLength} and a 1024-byte MTU on the raw-eth packet port
     * {@code port} (e.g. {@code afpacket:veth0}).
     */
    public static SoftDeviceConfig onPort(String name, String address, int prefixLength, String port) {
        return new SoftDeviceConfig(name, ipv4(name, address), 1024, prefixLength, port);
    }

    /** {@code name} on {@code address} with a 1024-byte MTU. */
    public static SoftDeviceConfig of(String name, String address) {
        return new SoftDeviceConfig(name, ipv4(name, address), 1024);
    }

    /** {@code enum ibv_mtu} of {@link #mtu()}: 1 (256) to 5 (4096). */
    public int mtuCode() {
        return Integer.numberOfTrailingZeros(mtu) - 7;
    }

    /**
     * Parses {@code name=address[/prefix][:mtu][@port]} entries separated by commas, or by
     * semicolons when the spec has a {@code @port} (port specs hold commas:
     * {@code afpacket:veth0,ring=v2}, {@code dpdk:... --vdev net_af_packet0,iface=veth0});
     * {@code none} or blank gives none. Bad entries throw {@link IllegalArgumentException} naming
     * the entry.
     */
    public static List<SoftDeviceConfig> parse(String spec) {
        List<SoftDeviceConfig> out = new ArrayList<>();
        if (spec == null || spec.isBlank() || spec.strip().equals("none")) {
            return out;
        }
        boolean ports = spec.indexOf('@') >= 0;
        for (String entry : spec.split(ports ? ";" : ",")) {
            String e = entry.strip();
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("soft device entry '" + e
                        + "': expected name=address[/prefix][:mtu][@port], e.g. jsoft0=127.0.0.1:1024 or jsoft1=10.77.0.3/24@afpacket:veth0");
            }
            String name = e.substring(0, eq), rest = e.substring(eq + 1);
            String port = null;
            int at = rest.indexOf('@');
            if (at >= 0) {
                port = rest.substring(at + 1).strip();
                rest = rest.substring(0, at).strip();
                if (rest.indexOf(',') >= 0) {
                    throw new IllegalArgumentException("soft device entry '" + e
                            + "': with a @port, entries are separated by ';' (port specs contain commas)");
                }
            }
            int prefix = 24;
            int slash = rest.indexOf('/');
            if (slash >= 0) {
                int end = rest.indexOf(':', slash);
                String p = rest.substring(slash + 1, end < 0 ? rest.length() : end);
                try {
                    prefix = Integer.parseInt(p);
                } catch (NumberFormatException x) {
                    throw new IllegalArgumentException("soft device entry '" + e + "': the prefix length '" + p + "' is not a number");
                }
                if (port == null) {
                    throw new IllegalArgumentException("soft device entry '" + e + "': a /prefix only applies with a @port");
                }
                rest = rest.substring(0, slash) + (end < 0 ? "" : rest.substring(end));
            }
            int colon = rest.indexOf(':');
            int mtu = 1024;
            if (colon >= 0) {
                try {
                    mtu = Integer.parseInt(rest.substring(colon + 1));
                } catch (NumberFormatException x) {
                    throw new IllegalArgumentException("soft device entry '" + e + "': the MTU is not a number");
                }
                rest = rest.substring(0, colon);
            }
            SoftDeviceConfig c = new SoftDeviceConfig(name, ipv4(name, rest), mtu, prefix, port);
            if (out.stream().anyMatch(o -> o.name.equals(name))) {
                throw new IllegalArgumentException("soft device " + name + " is named twice in '" + spec + "'");
            }
            out.add(c);
        }
        return out;
    }

    private static Inet4Address ipv4(String name, String literal) {
        // A literal only: resolving a host name here would make opening a device do DNS.
        if (!literal.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("soft device " + name + ": '" + literal + "' is not an IPv4 address literal");
        }
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (UnknownHostException | ClassCastException x) {
            throw new IllegalArgumentException("soft device " + name + ": '" + literal + "' is not an IPv4 address", x);
        }
    }
}
