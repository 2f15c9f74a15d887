package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.cni.config.CniArgs;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanPrinter;

/**
 * DEL: gives the addresses back (the DHCP lease, and the DHCPv6 lease where the daemon runs them), then
 * deletes the veth pair, which takes every address and route of the pod's end with it. Idempotent: a
 * missing netns, veth or lease is fine, and a second DEL finds nothing to do. The leases go first so the
 * daemon can still send DHCPRELEASE (and RELEASE) from inside the pod while the interface exists.
 *
 * <p>A delegated IPAM plugin's DEL runs before the reply. In the daemon, the rest (release, veth deletion)
 * runs right after it ({@link DeferredDeletes}); the in-process fallback runs everything before replying.
 */
final class DelVerb {

    private final VerbContext ctx;

    DelVerb(VerbContext ctx) {
        this.ctx = ctx;
    }

    CniReply run(CniRequest request, NetConf conf) throws CniException {
        CniArgs args = CniArgs.parse(request.cniArgs());
        AddressChoice choice = AddressChoice.of(conf, args);
        String hostVeth = VethNames.hostVeth(request.containerId(), request.ifname());
        if (request.dryRun()) {
            String release = choice.isDelegated()
                    ? "# DEL of IPAM plugin " + choice.delegated().get().type() + "\n"
                    : "# release the DHCP lease of " + request.containerId() + "/" + request.ifname() + "\n";
            return CniReply.success(release + (ctx.observer().linkExists(hostVeth)
                    ? PlanPrinter.render(PodPlans.delete(hostVeth)) : "# host veth " + hostVeth + " is gone already\n"));
        }
        String containerId = request.containerId();
        String ifname = request.ifname();
        LogPod pod = new LogPod(containerId, args.podNamespace(), args.podName(), ifname);
        Attachments.Permit permit = ctx.attachments().hold(containerId, ifname);
        boolean handedOver = false;
        try {
            if (choice.isDelegated()) {
                ctx.ipam().del(request, choice.delegated().get().type());
            }
            // Also for a pinned address: the config may have changed since ADD, and releasing a lease that is
            // not held is a no-op. After a delegated IPAM the daemon holds none either.
            DeferredDeletes.Tail tail = () -> finish(containerId, ifname);
            if (ctx.deferredDeletes().isPresent()) {
                handedOver = ctx.deferredDeletes().get().defer(containerId, ifname, pod, permit, tail, ctx.log());
                if (handedOver) {
                    return CniReply.empty();
                }
            }
            String outcome = finish(containerId, ifname);
            ctx.log().info("cni.del_finished", pod, "DEL " + containerId + "/" + ifname + ": "
                    + outcome);
            return CniReply.empty();
        } finally {
            if (!handedOver) {
                permit.close();
            }
        }
    }

    /**
     * The part of DEL that needs no request: release the lease, delete the veth pair. Also what the daemon
     * runs at start for DELs a crash interrupted. Returns what it did, for the log.
     */
    String finish(String containerId, String ifname) throws CniException {
        boolean released = ctx.leases().release(containerId, ifname);
        // Before the veth goes, so that the DHCPv6 RELEASE still leaves from the pod's interface.
        String released6 = ctx.dhcp6().map(g -> g.release(containerId, ifname) ? ", DHCPv6 lease released" : "")
                .orElse("");
        String hostVeth = VethNames.hostVeth(containerId, ifname);
        try {
            ctx.plans().run(PodPlans.delete(hostVeth));
        } catch (PlanFailedException e) {
            if (ctx.observer().linkExists(hostVeth)) {
                throw new CniException(CniErrorCode.TEARDOWN_FAILED, "DEL of " + ifname
                        + " could not delete host veth " + hostVeth + ": " + e.getMessage());
            }
            // Gone meanwhile (the netns was torn down under us): that is what DEL wanted.
            ctx.forgetAttachmentRecord(hostVeth);
            return ctx.leases().describeRelease(released) + released6 + ", host veth was gone";
        }
        ctx.forgetAttachmentRecord(hostVeth);
        return ctx.leases().describeRelease(released) + released6 + ", host veth deleted";
    }
}
