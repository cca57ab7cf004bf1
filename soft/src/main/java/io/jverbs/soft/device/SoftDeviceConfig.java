package io.jverbs.soft.device;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One soft device: its name, the IPv4 address its UDP socket binds (port 4791, RoCEv2's) and
 * its port MTU in bytes (the largest path MTU its QPs may use: 256, 512, 1024, 2048 or 4096).
 *
 * @param name    the device name {@code Context.open} takes, e.g. {@code jsoft0}
 * @param address the IPv4 address to bind; its IPv4-mapped GID is GID index 1, as on rxe
 * @param mtu     the port's active MTU in bytes
 */
public record SoftDeviceConfig(String name, Inet4Address address, int mtu) {
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
     * Parses {@code name=address[:mtu]} entries separated by commas; {@code none} or blank
     * gives none. Bad entries throw {@link IllegalArgumentException} naming the entry.
     */
    public static List<SoftDeviceConfig> parse(String spec) {
        List<SoftDeviceConfig> out = new ArrayList<>();
        if (spec == null || spec.isBlank() || spec.strip().equals("none")) {
            return out;
        }
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("soft device entry '" + e + "': expected name=address[:mtu], e.g. jsoft0=127.0.0.1:1024");
            }
            String name = e.substring(0, eq), rest = e.substring(eq + 1);
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
            SoftDeviceConfig c = new SoftDeviceConfig(name, ipv4(name, rest), mtu);
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
