package dev.terway.cni.ipam;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.daemon.Dhcp6LeaseException;
import dev.terway.dhcp6.daemon.Dhcp6LeaseService;
import dev.terway.dhcp6.daemon.HeldLease6;
import dev.terway.net.Ipv6;
import java.time.Clock;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The daemon's {@link Dhcp6Gateway}: the verbs' DHCPv6 leases from the in-process {@link Dhcp6LeaseService}, as
 * {@link DaemonLeaseGateway} gives them the IPv4 ones. The lifetimes it returns are those left now, which is what
 * `ip addr add … valid_lft … preferred_lft` takes.
 */
public final class DaemonDhcp6Gateway implements Dhcp6Gateway {

    private final Dhcp6LeaseService leases;
    private final Clock clock;

    public DaemonDhcp6Gateway(Dhcp6LeaseService leases, Clock clock) {
        this.leases = leases;
        this.clock = clock;
    }

    @Override
    public Dhcp6Lease acquire(Dhcp6Request request) throws CniException {
        PodIdentity pod = new PodIdentity(request.containerId(), request.ifname(), request.netns(),
                request.podNamespace(), request.podName());
        try {
            return toLease(leases.acquire(pod, request.timeout()));
        } catch (Dhcp6LeaseException e) {
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, e.getMessage());
        }
    }

    @Override
    public Dhcp6Lease decline(Dhcp6Request request, Ipv6 address, Set<Ipv6> declined, String why)
            throws CniException {
        PodIdentity pod = new PodIdentity(request.containerId(), request.ifname(), request.netns(),
                request.podNamespace(), request.podName());
        try {
            return toLease(leases.decline(pod, address, declined, why, request.timeout()));
        } catch (Dhcp6LeaseException e) {
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no DHCPv6 lease for " + request.ifname() + " of"
                    + " container " + request.containerId() + ": " + e.getMessage() + "; try again later");
        }
    }

    @Override
    public boolean release(String containerId, String ifname) {
        return leases.release(containerId, ifname);
    }

    @Override
    public Optional<Set<LeaseGateway.Attachment>> held() {
        Set<LeaseGateway.Attachment> held = new HashSet<>();
        for (LeaseKey key : leases.held()) {
            held.add(new LeaseGateway.Attachment(key.containerId(), key.ifname()));
        }
        return Optional.of(held);
    }

    private Dhcp6Lease toLease(HeldLease6 held) {
        IaNaLease lease = held.lease();
        var now = clock.instant();
        return new Dhcp6Lease(lease.address(), lease.validSecondsLeft(now), lease.preferredSecondsLeft(now),
                lease.dnsServers(), lease.domainSearch(), lease.server().toString());
    }
}
