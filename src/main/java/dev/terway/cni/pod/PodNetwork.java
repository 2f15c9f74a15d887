package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The one planner of a pod's network: what the pod should have ({@link Target}: address, routes including the
 * service networks and the fallback default route via the node's gateway, {@code onlink} where a gateway lies
 * outside the pod's subnet, MTU) and what it has ({@link Observed}, from `ip -j` in its netns) make a plan of
 * {@code nsenter --net=… ip …} steps. ADD plans against a fresh link; the daemon plans against what it observes
 * whenever the lease is bound again (renewed, restored after a restart, re-acquired after a loss), and so puts
 * back whatever it can see is missing. Pure: no command runs here.
 *
 * <p>IPv6 ({@link Target#ipv6()}, {@link PodIpv6}) goes through the same plan: the interface's RA settings, a
 * DHCPv6 address with its lifetimes, the IPv6 service routes, each family in its own {@code ip -4|-6 -batch -}.
 * What the kernel owns (SLAAC addresses, the default route it learnt from RAs) is checked, never set: it is
 * reported in {@link Repair#leftToKernel()}, and so in CHECK's drift.
 */
public final class PodNetwork {

    /** The smallest MTU an IPv4 interface may have (RFC 791), and so the smallest option 26 taken. */
    public static final int MIN_MTU = 68;

    /** Seconds an address's lifetime may be off the lease's before it is set again. */
    static final long LIFETIME_SLACK = 2;

    private PodNetwork() {
    }

    /**
     * What the pod interface should have.
     *
     * @param cidr         its IPv4 address; absent: none (an IPv6-only pod, {@code "ipv4": false})
     * @param lifetime     the address's valid and preferred lifetime in seconds (a lease's remaining time);
     *                     absent: forever
     * @param serviceCidrs the service networks among {@code routes}, for naming them in what is repaired
     * @param mtu          the interface's MTU; absent: not managed (unknown bridge)
     * @param mtuNote      why the source's MTU was not taken, when it was not
     * @param ipv6         the pod's IPv6; absent: this plan leaves IPv6 alone (an IPv4 lease's upkeep)
     */
    public record Target(Path netns, String ifname, Optional<Ipv4Cidr> cidr, OptionalLong lifetime,
                         List<PodRoute> routes, List<Ipv4Cidr> serviceCidrs, OptionalInt mtu,
                         Optional<String> mtuNote, Optional<PodIpv6> ipv6) {

        public Target {
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(ifname, "ifname");
            Objects.requireNonNull(cidr, "cidr");
            routes = List.copyOf(routes);
            serviceCidrs = List.copyOf(serviceCidrs);
            Objects.requireNonNull(ipv6, "ipv6");
        }

        /** IPv4 only: the plan leaves IPv6 alone. */
        public Target(Path netns, String ifname, Ipv4Cidr cidr, OptionalLong lifetime, List<PodRoute> routes,
                      List<Ipv4Cidr> serviceCidrs, OptionalInt mtu, Optional<String> mtuNote) {
            this(netns, ifname, Optional.of(cidr), lifetime, routes, serviceCidrs, mtu, mtuNote, Optional.empty());
        }

        /** A pod without IPv4 ({@code "ipv4": false}): the MTU and {@code v6}. */
        public static Target ipv6Only(Path netns, String ifname, OptionalInt mtu, PodIpv6 v6) {
            return new Target(netns, ifname, Optional.empty(), OptionalLong.empty(), List.of(), List.of(), mtu,
                    Optional.empty(), Optional.of(v6));
        }

        public Target withIpv6(PodIpv6 v6) {
            return new Target(netns, ifname, cidr, lifetime, routes, serviceCidrs, mtu, mtuNote, Optional.of(v6));
        }
    }

    /**
     * What the pod interface has: its MTU (absent: unknown), addresses (both families) and the netns's
     * main-table routes (IPv4, and IPv6 where the target has IPv6; each route says its family).
     * {@code fresh}: a link ADD just created, not observed; what it lacks is not drift.
     *
     * @param ipv6Sysctls the interface's {@code net.ipv6.conf} values by name, where they were read (CHECK);
     *                    empty: not read, not compared
     */
    public record Observed(OptionalInt mtu, List<IpAddress> addresses, List<Route> routes, boolean fresh,
                           Map<String, String> ipv6Sysctls) {

        public Observed {
            addresses = List.copyOf(addresses);
            routes = List.copyOf(routes);
            ipv6Sysctls = Map.copyOf(ipv6Sysctls);
        }

        public Observed(OptionalInt mtu, List<IpAddress> addresses, List<Route> routes, boolean fresh) {
            this(mtu, addresses, routes, fresh, Map.of());
        }

        /** What `ip -j` showed. */
        public Observed(OptionalInt mtu, List<IpAddress> addresses, List<Route> routes) {
            this(mtu, addresses, routes, false);
        }

        public Observed withIpv6Sysctls(Map<String, String> values) {
            return new Observed(mtu, addresses, routes, fresh, values);
        }

        /** A link just created with {@code mtu}: no address, no route. */
        public static Observed freshLink(int mtu) {
            return new Observed(OptionalInt.of(mtu), List.of(), List.of(), true);
        }
    }

    /**
     * The plan, and what it puts back that the pod should have had (empty for a fresh link or no drift).
     * {@code leftToKernel}: what the pod lacks that only the kernel makes (a SLAAC address, the default route
     * learnt from RAs), which the plan cannot put back.
     */
    public record Repair(Plan plan, List<String> repaired, List<String> leftToKernel) {

        public Repair {
            repaired = List.copyOf(repaired);
            leftToKernel = List.copyOf(leftToKernel);
        }

        public Repair(Plan plan, List<String> repaired) {
            this(plan, repaired, List.of());
        }
    }

    /**
     * What the pod should have for {@code address} on this node.
     *
     * @param mtuLimit the pod interface's MTU without an MTU from the source (the configuration's, else the
     *                 bridge's); an MTU from the source (DHCP option 26) is taken when it is not above it; 0 or
     *                 less: unknown, the MTU is left alone
     * @throws CniException when service networks are configured but the bridge has no address to route them via
     */
    public static Target target(Path netns, String ifname, PodAddress address, NodeView node,
                                List<Ipv4Cidr> serviceCidrs, int mtuLimit) throws CniException {
        List<PodRoute> routes = routes(address, node, serviceCidrs);
        OptionalInt mtu = OptionalInt.empty();
        Optional<String> note = Optional.empty();
        if (mtuLimit > 0) {
            mtu = OptionalInt.of(mtuLimit);
            if (address.mtu().isPresent()) {
                int offered = address.mtu().getAsInt();
                if (offered >= MIN_MTU && offered <= mtuLimit) {
                    mtu = OptionalInt.of(offered);
                } else {
                    note = Optional.of("the lease's MTU " + offered + " (option 26) is "
                            + (offered < MIN_MTU ? "below " + MIN_MTU : "above the bridge's " + mtuLimit)
                            + "; kept " + mtuLimit);
                }
            }
        }
        return new Target(netns, ifname, Optional.of(address.cidr()), address.lifetime(), routes, serviceCidrs, mtu,
                note, Optional.empty());
    }

    /**
     * The pod's routes. The default gateway is, in order: a default among the classless static routes,
     * the router the source named, the node's own default gateway. (RFC 3442 says to ignore the router
     * option when classless routes are present; a pod still needs a default route, so the router is used
     * only when the classless routes lack one.) The service networks go via the node's bridge address,
     * where kube-proxy answers. A gateway outside the pod's subnet is reached {@code onlink}.
     */
    public static List<PodRoute> routes(PodAddress address, NodeView node, List<Ipv4Cidr> serviceCidrs)
            throws CniException {
        Ipv4Cidr subnet = address.cidr().networkCidr();
        List<PodRoute> routes = new ArrayList<>();
        boolean hasDefault = false;
        for (PodAddress.SourceRoute r : address.routes()) {
            if (r.destination().networkCidr().equals(subnet) && r.gateway().isEmpty()) {
                continue; // the kernel made this one with the address
            }
            hasDefault |= r.destination().isDefault();
            routes.add(new PodRoute(r.destination().networkCidr(), r.gateway(),
                    r.gateway().map(g -> !subnet.contains(g)).orElse(false),
                    r.destination().isDefault() ? "default route named by the address source"
                            : "route named by the address source"));
        }
        if (!hasDefault) {
            Optional<Ipv4> gateway = address.router().or(node::defaultGateway);
            if (gateway.isPresent()) {
                routes.add(0, new PodRoute(new Ipv4Cidr(Ipv4.parseOrNull("0.0.0.0"), 0), gateway,
                        !subnet.contains(gateway.get()), address.router().isPresent()
                                ? "default route via the router the address source named"
                                : "default route via the node's default gateway (the source named no router)"));
            }
        }
        for (Ipv4Cidr service : serviceCidrs) {
            Ipv4 nodeAddress = node.bridgeAddress().map(Ipv4Cidr::address).orElseThrow(() ->
                    new CniException(CniErrorCode.NODE_NOT_SET_UP, "bridge " + node.bridge()
                            + " has no IPv4 address, so there is no node address to route service network "
                            + service + " through; run `terway setup` on this node"));
            routes.add(new PodRoute(service, Optional.of(nodeAddress), !subnet.contains(nodeAddress),
                    "service network via the node's bridge address, where kube-proxy answers"));
        }
        return routes;
    }

    /**
     * The plan that gives the pod what {@code target} says, from what it has: the MTU when it differs, the
     * address (added with its lifetime when missing, its lifetime extended when present), and every route
     * that is missing or goes another way ({@code ip route replace}). Several changes go as one
     * {@code ip -4 -batch -} in the pod: one process start instead of one per change (each ~18 ms through
     * nsenter on a small node). `ip -batch` stops at the first line that fails and exits non-zero. The batch
     * parser splits lines at blanks and treats quotes, backslashes and `#` specially; every word here is an
     * address, a number, a keyword or the interface name, and an interface name with one of those characters
     * (the kernel allows them) gets one command per change instead.
     */
    public static Repair plan(Target target, Observed observed) {
        String ifname = target.ifname();
        List<List<String>> changes = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        List<String> repaired = new ArrayList<>();
        if (target.mtu().isPresent() && !target.mtu().equals(observed.mtu())) {
            int mtu = target.mtu().getAsInt();
            changes.add(List.of("link", "set", "dev", ifname, "mtu", Integer.toString(mtu)));
            reasons.add("MTU " + mtu + " on " + ifname + target.mtuNote().map(n -> " (" + n + ")")
                    .orElse(" (the lease's interface MTU, option 26)"));
            if (!isFresh(observed)) {
                repaired.add("MTU of " + ifname + " was " + observed.mtu().getAsInt() + ", not " + mtu);
            }
        }
        if (target.cidr().isPresent()) {
            planAddress4(target, observed, changes, reasons, repaired);
        }
        List<Route> routes4 = observed.routes().stream().filter(r -> r.family() == Family.INET).toList();
        for (PodRoute r : target.routes()) {
            Optional<String> drift = routeDriftOf(r, routes4, ifname);
            if (drift.isEmpty()) {
                continue;
            }
            List<String> route = new ArrayList<>(List.of("route", "replace",
                    r.destination().isDefault() ? "default" : r.destination().toString()));
            r.via().ifPresent(g -> route.addAll(List.of("via", g.toString())));
            route.addAll(List.of("dev", ifname));
            if (r.via().isEmpty()) {
                route.addAll(List.of("scope", "link"));
            }
            if (r.onlink()) {
                route.add("onlink");
            }
            changes.add(route);
            reasons.add(r.why());
            if (!isFresh(observed)) {
                repaired.add(label(r, target) + " " + drift.get());
            }
        }
        Plan.Builder plan = Plan.builder().addAll(batch(target.netns(), "-4", changes, reasons));
        List<String> leftToKernel = new ArrayList<>();
        if (target.ipv6().isPresent()) {
            planIpv6(target, target.ipv6().get(), observed, plan, repaired, leftToKernel);
        }
        return new Repair(plan.build(), repaired, leftToKernel);
    }

    /** The IPv4 address part of {@link #plan}: added when missing, its lifetime extended when off. */
    private static void planAddress4(Target target, Observed observed, List<List<String>> changes,
                                     List<String> reasons, List<String> repaired) {
        String ifname = target.ifname();
        String cidr = target.cidr().get().toString();
        boolean present = observed.addresses().stream()
                .anyMatch(a -> a.dev().equals(ifname) && a.family() == Family.INET && a.cidr().equals(cidr));
        if (!present) {
            List<String> add = new ArrayList<>(List.of("addr", "add", cidr, "dev", ifname));
            String source = "the pinned address";
            if (target.lifetime().isPresent()) {
                String seconds = Long.toString(Math.max(1, target.lifetime().getAsLong()));
                add.addAll(List.of("valid_lft", seconds, "preferred_lft", seconds));
                source = "the lease; it lives as long as the lease, the daemon extends it on renewal";
            }
            changes.add(add);
            reasons.add("address " + cidr + " on " + ifname + " from " + source);
            if (!isFresh(observed)) {
                repaired.add("address " + cidr + " was missing");
            }
        } else if (target.lifetime().isPresent()
                && lifetimeDiffers(observed, cidr, ifname, target.lifetime().getAsLong())) {
            String seconds = Long.toString(Math.max(1, target.lifetime().getAsLong()));
            changes.add(List.of("addr", "change", cidr, "dev", ifname, "valid_lft", seconds, "preferred_lft",
                    seconds));
            reasons.add("extend the lifetime of " + cidr + " to the lease's (" + seconds + " s)");
        }
    }

    /**
     * The IPv6 part of {@link #plan}: the interface's RA settings where they were read and differ; each DHCPv6
     * address added with its lifetimes when missing, re-timed when they are off; each IPv6 route terway sets
     * that is missing or goes another way; and, left to the kernel, a SLAAC address or the learnt default
     * route that is missing.
     */
    private static void planIpv6(Target target, PodIpv6 v6, Observed observed, Plan.Builder plan,
                                 List<String> repaired, List<String> leftToKernel) {
        String ifname = target.ifname();
        if (!observed.ipv6Sysctls().isEmpty()) {
            List<String> differ = new ArrayList<>();
            v6.settings().sysctls().forEach((name, value) -> {
                String have = observed.ipv6Sysctls().get(name);
                if (have == null || !have.strip().equals(value)) {
                    differ.add(name + " " + (have == null ? "unreadable" : have.strip()) + ", not " + value);
                }
            });
            if (!differ.isEmpty()) {
                plan.add(ipv6SettingsStep(target.netns(), ifname, v6));
                repaired.add("IPv6 settings of " + ifname + " were off: " + String.join(", ", differ));
            }
        }
        List<List<String>> changes = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (PodIpv6.Address a : v6.addresses()) {
            String cidr = a.cidr().toString();
            Optional<IpAddress> have = observed.addresses().stream()
                    .filter(o -> o.dev().equals(ifname) && o.family() == Family.INET6 && sameAddress(o, a.cidr()))
                    .findFirst();
            if (a.source() == PodIpv6.Source.SLAAC) {
                if (have.isEmpty() && !isFresh(observed)) {
                    leftToKernel.add("SLAAC address " + cidr + " was missing (the kernel makes it again from the"
                            + " router's next advertisement)");
                }
                continue;
            }
            String valid = Long.toString(Math.max(1, a.validSeconds()));
            String preferred = Long.toString(Math.max(0, Math.min(a.preferredSeconds(), a.validSeconds())));
            if (have.isEmpty()) {
                changes.add(List.of("addr", "add", cidr, "dev", ifname, "valid_lft", valid, "preferred_lft",
                        preferred));
                reasons.add("address " + cidr + " on " + ifname + " from the DHCPv6 lease; it lives as long as the"
                        + " lease, the daemon extends it on renewal");
                if (!isFresh(observed)) {
                    repaired.add("address " + cidr + " was missing");
                }
            } else if (Math.abs(have.get().validLifetime() - Math.max(1, a.validSeconds())) > LIFETIME_SLACK
                    || Math.abs(have.get().preferredLifetime() - Long.parseLong(preferred)) > LIFETIME_SLACK) {
                changes.add(List.of("addr", "change", cidr, "dev", ifname, "valid_lft", valid, "preferred_lft",
                        preferred));
                reasons.add("set the lifetimes of " + cidr + " to the DHCPv6 lease's (" + valid + " s valid, "
                        + preferred + " s preferred)");
            }
        }
        List<Route> routes6 = observed.routes().stream().filter(r -> r.family() == Family.INET6).toList();
        for (PodRoute6 r : v6.routes()) {
            Optional<String> drift = routeDrift6(r, routes6, ifname);
            if (drift.isEmpty()) {
                continue;
            }
            String label = r.destination().isDefault() ? "IPv6 default route"
                    : v6.serviceCidrs().contains(r.destination()) ? "IPv6 service route " + r.destination()
                    : "IPv6 route " + r.destination();
            if (r.learnt()) {
                if (!isFresh(observed)) {
                    leftToKernel.add(label + " " + drift.get() + " (the kernel learns it from the router's"
                            + " advertisements)");
                }
                continue;
            }
            List<String> route = new ArrayList<>(List.of("route", "replace", r.destination().toString()));
            r.via().ifPresent(g -> route.addAll(List.of("via", g.toString())));
            route.addAll(List.of("dev", ifname));
            if (r.onlink()) {
                route.add("onlink");
            }
            changes.add(route);
            reasons.add(r.why());
            if (!isFresh(observed)) {
                repaired.add(label + " " + drift.get());
            }
        }
        plan.addAll(batch(target.netns(), "-6", changes, reasons));
    }

    /**
     * Sets the pod interface's IPv6 settings ({@link PodIpv6.Settings}) in one {@code sysctl -w} inside the pod.
     * ADD runs it before the pod's end comes up, when the interface identifier and RA acceptance decide what
     * the kernel does with the first router advertisement. Keys that do not exist (a kernel without IPv6)
     * are skipped ({@code -e}) unless the configuration insists on IPv6; the ADD then fails on the missing key.
     */
    public static Step ipv6SettingsStep(Path netns, String ifname, PodIpv6 v6) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netns, "sysctl", "-q"));
        if (!v6.required()) {
            argv.add("-e");
        }
        argv.add("-w");
        v6.settings().sysctls().forEach((name, value) -> argv.add(Ipv6Conf.key(ifname, name) + "=" + value));
        return Step.of("IPv6 on " + ifname + " in the pod: " + v6.settings() + ", interface identifier EUI-64 of"
                + " its MAC, no temporary addresses, no random delay before duplicate detection", argv);
    }

    /** The sysctl keys of {@link #ipv6SettingsStep}, in its order, to read them back ({@code sysctl -n}). */
    public static List<String> ipv6SettingKeys(String ifname) {
        return PodIpv6.Settings.OFF.sysctls().keySet().stream().map(name -> Ipv6Conf.key(ifname, name)).toList();
    }

    private static boolean sameAddress(IpAddress observed, Ipv6Cidr wanted) {
        Ipv6 local = Ipv6.parseOrNull(observed.local());
        return wanted.address().equals(local) && observed.prefixLen() == wanted.prefixLength();
    }

    /** Empty when {@code observed} has the IPv6 route as wanted (any metric); else how it differs. */
    public static Optional<String> routeDrift6(PodRoute6 wanted, List<Route> observed, String ifname) {
        Optional<Route> found = observed.stream().filter(r -> sameDestination6(r.dst(), wanted.destination()))
                .filter(r -> r.dev().map(ifname::equals).orElse(true))
                .filter(r -> wanted.via().equals(r.gateway().map(Ipv6::parseOrNull)))
                .findFirst();
        if (found.isPresent()) {
            return Optional.empty();
        }
        Optional<Route> other = observed.stream().filter(r -> sameDestination6(r.dst(), wanted.destination()))
                .findFirst();
        String want = wanted.via().map(g -> "via " + g).orElse("on-link");
        if (other.isEmpty()) {
            return Optional.of("via " + wanted.via().map(Ipv6::toString).orElse("the link") + " was missing");
        }
        return Optional.of("went " + other.get().gateway().map(g -> "via " + g).orElse("without gateway")
                + other.get().dev().filter(d -> !d.equals(ifname)).map(d -> " through " + d).orElse("")
                + ", not " + want);
    }

    /** `ip -j -6 route` writes ::/0 as "default" and host routes without "/128". */
    private static boolean sameDestination6(String dst, Ipv6Cidr wanted) {
        if ("default".equals(dst)) {
            return wanted.isDefault();
        }
        Ipv6Cidr cidr = Ipv6Cidr.parseOrNull(dst.contains("/") ? dst : dst + "/128");
        return cidr != null && cidr.equals(wanted);
    }

    /**
     * What the pod lacks of {@code target} (the repairs {@link #plan} would make, and what only the kernel can
     * put back), as for CHECK.
     */
    public static List<String> drift(Target target, Observed observed) {
        Repair repair = plan(target, observed);
        List<String> drift = new ArrayList<>(repair.repaired());
        drift.addAll(repair.leftToKernel());
        return drift;
    }

    /**
     * After the lease ended (expiry, NAK; an IPv4 or a DHCPv6 lease): the address comes off the pod, which must
     * not keep using an address it no longer owns (its routes go with it). Nothing when the pod does not have
     * it. (DEL needs no removal plan: deleting the veth pair takes every address and route of the pod end.)
     */
    public static Plan removal(Path netns, String ifname, String cidr, List<IpAddress> observed, String why) {
        boolean present = observed.stream().anyMatch(a -> a.dev().equals(ifname) && a.cidr().equals(cidr));
        if (!present) {
            return Plan.empty();
        }
        String family = cidr.indexOf(':') >= 0 ? "-6" : "-4";
        return Plan.builder().add(Step.of(why + ": remove its address",
                PodPlans.ipInNetns(netns, family, "addr", "del", cidr, "dev", ifname))).build();
    }

    /** Whether the address's valid lifetime is more than {@link #LIFETIME_SLACK} seconds off {@code seconds}. */
    private static boolean lifetimeDiffers(Observed observed, String cidr, String ifname, long seconds) {
        return observed.addresses().stream().filter(a -> a.dev().equals(ifname) && a.cidr().equals(cidr))
                .noneMatch(a -> Math.abs(a.validLifetime() - Math.max(1, seconds)) <= LIFETIME_SLACK);
    }

    private static boolean isFresh(Observed observed) {
        return observed.fresh();
    }

    private static String label(PodRoute r, Target target) {
        if (r.destination().isDefault()) {
            return "default route";
        }
        return target.serviceCidrs().contains(r.destination()) ? "service route " + r.destination()
                : "route " + r.destination();
    }

    /**
     * Empty when {@code observed} has the route as wanted; else how it differs ("was missing", "went via …").
     * {@code anyGateway}: a wanted route without gateway matches a route to its destination through any
     * gateway (CHECK: an IPAM result's route without gateway means "via the subnet's gateway").
     */
    public static Optional<String> routeDrift(PodRoute wanted, List<Route> observed, String ifname,
                                              boolean anyGateway) {
        if (anyGateway && wanted.via().isEmpty()) {
            String dst = wanted.destination().isDefault() ? "default" : wanted.destination().toString();
            return observed.stream().anyMatch(r -> normalise(r.dst()).equals(normalise(dst)))
                    ? Optional.empty() : Optional.of("was missing");
        }
        return routeDriftOf(wanted, observed, ifname);
    }

    private static Optional<String> routeDriftOf(PodRoute wanted, List<Route> observed, String ifname) {
        String dst = wanted.destination().isDefault() ? "default" : wanted.destination().toString();
        Optional<String> via = wanted.via().map(Ipv4::toString);
        Optional<Route> found = observed.stream().filter(r -> normalise(r.dst()).equals(normalise(dst)))
                .filter(r -> r.metric().orElse(0) == 0)
                .findFirst();
        if (found.isEmpty()) {
            return Optional.of("was missing");
        }
        Route r = found.get();
        if (!r.gateway().equals(via)) {
            return Optional.of("went " + r.gateway().map(g -> "via " + g).orElse("without gateway") + ", not "
                    + via.map(g -> "via " + g).orElse("on-link"));
        }
        if (r.dev().isPresent() && !r.dev().get().equals(ifname)) {
            return Optional.of("went through " + r.dev().get() + ", not " + ifname);
        }
        return Optional.empty();
    }

    /** `ip -j route` writes 0.0.0.0/0 as "default" and host routes without "/32". */
    private static String normalise(String dst) {
        if ("default".equals(dst) || "0.0.0.0/0".equals(dst)) {
            return "default";
        }
        return dst.contains("/") ? dst : dst + "/32";
    }

    /** The changes of one family ({@code -4}, {@code -6}) as one `ip -batch` in the pod, or one command each. */
    private static Plan batch(Path netns, String family, List<List<String>> changes, List<String> reasons) {
        Plan.Builder plan = Plan.builder();
        if (changes.size() > 1 && changes.stream().flatMap(List::stream).allMatch(PodPlans::plainBatchWord)) {
            StringBuilder lines = new StringBuilder();
            changes.forEach(c -> lines.append(String.join(" ", c)).append('\n'));
            plan.add(Step.fed(String.join("; ", reasons) + " (one `ip -batch` in the pod)",
                    PodPlans.ipInNetns(netns, family, "-batch", "-"), lines.toString()));
        } else {
            for (int i = 0; i < changes.size(); i++) {
                List<String> argv = new ArrayList<>(List.of(family));
                argv.addAll(changes.get(i));
                plan.add(Step.of(reasons.get(i), PodPlans.ipInNetns(netns, argv.toArray(String[]::new))));
            }
        }
        return plan.build();
    }
}
