package dev.terway.netstate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A route of the main table as `ip -j route show` reports it. Absent fields are the kernel's defaults
 * (protocol boot, scope universe, type unicast). {@code dst} is a prefix or `default`.
 *
 * @param expires seconds until the kernel deletes the route (IPv6 only; routes learnt from router
 *                advertisements have one); empty for a permanent route
 * @param metrics the route attributes `ip` lists under "metrics" ({@code hoplimit}, {@code mtu}, …), by their
 *                name in `ip -j`, with the value as text (empty for a flag such as {@code ecn})
 */
public record Route(Family family, String dst, Optional<String> gateway, Optional<String> dev,
                    Optional<String> protocol, Optional<String> scope, Optional<String> prefsrc,
                    Optional<Integer> metric, Set<String> flags, Optional<String> type, Optional<String> pref,
                    Optional<Integer> expires, Map<String, String> metrics) {

    public Route {
        flags = Set.copyOf(flags);
        metrics = Map.copyOf(metrics);
    }

    /** A permanent route without metrics. */
    public Route(Family family, String dst, Optional<String> gateway, Optional<String> dev,
                 Optional<String> protocol, Optional<String> scope, Optional<String> prefsrc,
                 Optional<Integer> metric, Set<String> flags, Optional<String> type, Optional<String> pref) {
        this(family, dst, gateway, dev, protocol, scope, prefsrc, metric, flags, type, pref, Optional.empty(),
                Map.of());
    }

    /** Routes whose protocol says the kernel made them (for an address, or from a router advertisement). */
    public boolean isKernelRoute() {
        return protocol.filter("kernel"::equals).isPresent();
    }

    /** Routes the kernel learnt from a router advertisement as a default router or route information. */
    public boolean isRaRoute() {
        return protocol.filter("ra"::equals).isPresent();
    }

    public boolean isDefault() {
        return "default".equals(dst);
    }

    public Route withDev(String device) {
        return new Route(family, dst, gateway, Optional.of(device), protocol, scope, prefsrc, metric, flags, type,
                pref, expires, metrics);
    }

    public Route withExpires(Optional<Integer> seconds) {
        return new Route(family, dst, gateway, dev, protocol, scope, prefsrc, metric, flags, type, pref, seconds,
                metrics);
    }

    /** The arguments after `ip -4|-6 route replace` that create exactly this route. */
    public List<String> args() {
        List<String> args = new ArrayList<>();
        type.ifPresent(args::add);
        args.add(dst);
        gateway.ifPresent(g -> args.addAll(List.of("via", g)));
        dev.ifPresent(d -> args.addAll(List.of("dev", d)));
        protocol.ifPresent(p -> args.addAll(List.of("proto", p)));
        scope.ifPresent(s -> args.addAll(List.of("scope", s)));
        prefsrc.ifPresent(s -> args.addAll(List.of("src", s)));
        metric.ifPresent(m -> args.addAll(List.of("metric", Integer.toString(m))));
        expires.ifPresent(e -> args.addAll(List.of("expires", Integer.toString(e))));
        new TreeMap<>(metrics).forEach((name, value) -> args.addAll(metricArgs(name, value)));
        pref.ifPresent(p -> args.addAll(List.of("pref", p)));
        if (flags.contains("onlink")) {
            args.add("onlink");
        }
        args.addAll(List.of("table", "main"));
        return args;
    }

    /**
     * How `ip route` takes back what `ip -j` printed under "metrics": mostly the same name and number, but
     * times come as milliseconds, the congestion algorithm is set with {@code congctl} and the ECN feature
     * with {@code features ecn}. (`ip -j` does not show which metrics are locked, so locks cannot be kept.)
     */
    private static List<String> metricArgs(String name, String value) {
        return switch (name) {
            case "congestion" -> List.of("congctl", value);
            case "ecn" -> List.of("features", "ecn");
            case "rtt", "rttvar", "rto_min" -> List.of(name, value + "ms");
            default -> List.of(name, value);
        };
    }

    /** Identity for comparisons across states: everything but the device. */
    public Route withoutDev() {
        return new Route(family, dst, gateway, Optional.empty(), protocol, scope, prefsrc, metric, flags, type, pref,
                expires, metrics);
    }
}
