package dev.terway.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/**
 * How an event becomes one line. Both formats have the same keys in the same order: {@code time},
 * {@code level}, {@code event}; for a pod line {@code containerId}, {@code podNamespace}, {@code podName},
 * {@code ifname}; the event's own fields; {@code msg} last.
 *
 * <ul>
 *   <li>{@link #TEXT}: {@code key=value} pairs separated by one space (logfmt). A value is written bare when it
 *   is made of printable ASCII other than space, {@code "}, {@code =} and {@code \}; otherwise it is quoted,
 *   with {@code \"}, {@code \\}, {@code \n}, {@code \r}, {@code \t} and {@code \}{@code uXXXX} for every other
 *   control or line-separating character. So a value (a pod's name, a server's message) can neither end the
 *   line nor look like another key.</li>
 *   <li>{@link #JSON}: one JSON object per line (Jackson escapes what JSON requires); pod keys of an unknown
 *   namespace or name are null.</li>
 * </ul>
 */
public enum LogFormat {
    TEXT {
        @Override
        public String format(LoggedEvent logged) {
            LogEvent e = logged.event();
            StringBuilder line = new StringBuilder(160);
            pair(line, "time", logged.time().toString());
            pair(line, "level", e.level().text());
            pair(line, "event", e.event());
            e.pod().ifPresent(pod -> {
                pair(line, "containerId", pod.containerId());
                pair(line, "podNamespace", pod.namespace().orElse(""));
                pair(line, "podName", pod.name().orElse(""));
                pair(line, "ifname", pod.ifname());
            });
            for (Map.Entry<String, String> f : e.fields().entrySet()) {
                pair(line, f.getKey(), f.getValue());
            }
            pair(line, "msg", e.message());
            return line.toString();
        }
    },
    JSON {
        @Override
        public String format(LoggedEvent logged) {
            LogEvent e = logged.event();
            ObjectNode node = MAPPER.createObjectNode();
            node.put("time", logged.time().toString());
            node.put("level", e.level().text());
            node.put("event", e.event());
            e.pod().ifPresent(pod -> {
                node.put("containerId", pod.containerId());
                node.put("podNamespace", pod.namespace().orElse(null));
                node.put("podName", pod.name().orElse(null));
                node.put("ifname", pod.ifname());
            });
            e.fields().forEach(node::put);
            node.put("msg", e.message());
            try {
                return MAPPER.writeValueAsString(node);
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("a log event could not be written as JSON", ex);
            }
        }
    };

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The event as one line, without the line end. */
    public abstract String format(LoggedEvent logged);

    /** {@code text} or {@code json}, as {@code --log-format} takes it. */
    public static LogFormat parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("log format must be text or json, got \"" + name + "\"");
        };
    }

    private static void pair(StringBuilder line, String key, String value) {
        if (!line.isEmpty()) {
            line.append(' ');
        }
        line.append(key).append('=');
        if (isBare(value)) {
            line.append(value);
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }

    /** A value that reads back as itself without quotes. */
    static boolean isBare(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** Control characters and the Unicode line and paragraph separators, which some viewers break lines at. */
    private static boolean needsEscape(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }
}
