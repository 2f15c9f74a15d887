package dev.terway.metrics;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the daemon serves {@code /metrics}: {@code HOST:PORT}, the host an IPv4 address, a name, or an IPv6
 * address in brackets ({@code [::1]:9153}). The host must be given: an empty one would listen on every address
 * of the node, which must be asked for explicitly ({@code 0.0.0.0:PORT}).
 */
public record MetricsAddress(String host, int port) {

    private static final Pattern FORM = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)\\]|([A-Za-z0-9.-]+)):(\\d{1,5})");

    public MetricsAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the metrics address needs a host, such as 127.0.0.1:9153 (0.0.0.0:9153"
                    + " listens on every address)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the metrics port must be 1..65535, got " + port);
        }
    }

    /** Parses {@code HOST:PORT}; the message says what is wrong and what is expected. */
    public static MetricsAddress parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("metrics address '" + text + "' is not HOST:PORT (for example"
                    + " 127.0.0.1:9153, or [::1]:9153 for IPv6)");
        }
        String host = m.group(1) != null ? m.group(1) : m.group(2);
        return new MetricsAddress(host, Integer.parseInt(m.group(3)));
    }

    /** The URL of the metrics page. */
    public String url() {
        return "http://" + this + "/metrics";
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
