package dev.terway.cni.handler;

import dev.terway.cni.config.CniArgs;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.ipam.Dhcp6Gateway;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.pod.PodIpv6;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.pod.PodSpec;
import dev.terway.cni.result.Dns;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.log.LogPod;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The IPv6 half of ADD ({@code "ipv6"} of the network configuration). It starts when the pod's end is up and
 * runs beside the IPv4 lease, so a dual-stack ADD takes about as long as the slower of the two, not their sum.
 *
 * <p>SLAAC is the kernel's work: the pod's interface finishes duplicate detection of its link-local address
 * (about a second), solicits a router advertisement, makes an address from each prefix with the A flag and
 * runs duplicate detection on it (another second). This class only looks, with one process per look
 * ({@link NodeObserver#podIpv6}), every {@link #LOOK_BEFORE_RA} until an address appears and every
 * {@link #LOOK_DURING_DAD} while it is tentative: about fifteen looks for a two-second SLAAC, where one
 * {@code ip monitor} would hold a process and a parser for the whole wait. DHCPv6 is the daemon's
 * ({@link Dhcp6Gateway}); its address is the planner's to add.
 *
 * <p>Per mode: {@code slaac} waits for a SLAAC address and fails (11) without one; {@code dhcpv6} asks for a
 * lease and fails without one; {@code auto} does both at once and reports what arrived: a SLAAC address as soon
 * as it is usable, with the DHCPv6 lease if that came first (one still under way then is given back when it
 * arrives, since ADD has answered), or, without SLAAC, the lease if one comes in time; nothing is IPv4-only,
 * said in the log. Under {@code auto} a LAN whose router advertisements the node has not heard (its bridge has
 * no global IPv6 address, or no route learnt from an RA) is taken for a LAN without IPv6: the pod ignores RAs
 * and ADD does not wait (unless {@code "ipv4": false}, where IPv6 is all there is). So the default mode costs an
 * IPv4-only LAN at most one `ip` run on the node, not the timeout on every ADD.
 */
final class Ipv6Add {

    /** Between looks while the pod has no global address yet (no router advertisement processed). */
    static final Duration LOOK_BEFORE_RA = Duration.ofMillis(150);
    /** Between looks while a global address is tentative (duplicate detection: one second by default). */
    static final Duration LOOK_DURING_DAD = Duration.ofMillis(100);

    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ipv6-add");
        t.setDaemon(true);
        return t;
    });

    /** Waits between looks; a test's runs instantly. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final VerbContext ctx;
    private final Sleeper sleeper;

    Ipv6Add(VerbContext ctx) {
        this(ctx, d -> Thread.sleep(d.toMillis()));
    }

    Ipv6Add(VerbContext ctx, Sleeper sleeper) {
        this.ctx = ctx;
        this.sleeper = sleeper;
    }

    /**
     * The pod interface's settings for {@code conf}'s mode on this node, before anything arrived (the link plan
     * sets them before the pod's end comes up). Under {@code auto} with IPv4 the node is asked whether the LAN
     * announces IPv6 ({@link #lanAnnouncesIpv6}).
     */
    static PodIpv6 settings(VerbContext ctx, NetConf conf, NodeView node) {
        return switch (conf.ipv6().mode()) {
            case OFF -> PodIpv6.off();
            case SLAAC -> withSettings(PodIpv6.Settings.SLAAC, true);
            case DHCPV6 -> withSettings(PodIpv6.Settings.MANAGED, true);
            case AUTO -> !conf.ipv4() || lanAnnouncesIpv6(ctx, node)
                    ? withSettings(PodIpv6.Settings.SLAAC, !conf.ipv4()) : PodIpv6.off();
        };
    }

    /**
     * Whether the node heard the LAN announce IPv6: its bridge has a global IPv6 address and a route learnt
     * from router advertisements. A static address alone does not count: a LAN without routers announcing
     * prefixes gives a pod neither SLAAC nor a default route. The answer is kept a few seconds
     * ({@link LanIpv6Announcements}).
     */
    static boolean lanAnnouncesIpv6(VerbContext ctx, NodeView node) {
        return node.bridgeAddress6().isPresent()
                && ctx.ipv6Announcements().learnt(ctx.observer(), node.bridge(), ctx.clock());
    }

    private static PodIpv6 withSettings(PodIpv6.Settings settings, boolean required) {
        return new PodIpv6(settings, required, List.of(), Optional.empty(), List.of(), List.of());
    }

    /**
     * The step that gives the pod's end {@code settings} before it comes up; none under {@code auto} on a LAN
     * taken for one without IPv6: there no router advertisement arrives to ignore, and the step would cost
     * every IPv4-only ADD a process start (about 18 ms through nsenter). {@code off} writes its settings: the
     * operator asked that the pod take no IPv6 from the LAN, whatever it announces later.
     */
    static Optional<Step> settingsStep(NetConf conf, PodSpec spec, PodIpv6 settings) {
        if (conf.ipv6().mode() == NetConf.Ipv6Mode.AUTO && settings.settings().equals(PodIpv6.Settings.OFF)) {
            return Optional.empty();
        }
        return Optional.of(PodNetwork.ipv6SettingsStep(spec.netns(), spec.ifname(), settings));
    }

    /** Refuses before anything is made what this daemon cannot do: {@code dhcpv6} without a DHCPv6 service. */
    static void refuseUnsupported(VerbContext ctx, NetConf conf) throws CniException {
        if (conf.ipv6().mode() == NetConf.Ipv6Mode.DHCPV6 && ctx.dhcp6().isEmpty()) {
            throw new CniException(CniErrorCode.UNSUPPORTED_FIELD, "unsupported field value: ipv6.mode \"dhcpv6\":"
                    + " this terway daemon runs no DHCPv6 lease service; use \"slaac\" on a LAN whose router"
                    + " advertises an autonomous prefix, or \"auto\"");
        }
    }

    /**
     * What arrived. {@code addresses} empty: the pod has no IPv6 ({@code why} says why, for the log).
     *
     * @param lease the DHCPv6 lease among {@code addresses}, whose DNS goes into the result and which a failed
     *              ADD gives back
     */
    record Outcome(List<PodIpv6.Address> addresses, Optional<Ipv6> router, Optional<Dhcp6Gateway.Dhcp6Lease> lease,
                   List<IpAddress> seenAddresses, List<Route> seenRoutes, String why) {

        Outcome {
            addresses = List.copyOf(addresses);
            seenAddresses = List.copyOf(seenAddresses);
            seenRoutes = List.copyOf(seenRoutes);
        }

        static Outcome none(String why) {
            return new Outcome(List.of(), Optional.empty(), Optional.empty(), List.of(), List.of(), why);
        }

        /** DHCPv6 options 23 and 24 as the result's DNS. */
        Dns dns() {
            return lease.map(l -> new Dns(l.dnsServers().stream().map(Ipv6::toString).toList(), Optional.empty(),
                    l.domainSearch(), List.of())).orElse(Dns.empty());
        }
    }

    /** The IPv6 half under way; {@link #await} its outcome, or {@link #abandon} it when ADD fails elsewhere. */
    final class Pending {

        private final CompletableFuture<Outcome> outcome;
        private final String attachment;

        private Pending(CompletableFuture<Outcome> outcome, String attachment) {
            this.outcome = outcome;
            this.attachment = attachment;
        }

        Outcome await() throws CniException {
            try {
                return outcome.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof CniException c) {
                    throw c;
                }
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }

        /** ADD failed elsewhere: let this half end (bounded by the timeout) and give back a lease it got. */
        void abandon() {
            outcome.whenComplete((o, failure) -> {
                if (o != null && o.lease().isPresent()) {
                    releaseLate(attachment);
                }
            });
        }
    }

    /**
     * Starts the IPv6 half for the pod's interface, whose end came up at {@code linkUpNanos}
     * ({@link System#nanoTime}); the configured timeout counts from there.
     */
    Pending start(String containerId, NetConf conf, CniArgs args, PodSpec spec, PodIpv6 settings, long linkUpNanos) {
        long deadline = linkUpNanos + conf.ipv6().timeout().toNanos();
        String attachment = containerId + "/" + spec.ifname();
        if (settings.settings().equals(PodIpv6.Settings.OFF)) {
            String why = conf.ipv6().mode() == NetConf.Ipv6Mode.OFF ? "ipv6.mode is \"off\""
                    : "bridge " + spec.bridge() + " has no global IPv6 address or no route learnt from router"
                    + " advertisements, so the LAN is taken for one without IPv6 (ipv6.mode \"auto\"; \"slaac\" or"
                    + " \"dhcpv6\" wait for IPv6 regardless) and the pod ignores router advertisements";
            return new Pending(CompletableFuture.completedFuture(Outcome.none(why)), attachment);
        }
        boolean pod = args.podNamespace().isPresent() && args.podName().isPresent();
        Dhcp6Gateway.Dhcp6Request request = new Dhcp6Gateway.Dhcp6Request(containerId, spec.netns(), spec.ifname(),
                pod ? args.podNamespace() : Optional.empty(), pod ? args.podName() : Optional.empty(),
                conf.ipv6().timeout());
        return new Pending(CompletableFuture.supplyAsync(() -> {
            try {
                return run(conf, spec, request, deadline);
            } catch (CniException e) {
                throw new CompletionException(e);
            }
        }, WORKERS), attachment);
    }

    private Outcome run(NetConf conf, PodSpec spec, Dhcp6Gateway.Dhcp6Request request, long deadline)
            throws CniException {
        NetConf.Ipv6Mode mode = conf.ipv6().mode();
        String within = "within " + conf.ipv6().timeout().toMillis() + " ms of link up";
        CompletableFuture<Optional<Dhcp6Gateway.Dhcp6Lease>> dhcp = CompletableFuture.completedFuture(
                Optional.empty());
        if (mode != NetConf.Ipv6Mode.SLAAC && ctx.dhcp6().isPresent()) {
            Dhcp6Gateway gateway = ctx.dhcp6().get();
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            Dhcp6Gateway.Dhcp6Request timed = new Dhcp6Gateway.Dhcp6Request(request.containerId(), request.netns(),
                    request.ifname(), request.podNamespace(), request.podName(), left);
            dhcp = CompletableFuture.supplyAsync(() -> {
                try {
                    return Optional.of(gateway.acquire(timed));
                } catch (CniException e) {
                    throw new CompletionException(e);
                }
            }, WORKERS);
        }
        String attachment = request.containerId() + "/" + request.ifname();
        if (mode == NetConf.Ipv6Mode.DHCPV6) {
            Dhcp6Gateway.Dhcp6Lease lease = awaitLease(dhcp, true, request).orElseThrow();
            try {
                // The lease came; the router and the on-link prefix come from RAs, perhaps a moment later.
                return leased(lease, lookUntil(spec, deadline, l -> l.router().isPresent()));
            } catch (CniException | RuntimeException e) {
                releaseLate(attachment);
                throw e;
            }
        }
        Look look = lookUntil(spec, deadline, new SlaacSettled());
        if (!look.ready().isEmpty()) {
            List<PodIpv6.Address> addresses = new ArrayList<>();
            look.ready().forEach(a -> addresses.add(PodIpv6.Address.slaac(Ipv6Cidr.parse(a.cidr()))));
            Optional<Dhcp6Gateway.Dhcp6Lease> lease = Optional.empty();
            if (dhcp.isDone()) {
                lease = awaitLease(dhcp, false, request);
                lease.ifPresent(l -> addresses.add(leasedAddress(l, look)));
            } else {
                dhcp.thenAccept(late -> late.ifPresent(l -> {
                    ctx.log().info("cni.dhcp6_late", logPod(request), "ADD "
                            + attachment + ": its DHCPv6 lease of " + l.address() + " came after the SLAAC address"
                            + " was reported; given back");
                    releaseLate(attachment);
                }));
            }
            return new Outcome(addresses, look.router(), lease, look.addresses(), look.routes(), "");
        }
        String slaacWhy = look.whyNoSlaac();
        if (mode == NetConf.Ipv6Mode.SLAAC) {
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no SLAAC address on " + spec.ifname() + " "
                    + within + " (ipv6.mode \"slaac\"): " + slaacWhy);
        }
        Optional<Dhcp6Gateway.Dhcp6Lease> lease = awaitLease(dhcp, false, request);
        if (lease.isPresent()) {
            // The router and prefix may have come while the lease was awaited; a look already holding them will do.
            return leased(lease.get(), look.router().isPresent() ? look : look(spec));
        }
        return Outcome.none("no IPv6 " + within + ": " + slaacWhy + (ctx.dhcp6().isPresent()
                ? "; no DHCPv6 lease either" : "; DHCPv6 not tried (this daemon runs no DHCPv6 lease service)"));
    }

    /**
     * How long ADD waits, at least, for duplicate detection of a DHCPv6 address it has just put on the pod, even
     * past the configured timeout: a lease that arrived late must still be checked before it is reported, and
     * detection takes one RetransTimer (100 ms as ADD sets it, or what the LAN's router advertises).
     */
    static final Duration LEASED_DAD_GRACE = Duration.ofSeconds(2);

    /**
     * After ADD put the DHCPv6 lease's address on the pod: waits for the kernel's duplicate address detection of
     * it (RFC 8415 §18.2.10.1 asks the client to run it). Empty when it passed; otherwise why it failed, for the
     * DECLINE ({@link #decline}).
     *
     * An address marked dadfailed is taken off the pod here; the kernel itself deletes one with a lifetime.
     *
     * @throws CniException 11 when detection had not ended by the deadline ({@link #LEASED_DAD_GRACE} at least),
     *                      100 when the interface is gone
     * @throws PlanFailedException the failed address could not be taken off
     */
    Optional<String> leasedAddressDad(PodSpec spec, Ipv6 address, long deadlineNanos) throws CniException,
            PlanFailedException {
        long deadline = Math.max(deadlineNanos, System.nanoTime() + LEASED_DAD_GRACE.toNanos());
        java.util.function.Predicate<Look> settled = look -> find(look, address).map(a -> !look.tentative().contains(a))
                .orElse(true);
        Look look = lookUntil(spec, deadline, settled);
        Optional<IpAddress> seen = find(look, address);
        if (seen.isEmpty()) {
            // The kernel deletes an address with a lifetime (a lease's) whose detection failed; it keeps only a
            // permanent one, marked dadfailed (addrconf_dad_failure). Seen in the lab: gone within one look.
            return Optional.of("the pod's duplicate address detection failed for it (another node on the LAN"
                    + " answered for " + address + "; the kernel removed it)");
        }
        if (look.failed().contains(seen.get())) {
            ctx.plans().run(Plan.builder().add(Step.of("take " + seen.get().cidr() + " off " + spec.ifname()
                    + ": its duplicate address detection failed, so another node on the LAN has it",
                    PodPlans.ipInNetns(spec.netns(), "-6", "addr", "del", seen.get().cidr(), "dev", spec.ifname())))
                    .build());
            return Optional.of("the pod's duplicate address detection failed for it (another node on the LAN"
                    + " answered for " + address + ")");
        }
        if (look.tentative().contains(seen.get())) {
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "DHCPv6 address " + address + " on " + spec.ifname()
                    + " was still in duplicate address detection when ADD's time ran out; try again later");
        }
        return Optional.empty();
    }

    private static Optional<IpAddress> find(Look look, Ipv6 address) {
        return look.addresses().stream().filter(a -> address.equals(Ipv6.parseOrNull(a.local()))).findFirst();
    }

    /**
     * The lease's address failed duplicate detection ({@link #leasedAddressDad}): asks the daemon to DECLINE it and
     * lease another, never one of {@code declined}, within what is left of the IPv6 timeout (counted from
     * {@code linkUpNanos}); the outcome with the new lease in place of the old one.
     *
     * @throws CniException 11 naming the declined addresses when no other came in time
     */
    Outcome decline(String containerId, NetConf conf, CniArgs args, PodSpec spec, Outcome was, Set<Ipv6> declined,
                    String why, long linkUpNanos) throws CniException {
        Dhcp6Gateway gateway = ctx.dhcp6().orElseThrow();
        Ipv6 address = was.lease().orElseThrow().address();
        long left = linkUpNanos + conf.ipv6().timeout().toNanos() - System.nanoTime();
        boolean pod = args.podNamespace().isPresent() && args.podName().isPresent();
        Dhcp6Gateway.Dhcp6Request request = new Dhcp6Gateway.Dhcp6Request(containerId, spec.netns(), spec.ifname(),
                pod ? args.podNamespace() : Optional.empty(), pod ? args.podName() : Optional.empty(),
                Duration.ofNanos(Math.max(1_000_000, left)));
        Dhcp6Gateway.Dhcp6Lease next = gateway.decline(request, address, declined, why);
        Look look = look(spec);
        List<PodIpv6.Address> addresses = new ArrayList<>(was.addresses().stream()
                .filter(a -> a.source() != PodIpv6.Source.DHCPV6).toList());
        addresses.add(leasedAddress(next, look));
        return new Outcome(addresses, look.router().or(was::router), Optional.of(next), look.addresses().stream()
                .filter(a -> !address.equals(Ipv6.parseOrNull(a.local()))).toList(), look.routes(), "");
    }

    private Outcome leased(Dhcp6Gateway.Dhcp6Lease lease, Look look) {
        return new Outcome(List.of(leasedAddress(lease, look)), look.router(), Optional.of(lease), look.addresses(),
                look.routes(), "");
    }

    private static PodIpv6.Address leasedAddress(Dhcp6Gateway.Dhcp6Lease lease, Look look) {
        return PodIpv6.Address.leased(lease.address(), lease.validSeconds(), lease.preferredSeconds(), look.routes());
    }

    private Optional<Dhcp6Gateway.Dhcp6Lease> awaitLease(CompletableFuture<Optional<Dhcp6Gateway.Dhcp6Lease>> dhcp,
                                                         boolean required, Dhcp6Gateway.Dhcp6Request request)
            throws CniException {
        try {
            return dhcp.join();
        } catch (CompletionException e) {
            if (required && e.getCause() instanceof CniException c) {
                throw c;
            }
            if (required) {
                throw e;
            }
            ctx.log().info("cni.dhcp6_none", logPod(request),
                    "DHCPv6 gave no lease: " + e.getCause().getMessage());
            return Optional.empty();
        }
    }

    /** The pod keys of a log line about {@code request}: its pod's namespace and name, when the runtime passed them. */
    private static LogPod logPod(Dhcp6Gateway.Dhcp6Request request) {
        return new LogPod(request.containerId(), request.podNamespace(), request.podName(), request.ifname());
    }

    private void releaseLate(String attachment) {
        int slash = attachment.lastIndexOf('/');
        ctx.dhcp6().ifPresent(g -> g.release(attachment.substring(0, slash), attachment.substring(slash + 1)));
    }

    /** One look at the pod's IPv6. */
    record Look(List<IpAddress> addresses, List<IpAddress> ready, List<IpAddress> tentative, List<IpAddress> failed,
                List<Route> routes, Optional<Ipv6> router) {

        boolean allFailed() {
            return !failed.isEmpty() && ready.isEmpty() && tentative.isEmpty();
        }

        /** A router advertisement was read (a route learnt from it) and made no address. */
        boolean advertisedNoPrefix() {
            return addresses.isEmpty() && routes.stream().anyMatch(PodIpv6::learntFromLan);
        }

        /** Why the pod has no usable SLAAC address, from what the last look saw. */
        String whyNoSlaac() {
            if (!failed.isEmpty()) {
                return "address " + failed.get(0).cidr() + " failed duplicate address detection: another host on"
                        + " the LAN has it";
            }
            if (!tentative.isEmpty()) {
                return "address " + tentative.get(0).cidr() + " was still in duplicate address detection";
            }
            if (router.isPresent()) {
                return "router " + router.get() + " advertised no prefix to autoconfigure (no A flag)";
            }
            return routes.stream().anyMatch(PodIpv6::learntFromLan) ? "a router advertisement arrived without a default"
                    + " router or an autonomous prefix" : "no router advertisement arrived";
        }
    }

    /**
     * Whether SLAAC has ended, one way or the other: an address is usable, every address failed duplicate
     * detection, or a router advertised without a prefix to autoconfigure (no A flag: a managed LAN, where
     * the address is DHCPv6's). The last must be seen in two looks in a row: the kernel makes the routes and
     * the address while it reads one advertisement, and one look could fall between the two.
     */
    static final class SlaacSettled implements java.util.function.Predicate<Look> {

        private int withoutPrefix;

        @Override
        public boolean test(Look look) {
            withoutPrefix = look.advertisedNoPrefix() ? withoutPrefix + 1 : 0;
            return !look.ready().isEmpty() || look.allFailed() || withoutPrefix >= 2;
        }
    }

    private Look look(PodSpec spec) throws CniException {
        Optional<NodeObserver.PodIpv6State> state = ctx.observer().podIpv6(spec.netns(), spec.ifname());
        if (state.isEmpty()) {
            throw new CniException(CniErrorCode.SETUP_FAILED, "interface " + spec.ifname() + " is gone from "
                    + spec.netns() + " while ADD waited for its IPv6 address");
        }
        List<IpAddress> globals = state.get().addresses().stream().filter(a -> a.family() == Family.INET6
                && a.isGlobal() && a.dev().equals(spec.ifname())).toList();
        List<IpAddress> ready = new ArrayList<>();
        List<IpAddress> tentative = new ArrayList<>();
        List<IpAddress> failed = new ArrayList<>();
        for (IpAddress a : globals) {
            var flags = state.get().state(a);
            (flags.contains("dadfailed") ? failed : flags.contains("tentative") ? tentative : ready).add(a);
        }
        return new Look(globals, ready, tentative, failed, state.get().routes(),
                PodIpv6.learntRouter(state.get().routes(), spec.ifname()));
    }

    /** Looks until {@code done} or the deadline; the last look either way. */
    private Look lookUntil(PodSpec spec, long deadline, java.util.function.Predicate<Look> done) throws CniException {
        while (true) {
            Look look = look(spec);
            long left = deadline - System.nanoTime();
            if (done.test(look) || left <= 0) {
                return look;
            }
            Duration pause = look.tentative().isEmpty() ? LOOK_BEFORE_RA : LOOK_DURING_DAD;
            try {
                sleeper.sleep(Duration.ofNanos(Math.min(pause.toNanos(), left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return look;
            }
        }
    }
}
