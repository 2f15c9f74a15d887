package dev.terway.cni.ipam;

import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.PodIpv6;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseEvents;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.daemon.PodNetworkConfig;
import dev.terway.log.EventLog;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6Cidr;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanRunner;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The daemon's answer to lease events: it looks at the pod (`ip -j` in its netns) and at the node (the bridge's
 * address and MTU, the default gateway when the lease names no router), asks {@link PodNetwork} for the plan
 * that gives the pod what ADD gave it for this lease, runs it (through the audited runner) and logs what it
 * repaired. So a pod whose address, default route or service route went missing (flushed, deleted by hand,
 * dropped by the kernel while the daemon was down) gets it back at the next renewal at the latest. A pod whose
 * netns is gone has nothing to keep up; that is logged, not an error.
 */
public final class PodNetworkUpkeep implements LeaseEvents {

    private final NodeObserver observer;
    private final PodUpkeepSteps steps;
    private final Clock clock;
    private final EventLog log;

    /**
     * @param observer   reads pod and node with read-only `ip -j` queries
     * @param planRunner runs the changes (with an audited runner)
     */
    public PodNetworkUpkeep(NodeObserver observer, PlanRunner planRunner, Clock clock, EventLog log) {
        this.observer = observer;
        this.steps = new PodUpkeepSteps(observer, planRunner, log, "upkeep");
        this.clock = clock;
        this.log = log;
    }

    @Override
    public void bound(Bound event) {
        HeldLease lease = event.lease();
        PodIdentity pod = lease.identity();
        Optional<PodNetwork.Observed> observed = observe(pod);
        if (observed.isEmpty()) {
            return;
        }
        PodNetwork.Target target;
        try {
            target = target(lease, event.network(), pod);
        } catch (CniException | RuntimeException e) {
            steps.skipped(pod, e.getMessage());
            return;
        }
        PodNetwork.Observed seen = observed.get();
        if (event.network().flatMap(PodNetworkConfig::ipv6).isPresent()) {
            Optional<Ipv6Part> v6 = ipv6(event.network().get(), pod);
            if (v6.isPresent()) {
                target = target.withIpv6(v6.get().target());
                seen = v6.get().seen(seen);
            }
        }
        PodNetwork.Repair repair = PodNetwork.plan(target, seen);
        if (run(pod, repair.plan()) && !repair.repaired().isEmpty()) {
            log.info("pod.repaired", pod.logPod(), "repaired pod " + pod.describe() + " (lease " + event.kind().text()
                    + "): " + String.join("; ", repair.repaired()), "lease", event.kind().text());
        }
    }

    /** What ADD gave the pod for this lease, on this node as it is now. */
    private PodNetwork.Target target(HeldLease lease, Optional<PodNetworkConfig> network, PodIdentity pod)
            throws CniException {
        PodAddress address = DaemonLeaseGateway.toPodAddress(lease, clock);
        List<Ipv4Cidr> services = new ArrayList<>();
        NodeView node = new NodeView("", false, 0, Optional.empty(), Optional.empty(), false);
        int mtuLimit = 0;
        if (network.isPresent()) {
            node = observer.observe(network.get().bridge());
            for (String text : network.get().serviceCidrs()) {
                Ipv4Cidr cidr = Ipv4Cidr.parseOrNull(text);
                if (cidr != null) {
                    services.add(cidr);
                }
            }
            OptionalInt configured = network.get().mtu();
            mtuLimit = configured.isPresent() ? configured.getAsInt() : node.bridgeExists() ? node.bridgeMtu() : 0;
            if (!services.isEmpty() && node.bridgeAddress().isEmpty()) {
                log.warn("pod.upkeep_partial", pod.logPod(), "upkeep of " + pod.describe() + ": bridge " + network.get().bridge() + " has no IPv4"
                        + " address, so the service routes " + services + " cannot be checked");
                services.clear();
            }
        }
        if (PodPlans.needsNodeGateway(address)) {
            node = node.withDefaultGateway(observer.defaultGateway());
        }
        return PodNetwork.target(pod.netns(), pod.ifname(), address, node, services, mtuLimit);
    }

