package dev.terway.cni.json;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes the values {@link MiniJson} reads back as compact JSON text, with java.base only. Used for CNI
 * documents: by the thin client for the daemon request, the VERSION answer and error results, by the daemon
 * for results (why not Jackson: {@link MiniJson}).
 */
public final class JsonText {

    private JsonText() {
    }

    /** A JSON string literal for {@code s}, quotes included. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2);
        appendQuoted(out, s);
        return out.toString();
    }

    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value);
        return out.toString();
    }

    public static void append(StringBuilder out, Object value) {
        if (value == null || value == MiniJson.NULL) {
            out.append("null");
        } else if (value instanceof String s) {
            appendQuoted(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue() ? "true" : "false");
        } else if (value instanceof JsonNumber n) {
            out.append(n.text());
        } else if (value instanceof Integer || value instanceof Long) {
            out.append(value.toString());
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                appendQuoted(out, (String) e.getKey());
                out.append(':');
                append(out, e.getValue());
                if (it.hasNext()) {
                    out.append(',');
                }
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                append(out, list.get(i));
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void appendQuoted(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (Character.isSurrogate(c) && !pairedAt(s, i)) {
                        // A lone surrogate (hostile input echoed in an error) is not Unicode; strict readers,
                        // this project's included, refuse "\ud800". The replacement character is what
                        // lenient ones would make of it anyway.
                        out.append("\\ufffd");
                    } else if (c < 0x20 || c == 0x7f) {
                        String h = Integer.toHexString(c);
                        out.append("\\u").append("0000", 0, 4 - h.length()).append(h);
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** True when the surrogate at {@code i} is half of a valid pair, so it can be written as is. */
    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
