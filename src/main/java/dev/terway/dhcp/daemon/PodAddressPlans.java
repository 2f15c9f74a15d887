package dev.terway.dhcp.daemon;

import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.Step;
import java.net.Inet4Address;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Plans that keep a pod's address in step with its lease, as pure functions of what the pod has
 * (observed with `ip -j` inside its netns) and the lease. Every command runs in the pod's netns through
 * {@code nsenter --net=<netns>}.
 */
public final class PodAddressPlans {

    private PodAddressPlans() {
    }

    /**
     * After a renewal: the address gets the new lifetimes, so the kernel neither expires it early nor
     * keeps it past the lease. Only if it is there: a missing address was removed on purpose (CNI DEL
     * in progress, an operator), and a renewal is no reason to put it back.
     */
    public static Plan refresh(HeldLease lease, List<IpAddress> observed, Instant now) {
        if (!holds(observed, lease)) {
            return Plan.empty();
        }
        return Plan.builder().add(Step.of("lease of " + lease.identity().describe() + " renewed until "
                + lease.expires() + ": extend the address's lifetime", changeArgv(lease, now))).build();
    }

    /** After the lease ended (expiry, NAK): the address must not stay in use by a pod that no longer owns it. */
    public static Plan remove(PodIdentity pod, String cidr, List<IpAddress> observed, String why) {
        boolean present = observed.stream()
                .anyMatch(a -> a.dev().equals(pod.ifname()) && a.cidr().equals(cidr));
        if (!present) {
            return Plan.empty();
        }
        return Plan.builder().add(Step.of("lease of " + pod.describe() + " ended (" + why + "): remove its address",
                inPod(pod, "ip", "-4", "addr", "del", cidr, "dev", pod.ifname()))).build();
    }

    /**
     * After a lease was obtained again (re-acquired after expiry, or restored after the daemon was down
     * long enough for the kernel to drop the address): put the address back with the lease's lifetimes,
     * and the lease's routes that went with it. When the address is still there this is a refresh.
     */
    public static Plan restore(HeldLease lease, List<IpAddress> observed, List<Route> observedRoutes, Instant now) {
        if (holds(observed, lease)) {
            return refresh(lease, observed, now);
        }
        PodIdentity pod = lease.identity();
        long lifetime = lifetime(lease, now);
        Plan.Builder plan = Plan.builder();
        plan.add(Step.undoable("lease of " + pod.describe() + " obtained again: restore the address "
                        + lease.cidr(),
                inPod(pod, "ip", "-4", "addr", "add", lease.cidr(), "dev", pod.ifname(),
                        "valid_lft", Long.toString(lifetime), "preferred_lft", Long.toString(lifetime)),
                inPod(pod, "ip", "-4", "addr", "del", lease.cidr(), "dev", pod.ifname())));
        Set<String> present = observedRoutes.stream().map(r -> normalise(r.dst())).collect(Collectors.toSet());
        for (LeaseRoute route : routesOf(lease)) {
            if (present.contains(route.destinationCidr())) {
                continue;
            }
            List<String> args = new ArrayList<>(List.of("ip", "-4", "route", "replace", route.destinationCidr()));
            if (!route.gateway().isAnyLocalAddress()) {
                args.addAll(List.of("via", route.gateway().getHostAddress()));
            }
            args.addAll(List.of("dev", pod.ifname()));
            plan.add(Step.of("restore the lease's route to " + route.destinationCidr(),
                    inPod(pod, args.toArray(String[]::new))));
        }
        return plan.build();
    }

    /** The routes the lease implies: its classless routes (RFC 3442), else a default route via option 3. */
    static List<LeaseRoute> routesOf(HeldLease lease) {
        if (!lease.routes().isEmpty()) {
            return lease.routes();
        }
        return lease.gateway().map(gw -> List.of(new LeaseRoute(zero(), 0, gw))).orElse(List.of());
    }

    private static boolean holds(List<IpAddress> observed, HeldLease lease) {
        return observed.stream().anyMatch(a -> a.dev().equals(lease.ifname()) && a.cidr().equals(lease.cidr()));
    }

    private static List<String> changeArgv(HeldLease lease, Instant now) {
        long lifetime = lifetime(lease, now);
        return inPod(lease.identity(), "ip", "-4", "addr", "change", lease.cidr(), "dev", lease.ifname(),
                "valid_lft", Long.toString(lifetime), "preferred_lft", Long.toString(lifetime));
    }

    /** Seconds left on the lease; at least 1, since 0 would make the kernel drop the address at once. */
    private static long lifetime(HeldLease lease, Instant now) {
        return Math.max(1, lease.remainingSeconds(now));
    }

    static List<String> inPod(PodIdentity pod, String... argv) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + pod.netns()));
        full.addAll(List.of(argv));
        return full;
    }

    /** `ip -j route` writes 0.0.0.0/0 as "default" and host routes without "/32". */
    private static String normalise(String dst) {
        if ("default".equals(dst)) {
            return "0.0.0.0/0";
        }
        return dst.contains("/") ? dst : dst + "/32";
    }

    private static Inet4Address zero() {
        return Ipv4Text.parse("0.0.0.0", "any");
    }
}
