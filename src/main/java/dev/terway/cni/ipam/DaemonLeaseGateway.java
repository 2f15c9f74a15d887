package dev.terway.cni.ipam;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.result.Dns;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.daemon.AcquireRequest;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseException;
import dev.terway.dhcp.daemon.LeaseService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** Leases from the daemon's own {@link LeaseService}, in-process. */
public final class DaemonLeaseGateway implements LeaseGateway {

    private final LeaseService leases;
    private final Clock clock;

    public DaemonLeaseGateway(LeaseService leases, Clock clock) {
        this.leases = leases;
        this.clock = clock;
    }

    @Override
    public PodAddress acquire(LeaseRequest r) throws CniException {
        AcquireRequest request = new AcquireRequest(r.containerId(), r.netns(), r.ifname(), r.podNamespace(),
                r.podName(), r.requestedAddress(), Optional.empty(), Optional.empty(), r.timeout(),
                r.onAddressChange(), r.network());
        HeldLease lease;
        try {
            lease = leases.acquire(request);
        } catch (LeaseException e) {
            // An address another host already had is worth saying in the message itself, not only the details.
            String declined = e.declined().isEmpty() ? "" : ": declined " + String.join(", ", e.declined())
                    + " and no free address came in time";
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER,
                    "no DHCP lease for " + r.ifname() + " of container " + r.containerId() + " within "
                            + r.timeout().toSeconds() + " s" + declined + "; try again later", e.getMessage());
        }
        return toPodAddress(lease, clock);
    }

    /** The pod's view of a lease; nothing is lost (the MTU, option 26, goes along). */
    public static PodAddress toPodAddress(HeldLease lease, Clock clock) {
        List<PodAddress.SourceRoute> routes = new ArrayList<>();
        for (ClasslessRoute r : lease.routes()) {
            Ipv4 gateway = r.router();
            Optional<Ipv4> via = gateway.isAny() ? Optional.empty() : Optional.of(gateway);
            routes.add(new PodAddress.SourceRoute(
                    new Ipv4Cidr(r.destination(), r.prefixLength()), via));
        }
        List<String> dns = new ArrayList<>();
        for (Ipv4 a : lease.dns()) {
            dns.add(a.toString());
        }
        return new PodAddress(new Ipv4Cidr(lease.address(), lease.prefixLength()),
                lease.gateway(), routes,
                new Dns(dns, lease.domain(), lease.search(), List.of()),
                OptionalLong.of(lease.remainingSeconds(clock.instant())), lease.mtu());
    }

    @Override
    public boolean release(String containerId, String ifname) {
        return leases.releaseUnplugged(containerId, ifname);
    }

    @Override
    public Optional<Set<Attachment>> held() {
        Set<Attachment> held = new LinkedHashSet<>();
        for (HeldLease l : leases.list()) {
            held.add(new Attachment(l.containerId(), l.ifname()));
        }
        return Optional.of(held);
    }
}
