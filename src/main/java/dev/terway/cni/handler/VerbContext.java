package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.log.EventLog;
import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.Dhcp6Gateway;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.PodSpec;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.FaultInjection;
import dev.terway.plan.PlanRunner;
import java.time.Clock;
import java.util.Optional;

/**
 * What every verb works with: the node, the plans' runner, the address sources, a clock, a log, the judges
 * of CNI_NETNS (a network namespace, and not one of the node's own) and the attachment records (what the daemon's repair needs to put host veths back on a re-created bridge); in the
 * daemon also where DELs finish after their reply; and the faults a test asked for ({@link FaultInjection#NONE}
 * outside tests). {@code dhcp6}: the daemon's DHCPv6 leases, where it runs them; absent, {@code "ipv6": {"mode":
 * "dhcpv6"}} is refused and {@code auto} is SLAAC only.
 */
record VerbContext(CommandRunner runner, NodeObserver observer, PlanRunner plans, LeaseGateway leases,
                   DelegatedIpam ipam, Clock clock, EventLog log, Attachments attachments,
                   NetnsProbe netnsProbe, NodeNamespaces nodeNamespaces, AttachmentRecords records,
                   Optional<DeferredDeletes> deferredDeletes, FaultInjection faults, Optional<Dhcp6Gateway> dhcp6,
                   LanIpv6Announcements ipv6Announcements) {

    static VerbContext of(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                          EventLog log, NetnsProbe netnsProbe, NodeNamespaces nodeNamespaces,
                          AttachmentRecords records, Optional<DeferredDeletes> deferredDeletes,
                          FaultInjection faults, Optional<Dhcp6Gateway> dhcp6) {
        return new VerbContext(runner, new NodeObserver(runner), new PlanRunner(runner), leases, ipam, clock, log,
                new Attachments(), netnsProbe, nodeNamespaces, records, deferredDeletes, faults, dhcp6,
                new LanIpv6Announcements());
    }

    /**
     * Keeps the record of a working attachment. A failure is logged, never thrown: the pod works without
     * it, only its repair after a bridge re-creation is lost (the audit log's policy, for the same reason).
     */
    void keepAttachmentRecord(PodSpec spec, String cidr) {
        try {
            records.put(AttachmentRecord.of(spec.containerId(), spec.ifname(), spec.netns(), spec.bridge(),
                    spec.hairpin()).withAddress(Optional.of(cidr)));
        } catch (RuntimeException e) {
            log.warn("attachment.record_failed", LogPod.of(spec.containerId(), spec.ifname()), e.getMessage()
                    + "; the pod works, but its host veth will not be re-attached if bridge " + spec.bridge()
                    + " is created again");
        }
    }

    /**
     * Notes in an attachment's record that its pod's address changed under it (the daemon lost the lease and
     * the server granted another address). Only an existing record is updated: a DEL that removed it meanwhile
     * wins. A failure is logged, never thrown: the daemon's log has the change too.
     */
    void noteAddressChange(String containerId, String ifname, AttachmentRecord.AddressChange change) {
        try {
            LogPod pod = LogPod.of(containerId, ifname);
            Optional<AttachmentRecord> record = records.get(containerId, ifname,
                    w -> log.warn("attachment.record_unreadable", pod, w));
            if (record.isEmpty()) {
                log.info("attachment.note_skipped", pod, "no attachment record of " + containerId + "/" + ifname
                        + " to note its address change in");
                return;
            }
            records.put(record.get().withAddressChange(change));
        } catch (RuntimeException e) {
            log.warn("attachment.note_failed", LogPod.of(containerId, ifname), "could not note the address change of "
                    + containerId + "/" + ifname + " in its attachment record: " + e.getMessage());
        }
    }

    /**
     * Drops the record of a host veth that is gone. A failure is logged, never thrown: the repair forgets a
     * record whose veth it cannot find.
     */
    void forgetAttachmentRecord(String hostVeth) {
        try {
            records.forget(hostVeth);
        } catch (RuntimeException e) {
            log.warn("attachment.forget_failed", e.getMessage() + "; the daemon's repair drops it once it sees the"
                    + " veth is gone", "hostVeth", hostVeth);
        }
    }
}
