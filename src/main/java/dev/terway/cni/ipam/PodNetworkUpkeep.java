package dev.terway.cni.ipam;

import dev.terway.log.EventLog;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseEvents;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.daemon.PodNetworkConfig;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

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
    private final PlanRunner planRunner;
    private final Clock clock;
    private final EventLog log;

    /**
     * @param observer   reads pod and node with read-only `ip -j` queries
     * @param planRunner runs the changes (with an audited runner)
     */
    public PodNetworkUpkeep(NodeObserver observer, PlanRunner planRunner, Clock clock, EventLog log) {
        this.observer = observer;
        this.planRunner = planRunner;
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
            log.warn("pod.upkeep_skipped", pod.logPod(), "upkeep of " + pod.describe() + " skipped: " + e.getMessage());
            return;
        }
        PodNetwork.Repair repair = PodNetwork.plan(target, observed.get());
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
        if (!Files.exists(pod.netns())) {
            log.warn("pod.upkeep_skipped", pod.logPod(), "upkeep of " + pod.describe() + " skipped: netns " + pod.netns() + " is gone");
            return Optional.empty();
        }
        try {
            Optional<NodeObserver.PodInterface> link = observer.podInterface(pod.netns(), pod.ifname());
            if (link.isEmpty()) {
                log.warn("pod.upkeep_skipped", pod.logPod(), "upkeep of " + pod.describe() + " skipped: no interface " + pod.ifname() + " in "
                        + pod.netns());
                return Optional.empty();
            }
            List<Route> routes = observer.podRoutes(pod.netns());
            int mtu = link.get().link().mtu();
            return Optional.of(new PodNetwork.Observed(mtu > 0 ? OptionalInt.of(mtu) : OptionalInt.empty(),
                    link.get().addresses(), routes));
        } catch (RuntimeException e) {
            log.warn("pod.upkeep_skipped", pod.logPod(), "upkeep of " + pod.describe() + " skipped: "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    private boolean run(PodIdentity pod, Plan plan) {
        if (plan.isEmpty()) {
            return true;
        }
        try {
            planRunner.run(plan);
            return true;
        } catch (PlanFailedException e) {
            log.error("pod.upkeep_failed", pod.logPod(), "upkeep of " + pod.describe() + " failed: " + e.getMessage());
            return false;
        }
    }
}
