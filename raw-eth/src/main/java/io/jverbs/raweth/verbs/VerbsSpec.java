package io.jverbs.raweth.verbs;

import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.MacAddress;

/**
 * The argument of a {@code verbs:} port spec, parsed (pure Java):
 * <pre>{@code verbs:<device>[,port=<n>][,mac=<XX:XX:XX:XX:XX:XX>][,mtu=<n>]}</pre>
 * split at commas, with no quoting (device names and the values hold no commas). {@code port} is
 * the device port (from 1, default 1), {@code mac} the destination MAC the flow rule steers to the
 * QP (default the opener's {@link io.jverbs.raweth.port.PortHints#localMac() hint}; one of the two is
 * needed), {@code mtu} the link's MTU (default 1500).
 *
 * @param device the RDMA device, e.g. {@code mlx5_0}
 * @param port   the device port
 * @param mac    the MAC to steer, or null for the hint's
 * @param mtu    the MTU
 */
record VerbsSpec(String device, int port, MacAddress mac, int mtu) {
    static final String SYNTAX = "verbs:<device>[,port=<n>][,mac=<XX:XX:XX:XX:XX:XX>][,mtu=<n>]";

    static VerbsSpec parse(PortSpec spec) {
        String[] parts = spec.argument().split(",", -1);
        String device = parts[0].trim();
        if (device.isEmpty() || device.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + spec + "' names no device: " + SYNTAX);
        }
        int port = 1;
        MacAddress mac = null;
        int mtu = 1500;
        for (int i = 1; i < parts.length; i++) {
            String o = parts[i].trim();
            int eq = o.indexOf('=');
            String key = eq < 0 ? o : o.substring(0, eq);
            String value = eq < 0 ? "" : o.substring(eq + 1);
            switch (key) {
                case "port" -> port = spec.intOption(key, value, 1, 255);
                case "mtu" -> mtu = spec.intOption(key, value, 68, 9978);
                case "mac" -> {
                    try {
                        mac = MacAddress.parse(value);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("'" + spec + "': mac= must be XX:XX:XX:XX:XX:XX, not '" + value + "'");
                    }
                }
                default -> throw new IllegalArgumentException("'" + spec + "': unknown option '" + o
                        + "'; the options are port=, mac= and mtu= (" + SYNTAX + ")");
            }
        }
        return new VerbsSpec(device, port, mac, mtu);
    }
}
