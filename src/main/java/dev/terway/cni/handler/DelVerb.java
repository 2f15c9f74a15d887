package dev.terway.cni.handler;

import dev.terway.cni.config.CniArgs;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanPrinter;
import java.util.concurrent.locks.Lock;

/**
 * DEL: gives the address back, then deletes the veth pair. Idempotent: a missing netns, veth or lease is
 * fine, and a second DEL finds nothing to do. The lease goes first so the daemon can still send
 * DHCPRELEASE from inside the pod while the interface exists.
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
        Lock lock = ctx.attachments().lock(request.containerId(), request.ifname());
        lock.lock();
        try {
            if (choice.isDelegated()) {
                ctx.ipam().del(request, choice.delegated().get().type());
            } else {
                // Also for a pinned address: the config may have changed since ADD, and releasing a lease
                // that is not held is a no-op.
                boolean released = ctx.leases().release(request.containerId(), request.ifname());
                ctx.log().accept("DEL " + request.containerId() + "/" + request.ifname() + ": "
                        + (released ? "lease released" : "no lease held"));
            }
            Plan delete = PodPlans.delete(hostVeth);
            try {
                ctx.plans().run(delete);
            } catch (PlanFailedException e) {
                if (ctx.observer().linkExists(hostVeth)) {
                    throw new CniException(CniErrorCode.TEARDOWN_FAILED, "DEL of " + request.ifname()
                            + " could not delete host veth " + hostVeth + ": " + e.getMessage());
                }
                // Gone meanwhile (the netns was torn down under us): that is what DEL wanted.
            }
            ctx.forgetAttachmentRecord(hostVeth);
            return CniReply.empty();
        } finally {
            lock.unlock();
        }
    }
}
