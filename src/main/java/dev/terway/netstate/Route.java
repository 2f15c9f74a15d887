package dev.terway.netstate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A route of the main table as `ip -j route show` reports it. Absent fields are the kernel's defaults
 * (protocol boot, scope universe, type unicast). {@code dst} is a prefix or `default`.
 */
public record Route(Family family, String dst, Optional<String> gateway, Optional<String> dev,
                    Optional<String> protocol, Optional<String> scope, Optional<String> prefsrc,
                    Optional<Integer> metric, Set<String> flags, Optional<String> type, Optional<String> pref) {

    public Route {
        flags = Set.copyOf(flags);
    }

    /** Routes the kernel makes by itself for every address; they follow the address when it moves. */
    public boolean isKernelRoute() {
        return protocol.filter("kernel"::equals).isPresent();
    }

    public boolean isDefault() {
        return "default".equals(dst);
    }

    public Route withDev(String device) {
        return new Route(family, dst, gateway, Optional.of(device), protocol, scope, prefsrc, metric, flags, type,
                pref);
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
        pref.ifPresent(p -> args.addAll(List.of("pref", p)));
        if (flags.contains("onlink")) {
            args.add("onlink");
        }
        args.addAll(List.of("table", "main"));
        return args;
    }

    /** Identity for comparisons across states: everything but the device. */
    public Route withoutDev() {
        return new Route(family, dst, gateway, Optional.empty(), protocol, scope, prefsrc, metric, flags, type, pref);
    }
}
