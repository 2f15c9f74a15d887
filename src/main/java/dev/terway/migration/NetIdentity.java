package dev.terway.migration;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * When two observations of an address or route mean the same configuration. {@code ip -j} also reports
 * things that change on their own (remaining lifetimes, the {@code linkdown} flag while a port has no
 * carrier); comparing those would make a migrated node look unmigrated.
 */
final class NetIdentity {

    private NetIdentity() {
    }

    /** The kernel's identity of an address on one device: family, address and prefix length. */
    static boolean sameAddress(IpAddress a, IpAddress b) {
        return a.family() == b.family() && a.local().equals(b.local()) && a.prefixLen() == b.prefixLen();
    }

    static boolean hasAddress(NetState state, String dev, IpAddress a) {
        return state.addressesOf(dev).stream().anyMatch(b -> sameAddress(a, b));
    }

    /** Everything an operator configured about an address; remaining lifetimes only as "permanent or not". */
    static IpAddress configuration(IpAddress a) {
        long valid = a.isPermanent() ? IpAddress.FOREVER : 0;
        long preferred = a.preferredLifetime() == IpAddress.FOREVER ? IpAddress.FOREVER : 0;
        return new IpAddress(a.dev(), a.family(), a.local(), a.prefixLen(), a.scope(), a.secondary(), a.broadcast(),
                a.label(), valid, preferred, a.flags(), a.metric());
    }

    /**
     * A route with only the flags that are configuration ({@code onlink}), not state ({@code linkdown}), and
     * its remaining lifetime only as "expires or not".
     */
    static Route configuration(Route r) {
        Set<String> flags = r.flags().contains("onlink") ? Set.of("onlink") : Set.of();
        return new Route(r.family(), r.dst(), r.gateway(), r.dev(), r.protocol(), r.scope(), r.prefsrc(), r.metric(),
                flags, r.type(), r.pref(), r.expires().map(e -> 0), r.metrics());
    }

    /** The route of {@code state} that is {@code r}'s configuration, as it is now (remaining lifetime). */
    static Optional<Route> current(NetState state, Route r) {
        Route wanted = configuration(r);
        return state.routes().stream().filter(s -> configuration(s).equals(wanted)).findFirst();
    }

    static boolean hasRoute(NetState state, Route r) {
        Route wanted = configuration(r);
        return state.routes().stream().anyMatch(s -> configuration(s).equals(wanted));
    }

    /** The metric the kernel uses when none is given: 0 for IPv4, 1024 for IPv6. */
    static int metric(Route r) {
        return r.metric().orElse(r.family() == Family.INET ? 0 : 1024);
    }

    /**
     * The key under which {@code ip route replace} finds the route it replaces in the main table: family,
     * destination and metric. The device is not part of it.
     */
    static boolean sameReplaceKey(Route a, Route b) {
        return a.family() == b.family() && a.dst().equals(b.dst()) && metric(a) == metric(b);
    }

    /** A route as an operator writes it, e.g. {@code default via 10.0.0.1 dev eth0 metric 100}, without expiry. */
    static String describe(Route r) {
        List<String> args = r.withExpires(Optional.empty()).args();
        return String.join(" ", args.subList(0, args.size() - 2)); // without the trailing "table main"
    }
}
