package dev.terway.migration;

import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plans moving main-table routes from one device to another so that no destination is ever without a
 * route, for setup (NIC to bridge) and teardown (bridge to NIC) alike.
 *
 * <p>Routes with a gateway move with {@code ip route replace}: the kernel swaps the route with the same
 * destination and metric in one operation, so there is neither a gap nor a duplicate. The kernel only
 * accepts such a route if its gateway is reachable through the new device, so the routes without a
 * gateway (link routes) must be on the new device first, and, for the undo that runs in reverse order,
 * still be on the old device until the gateway routes have moved back. A link route therefore moves in
 * two steps: a copy is appended on the new device {@link Moves#early() early}, and the original is
 * deleted {@link Moves#late() late}, after the gateway routes. Both copies lead to the same segment
 * (the NIC is a port of the bridge), so the brief duplicate is harmless.
 */
final class RouteMover {

    /**
     * @param early link-route copies, then gateway-route replacements; run after the addresses are on the
     *              new device (their kernel prefix routes make the gateways reachable there)
     * @param late  deletions of the link routes from the old device; run before the addresses leave it
     */
    record Moves(List<Step> early, List<Step> late) {
    }

    private RouteMover() {
    }

    /**
     * @param routes the routes as they are (or were) on {@code from}; those already on {@code to} are skipped
     */
    static Moves plan(NetState state, List<Route> routes, String from, String to) throws MigrationException {
        List<Step> copies = new ArrayList<>();
        List<Step> replaces = new ArrayList<>();
        List<Step> deletes = new ArrayList<>();
        for (Route original : routes) {
            // A route that expires moves with the lifetime it has left now, not the one it had when recorded.
            Route live = NetIdentity.current(state, original.withDev(from))
                    .or(() -> NetIdentity.current(state, original.withDev(to))).orElse(original);
            Route source = live.withDev(from);
            Route target = live.withDev(to);
            boolean onSource = NetIdentity.hasRoute(state, source);
            boolean onTarget = NetIdentity.hasRoute(state, target);
            String what = NetIdentity.describe(original.withDev(from));
            if (source.gateway().isEmpty()) {
                if (!onTarget) {
                    copies.add(Step.undoable(onSource
                                    ? "copy link route " + what + " to " + to
                                    + "; the original stays until the gateway routes that need it have moved"
                                    : "add link route " + NetIdentity.describe(original.withDev(to))
                                    + " as recorded; it is on no device now",
                            ip(target, "append"), ip(target, "del")));
                }
                if (onSource) {
                    deletes.add(Step.undoable("remove link route " + original.dst() + " from " + from
                                    + "; its copy on " + to + " is in place",
                            ip(source, "del"), ip(source, "append")));
                }
            } else if (onSource && onTarget) {
                // Someone has both; replace could hit either, so remove the stale one by its exact match.
                deletes.add(Step.undoable("remove route " + what + "; the same route is already on " + to,
                        ip(source, "del"), ip(source, "append")));
            } else if (!onTarget) {
                refuseAmbiguousReplace(state, source, target, from, to);
                replaces.add(Step.undoable(onSource
                                ? "move route " + what + " to " + to
                                + "; replace swaps it in one operation, without gap or duplicate"
                                : "add route " + NetIdentity.describe(original.withDev(to))
                                + " as recorded; it is on no device now",
                        ip(target, "replace"),
                        onSource ? ip(source, "replace") : ip(target, "del")));
            }
        }
        List<Step> early = new ArrayList<>(copies);
        early.addAll(replaces);
        return new Moves(early, deletes);
    }

    /**
     * {@code ip route replace} replaces the first route with the same destination and metric, whatever its
     * device. If another device has such a route too, the replace might take that one instead.
     */
    private static void refuseAmbiguousReplace(NetState state, Route source, Route target, String from, String to)
            throws MigrationException {
        Route sourceConfig = NetIdentity.configuration(source);
        Route targetConfig = NetIdentity.configuration(target);
        for (Route other : state.routes()) {
            Route otherConfig = NetIdentity.configuration(other);
            if (NetIdentity.sameReplaceKey(other, source) && !otherConfig.equals(sourceConfig)
                    && !otherConfig.equals(targetConfig)) {
                throw new MigrationException("cannot move route " + NetIdentity.describe(source) + " from " + from
                        + " to " + to + ": route " + NetIdentity.describe(other)
                        + " has the same destination and metric, and `ip route replace` could replace that one"
                        + " instead; give one of them a different metric first");
            }
        }
    }

    private static List<String> ip(Route route, String verb) {
        List<String> argv = new ArrayList<>(List.of("ip", route.family().flag(), "route", verb));
        // A deletion names the route; its remaining lifetime is not part of the name.
        argv.addAll((verb.equals("del") ? route.withExpires(Optional.empty()) : route).args());
        return argv;
    }
}
