package dev.terway.it;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.NetStateReader;
import dev.terway.netstate.Route;
import dev.terway.plan.ShellQuote;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The observable network state of one namespace (links, addresses, main-table routes), read through
 * the product's own `ip -j` parser, in a normalised form that two snapshots can be compared in:
 * one sorted text line per object, without what the kernel changes by itself (interface indexes,
 * operstate, counters, remaining lifetimes).
 *
 * <p>Remaining lifetimes count down between two snapshots and are refreshed by every router
 * advertisement, so they are compared only as "finite or not": an address line says {@code dynamic},
 * a route line says {@code expires} without the seconds. Everything else stays: an address's
 * configuration flags ({@code mngtmpaddr}, {@code noprefixroute}) and a route's metrics ({@code hoplimit})
 * are configuration that a move must keep. ({@code nodad}, which terway adds to every IPv6 address it
 * moves, is not read at all: see {@link IpAddress#CONFIGURATION_FLAGS}.)
 */
record NsState(List<String> links, List<String> addresses, List<String> routes) {

    static NsState read(String namespace) {
        return of(observe(namespace));
    }

    /** The raw state of {@code namespace}, from the product's reader run inside it. */
    static NetState observe(String namespace) {
        NetStateReader reader = new NetStateReader(
                argv -> Cmd.run(Stream.concat(Stream.of("ip", "netns", "exec", namespace), argv.stream()).toList()));
        return reader.read();
    }

    static NsState of(NetState state) {
        return of(state, x -> true);
    }

    /** Only the parts of {@code state} that {@code keep} accepts (a device, a family, …). */
    static NsState of(NetState state, Predicate<Object> keep) {
        return new NsState(
                sorted(state.links().stream().filter(keep).map(NsState::line)),
                sorted(state.addresses().stream().filter(keep).map(NsState::line)),
                sorted(state.routes().stream().filter(keep).map(NsState::line)));
    }

    static String line(Link l) {
        return l.name() + " mtu " + l.mtu() + " mac " + l.mac()
                + l.master().map(m -> " master " + m).orElse("")
                + l.kind().map(k -> " kind " + k).orElse("")
                + l.slaveKind().map(k -> " slave " + k).orElse("")
                + " <" + String.join(",", new TreeSet<>(l.flags())) + ">";
    }

    static String line(IpAddress a) {
        return a.dev() + " " + a.family().jsonName() + " " + a.cidr() + " scope " + a.scope()
                + a.broadcast().map(b -> " brd " + b).orElse("")
                + a.label().filter(lbl -> !lbl.equals(a.dev())).map(lbl -> " label " + lbl).orElse("")
                + (a.secondary() ? " secondary" : "")
                + (a.isPermanent() ? "" : " dynamic")
                + new TreeSet<>(a.flags()).stream().map(f -> " " + f).collect(Collectors.joining())
                + a.metric().map(m -> " metric " + m).orElse("");
    }

    static String line(Route r) {
        TreeSet<String> flags = new TreeSet<>(r.flags());
        flags.remove("onlink"); // already among args()
        List<String> args = new ArrayList<>(r.args());
        args.removeAll(List.of("table", "main")); // every route read here is from the main table
        int expires = args.indexOf("expires");
        if (expires >= 0) {
            args.remove(expires + 1); // the seconds left: they count down
        }
        return r.family().jsonName() + " " + ShellQuote.join(args) + (flags.isEmpty() ? "" : " <" + String.join(",", flags) + ">");
    }

    /** Link-local IPv6 (fe80::/64) is the kernel's own business on every interface, bridge ports included. */
    static boolean isLinkLocal(Object o) {
        if (o instanceof IpAddress a) {
            return a.family() == Family.INET6 && a.local().toLowerCase().startsWith("fe80:");
        }
        if (o instanceof Route r) {
            return r.family() == Family.INET6 && r.dst().toLowerCase().startsWith("fe80:");
        }
        return false;
    }

    static boolean onDevice(Object o, String dev) {
        if (o instanceof Link l) {
            return l.name().equals(dev);
        }
        if (o instanceof IpAddress a) {
            return a.dev().equals(dev);
        }
        if (o instanceof Route r) {
            return r.dev().filter(dev::equals).isPresent();
        }
        return false;
    }

    /** The routes of {@code state} that are not link-local, as they would read with {@code from} renamed {@code to}. */
    static List<String> routesMoved(NetState state, String from, String to) {
        return sorted(state.routes().stream()
                .filter(r -> !isLinkLocal(r))
                .map(r -> r.dev().filter(from::equals).isPresent() ? r.withDev(to) : r)
                .map(NsState::line));
    }

    /** The global (non-link-local) addresses of {@code from} in {@code state}, as they would read on {@code to}. */
    static List<String> addressesMoved(NetState state, String from, String to) {
        return sorted(state.addressesOf(from).stream()
                .filter(a -> !isLinkLocal(a))
                .map(a -> new IpAddress(to, a.family(), a.local(), a.prefixLen(), a.scope(), a.secondary(),
                        a.broadcast(), a.label().map(l -> l.startsWith(from) ? to + l.substring(from.length()) : l),
                        a.validLifetime(), a.preferredLifetime(), a.flags(), a.metric()))
                .map(NsState::line));
    }

    static List<String> addressesWithoutLinkLocal(NetState state, String dev) {
        return sorted(state.addressesOf(dev).stream().filter(a -> !isLinkLocal(a)).map(NsState::line));
    }

    static List<String> routesWithoutLinkLocal(NetState state) {
        return sorted(state.routes().stream().filter(r -> !isLinkLocal(r)).map(NsState::line));
    }

    /** An empty string when equal, else the lines only one side has, for an assertion message. */
    String diff(NsState other) {
        StringBuilder out = new StringBuilder();
        diff("link", links, other.links, out);
        diff("address", addresses, other.addresses, out);
        diff("route", routes, other.routes, out);
        return out.toString();
    }

    static String diffLines(String what, List<String> expected, List<String> actual) {
        StringBuilder out = new StringBuilder();
        diff(what, expected, actual, out);
        return out.toString();
    }

    private static void diff(String what, List<String> expected, List<String> actual, StringBuilder out) {
        for (String l : expected) {
            if (!actual.contains(l)) {
                out.append("\n  missing ").append(what).append(": ").append(l);
            }
        }
        for (String l : actual) {
            if (!expected.contains(l)) {
                out.append("\n  unexpected ").append(what).append(": ").append(l);
            }
        }
        if (out.isEmpty() && !expected.equals(actual)) {
            out.append("\n  ").append(what).append(" lists differ in multiplicity: ")
                    .append(expected).append(" vs ").append(actual);
        }
    }

    private static List<String> sorted(Stream<String> lines) {
        return lines.sorted().collect(Collectors.toList());
    }
}
