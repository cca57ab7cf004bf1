package io.jverbs.perftest.report;

import java.util.List;
import java.util.Map;

/** A minimal strict JSON writer for jperf's documents (maps keep their order; NaN/infinity become null). */
public final class Json {
    private Json() {
    }

    /** Serialises maps, lists, strings, numbers, booleans and null, indented by two spaces. */
    public static String write(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, 0);
        return s.append('\n').toString();
    }

    private static void write(StringBuilder s, Object v, int indent) {
        switch (v) {
            case null -> s.append("null");
            case String str -> string(s, str);
            case Boolean b -> s.append(b);
            case Double d -> s.append(Double.isFinite(d) ? CFormat.f("%s", d) : "null");
            case Float fl -> write(s, fl.doubleValue(), indent);
            case Number n -> s.append(n.longValue());
            case Map<?, ?> map -> {
                s.append('{');
                int i = 0;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    s.append(i++ == 0 ? "\n" : ",\n").append("  ".repeat(indent + 1));
                    string(s, String.valueOf(e.getKey()));
                    s.append(": ");
                    write(s, e.getValue(), indent + 1);
                }
                s.append(map.isEmpty() ? "}" : "\n" + "  ".repeat(indent) + "}");
            }
            case List<?> list -> {
                s.append('[');
                for (int i = 0; i < list.size(); i++) {
                    s.append(i == 0 ? "\n" : ",\n").append("  ".repeat(indent + 1));
                    write(s, list.get(i), indent + 1);
                }
                s.append(list.isEmpty() ? "]" : "\n" + "  ".repeat(indent) + "]");
            }
            default -> string(s, v.toString());
        }
    }

    private static void string(StringBuilder s, String str) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(CFormat.f("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