    /** The pod's IPv6 as the upkeep keeps it, and what was seen of it. */
    private record Ipv6Part(PodIpv6 target, List<IpAddress> addresses, List<Route> routes,
                            Map<String, String> sysctls) {

        PodNetwork.Observed seen(PodNetwork.Observed ipv4) {
            List<IpAddress> all = new ArrayList<>(ipv4.addresses().stream()
                    .filter(a -> a.family() != Family.INET6).toList());
            all.addAll(addresses);
            List<Route> routes4 = new ArrayList<>(ipv4.routes());
            routes4.addAll(routes);
            return new PodNetwork.Observed(ipv4.mtu(), all, routes4).withIpv6Sysctls(sysctls);
        }
    }

    /**
     * The pod's IPv6 as ADD left it, from what it has now: the interface's settings by the name stored with the lease,
     * its global addresses (the kernel's SLAAC addresses, or a DHCPv6 lease's, which its own upkeep re-times: here
     * they are only checked) and the router the kernel learnt, and so the IPv6 service route via the node's bridge.
     * A pod whose IPv6 is SLAAC only holds no DHCPv6 lease whose events could keep these, so its IPv4 lease does.
     * Empty (logged) when it cannot be read or planned; the IPv4 upkeep goes on without it.
     */
    private Optional<Ipv6Part> ipv6(PodNetworkConfig network, PodIdentity pod) {
        Optional<PodIpv6.Settings> settings = network.ipv6().flatMap(PodIpv6.Settings::named);
        if (settings.isEmpty()) {
            return Optional.empty();
        }
        try {
            Optional<NodeObserver.PodIpv6State> state = observer.podIpv6(pod.netns(), pod.ifname());
            if (state.isEmpty()) {
                return Optional.empty();
            }
            List<PodIpv6.Address> addresses = new ArrayList<>();
            for (IpAddress a : state.get().addresses()) {
                Ipv6Cidr cidr = Ipv6Cidr.parseOrNull(a.cidr());
                Set<String> flags = state.get().state(a);
                if (a.family() == Family.INET6 && a.isGlobal() && a.dev().equals(pod.ifname()) && cidr != null
                        && !flags.contains("tentative") && !flags.contains("dadfailed")) {
                    addresses.add(PodIpv6.Address.slaac(cidr));
                }
            }
            List<Ipv6Cidr> services = new ArrayList<>();
            for (String text : network.serviceCidrs()) {
                Ipv6Cidr cidr = Ipv6Cidr.parseOrNull(text);
                if (cidr != null) {
                    services.add(cidr);
                }
            }
            NodeView node = observer.observe(network.bridge());
            PodIpv6 target = PodIpv6.of(settings.get(), false, addresses,
                    PodIpv6.learntRouter(state.get().routes(), pod.ifname()), node, services);
            return Optional.of(new Ipv6Part(target, state.get().addresses(), state.get().routes(),
                    observer.podIpv6Sysctls(pod.netns(), pod.ifname())));
        } catch (CniException | RuntimeException e) {
            log.warn("pod.upkeep_partial", pod.logPod(), "upkeep of " + pod.describe() + ": its IPv6 is not checked: "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public void lost(PodIdentity pod, String cidr, String why) {
        observe(pod).ifPresent(o -> run(pod, PodNetwork.removal(pod.netns(), pod.ifname(), cidr, o.addresses(),
                "lease of " + pod.describe() + " ended (" + why + ")")));
    }

    @Override
    public boolean holds(PodIdentity pod, String cidr) {
        return observe(pod).map(o -> o.addresses().stream()
                .anyMatch(a -> a.dev().equals(pod.ifname()) && a.cidr().equals(cidr))).orElse(false);
    }

    private Optional<PodNetwork.Observed> observe(PodIdentity pod) {
        return steps.observe(pod, link -> {
            int mtu = link.link().mtu();
            return new PodNetwork.Observed(mtu > 0 ? OptionalInt.of(mtu) : OptionalInt.empty(), link.addresses(),
                    observer.podRoutes(pod.netns()));
        });
    }

    private boolean run(PodIdentity pod, Plan plan) {
        return steps.run(pod, plan);
    }
}
