package io.jverbs.raweth.dpdk;

import io.jverbs.raweth.port.PortSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The argument of a {@code dpdk:} port spec, parsed (pure Java: no EAL is touched):
 * <pre>{@code dpdk:<EAL arguments> [-- <option> ...]}</pre>
 * The argument is split into words at white space, as a shell would without expansions: a word
 * may be quoted whole or in part with {@code '...'} or {@code "..."} (no escapes inside) to hold
 * spaces; commas are ordinary characters, so devargs such as
 * {@code --vdev net_af_packet0,iface=veth0} stay one word. The words before a lone {@code --} go to
 * {@code rte_eal_init} unchanged; the words after it are this opener's options:
 * <ul>
 *   <li>{@code port=NAME} or {@code port=ID}: the ethdev to use, by name
 *       ({@code rte_eth_dev_get_port_by_name}, e.g. {@code net_af_packet0}) or id; default the first
 *       one EAL probed;</li>
 *   <li>{@code burst=N}: most frames per receive or transmit (1..1024, default 32).</li>
 * </ul>
 * Without {@code --file-prefix}, {@code --in-memory} or {@code --no-shconf} among the EAL arguments
 * {@code --in-memory} is added, so two processes on one host do not fight over
 * {@code /var/run/dpdk/rte}.
 *
 * @param ealArgs the arguments for {@code rte_eal_init}, as given (plus {@code --in-memory} when needed)
 * @param port    the ethdev's name or decimal id, or null for the first
 * @param burst   frames per burst
 */
record DpdkSpec(List<String> ealArgs, String port, int burst) {
    static final String SYNTAX = "dpdk:<EAL arguments> [-- port=<name|id>] [burst=<n>]";

    static DpdkSpec parse(PortSpec spec) {
        List<String> words = words(spec.argument());
        int dash = words.indexOf("--");
        List<String> eal = new ArrayList<>(dash < 0 ? words : words.subList(0, dash));
        if (eal.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' gives no EAL arguments: " + SYNTAX
                    + ", e.g. dpdk:--no-huge -m 256 --no-pci --vdev net_af_packet0,iface=veth0");
        }
        String port = null;
        int burst = 32;
        for (String o : dash < 0 ? List.<String>of() : words.subList(dash + 1, words.size())) {
            int eq = o.indexOf('=');
            String key = eq < 0 ? o : o.substring(0, eq);
            String value = eq < 0 ? "" : o.substring(eq + 1);
            switch (key) {
                case "port" -> {
                    if (value.isEmpty()) throw new IllegalArgumentException("'" + spec + "': port= needs an ethdev name or id");
                    port = value;
                }
                case "burst" -> burst = spec.intOption(key, value, 1, 1024);
                default -> throw new IllegalArgumentException("'" + spec + "': unknown option '" + o
                        + "' after --; the options are port=<name|id> and burst=<n> (" + SYNTAX + ")");
            }
        }
        boolean shared = eal.stream().noneMatch(a -> a.equals("--in-memory") || a.equals("--no-shconf")
                || a.equals("--file-prefix") || a.startsWith("--file-prefix="));
        if (shared) {
            eal.add("--in-memory");
        }
        return new DpdkSpec(List.copyOf(eal), port, burst);
    }

    /** Splits at unquoted white space; quotes group and are removed. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0; else word.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced " + quote + " in 'dpdk:" + text + "': close the quote");
        }
        if (inWord) out.add(word.toString());
        return out;
    }

}
