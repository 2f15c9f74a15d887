package dev.terway.cni.ipam;

import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.PodIpv6;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.daemon.Dhcp6LeaseEvents;
import dev.terway.dhcp6.daemon.HeldLease6;
import dev.terway.log.EventLog;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.netstate.IpAddress;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanRunner;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Keeps a pod's DHCPv6 address in step with its lease, through the one pod-network planner
 * ({@link PodNetwork#planIpv6}): when the lease is renewed the address gets the new valid and preferred
 * lifetimes (so the kernel never drops an address whose lease lives on, and drops it by itself when the lease
 * runs out unrenewed); restored or acquired again, the address comes back if it went; lost, it comes off. The
 * address keeps the prefix length it has on the pod (the pod side adds it as /128 unless an RA names the
 * prefix); a missing one is added as /128. The pod's IPv4, routes and RA settings are not this upkeep's.
 */
public final class Dhcp6Upkeep implements Dhcp6LeaseEvents {

    private final PodUpkeepSteps steps;
    private final Clock clock;
    private final EventLog log;

    public Dhcp6Upkeep(NodeObserver observer, PlanRunner planRunner, Clock clock, EventLog log) {
        this.steps = new PodUpkeepSteps(observer, planRunner, log, "DHCPv6 upkeep");
        this.clock = clock;
        this.log = log;
    }

    @Override
    public void bound(Kind kind, HeldLease6 held) {
        PodIdentity pod = held.identity();
        Optional<List<IpAddress>> addresses = addresses(pod);
        if (addresses.isEmpty()) {
            return;
        }
        IaNaLease lease = held.lease();
        Ipv6Cidr cidr = onPod(addresses.get(), pod.ifname(), lease.address())
                .orElse(new Ipv6Cidr(lease.address(), 128));
        var now = clock.instant();
        PodIpv6 v6 = new PodIpv6(PodIpv6.Settings.MANAGED, false, List.of(PodIpv6.Address.leased(cidr,
                lease.validSecondsLeft(now), lease.preferredSecondsLeft(now))), Optional.empty(), List.of(), List.of());
        PodNetwork.Repair repair = PodNetwork.planIpv6(pod.netns(), pod.ifname(), v6,
                new PodNetwork.Observed(OptionalInt.empty(), addresses.get(), List.of()));
        if (run(pod, repair.plan())) {
            log.info("pod.address6_kept", pod.logPod(), "DHCPv6 lease of " + pod.describe() + " " + kind.text()
                    + ": " + cidr + " valid "
                    + lease.validSecondsLeft(now) + " s, preferred " + lease.preferredSecondsLeft(now) + " s"
                    + (repair.repaired().isEmpty() ? "" : "; repaired: " + String.join("; ", repair.repaired())));
        }
    }

    @Override
    public void lost(HeldLease6 held, String why) {
        PodIdentity pod = held.identity();
        addresses(pod).ifPresent(addresses -> onPod(addresses, pod.ifname(), held.lease().address()).ifPresent(cidr ->
                run(pod, PodNetwork.removal(pod.netns(), pod.ifname(), cidr.toString(), addresses,
                        "DHCPv6 lease of " + pod.describe() + " ended (" + why + ")"))));
    }

    /** The leased address as the pod has it (with its prefix length), if it has it. */
    private static Optional<Ipv6Cidr> onPod(List<IpAddress> addresses, String ifname, Ipv6 address) {
        return addresses.stream()
                .filter(a -> a.dev().equals(ifname) && a.family() == dev.terway.netstate.Family.INET6)
                .filter(a -> address.equals(Ipv6.parseOrNull(a.local())))
                .map(a -> new Ipv6Cidr(address, a.prefixLen()))
                .findFirst();
    }

    private Optional<List<IpAddress>> addresses(PodIdentity pod) {
        return steps.observe(pod, NodeObserver.PodInterface::addresses);
    }

    private boolean run(PodIdentity pod, Plan plan) {
        return steps.run(pod, plan);
    }
}
