package dev.terway.cni.ipam;

import dev.terway.cni.spec.CniException;
import dev.terway.net.Ipv6;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * DHCPv6 leases (RFC 8415, one IA_NA per pod interface) as the CNI verbs use them; the daemon's DHCPv6
 * lease service implements it. The IPv4 counterpart is {@link LeaseGateway}; the two stay apart because a
 * pod may have either, both or neither, each with its own server, timers and failure.
 *
 * <p>{@link #acquire} returns once the server's REPLY is bound and stored; putting the address on the
 * pod's interface and keeping it there is the pod-network planner's job, like for IPv4.
 */
public interface Dhcp6Gateway {

    /**
     * Leases an IPv6 address for the pod interface; "try again later" (11) naming what happened (no
     * ADVERTISE, NoAddrsAvail, timeout) when none was granted within {@code request.timeout()}.
     */
    Dhcp6Lease acquire(Dhcp6Request request) throws CniException;

    /**
     * The pod's duplicate address detection found {@code address}, the lease's, in use on the LAN: DECLINE it
     * (RFC 8415 §18.2.8) and lease another within {@code request.timeout()}, never one of {@code declined} (the
     * addresses this ADD declined before) nor {@code address}; "try again later" (11) naming the declined
     * addresses when none came.
     *
     * @param why what the pod saw, for the daemon's log and the error
     */
    Dhcp6Lease decline(Dhcp6Request request, Ipv6 address, Set<Ipv6> declined, String why) throws CniException;

    /** Sends RELEASE for the interface's lease and forgets it; false when none was held. Never fails. */
    boolean release(String containerId, String ifname);

    /** The attachments holding an IPv6 lease now, or empty when this gateway cannot know (daemon down). */
    Optional<Set<LeaseGateway.Attachment>> held();

    /** A pod interface asking for an IPv6 lease; the pod identity as in {@link LeaseRequest}. */
    record Dhcp6Request(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                        Optional<String> podName, Duration timeout) {
    }

    /**
     * A bound IA_NA address. IA_NA addresses carry no prefix length (RFC 8415 §21.6): the on-link prefix
     * comes from router advertisements, so the planner adds the address as /128 unless an RA names one.
     *
     * @param validSeconds     the address's valid lifetime now (for `ip addr ... valid_lft`)
     * @param preferredSeconds its preferred lifetime now
     * @param dnsServers       option 23 (RFC 3646)
     * @param domainSearch     option 24
     * @param server           the server's DUID as hex, for logs and `terway dhcp list`
     */
    record Dhcp6Lease(Ipv6 address, long validSeconds, long preferredSeconds, List<Ipv6> dnsServers,
                      List<String> domainSearch, String server) {

        public Dhcp6Lease {
            dnsServers = List.copyOf(dnsServers);
            domainSearch = List.copyOf(domainSearch);
        }
    }
}
