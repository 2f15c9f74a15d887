package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.netstate.Link;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * GC: everything of this network that belongs to an attachment the runtime no longer knows goes. Host
 * veths on this network's bridge that no valid attachment derives to (and that no ADD in progress is
 * creating) are deleted; DHCP and DHCPv6 leases of invalid attachments are released, unless their veth sits
 * on another bridge (another terway network's). A delegated IPAM plugin gets GC too.
 */
final class GcVerb {

    private final VerbContext ctx;

    GcVerb(VerbContext ctx) {
        this.ctx = ctx;
    }

    CniReply run(CniRequest request, NetConf conf) throws CniException {
        Set<LeaseGateway.Attachment> valid = new HashSet<>();
        Set<String> validVeths = new HashSet<>();
        for (NetConf.Attachment a : conf.validAttachments()) {
            valid.add(new LeaseGateway.Attachment(a.containerId(), a.ifname()));
            validVeths.add(VethNames.hostVeth(a.containerId(), a.ifname()));
        }
        Map<String, Link> veths = ctx.observer().terwayVeths().stream()
                .collect(Collectors.toMap(Link::name, Function.identity(), (a, b) -> a));
        Plan.Builder deletions = Plan.builder();
        for (Link veth : veths.values()) {
            if (veth.master().equals(Optional.of(conf.bridge())) && !validVeths.contains(veth.name())
                    && !ctx.attachments().isBeingAdded(veth.name())) {
                deletions.add(Step.of("stale attachment: host veth " + veth.name() + " belongs to no valid"
                        + " attachment", List.of("ip", "link", "del", veth.name())));
            }
        }
        List<LeaseGateway.Attachment> releases = new ArrayList<>();
        List<LeaseGateway.Attachment> releases6 = new ArrayList<>();
        if (conf.ipam().isEmpty()) {
            releases.addAll(stale(ctx.leases().held().orElse(Set.of()), valid, veths, conf));
        }
        if (ctx.dhcp6().isPresent()) {
            releases6.addAll(stale(ctx.dhcp6().get().held().orElse(Set.of()), valid, veths, conf));
        }
        if (request.dryRun()) {
            StringBuilder out = new StringBuilder();
            for (LeaseGateway.Attachment a : releases) {
                out.append("# release the DHCP lease of ").append(a.containerId()).append('/').append(a.ifname())
                        .append('\n');
            }
            for (LeaseGateway.Attachment a : releases6) {
                out.append("# release the DHCPv6 lease of ").append(a.containerId()).append('/').append(a.ifname())
                        .append('\n');
            }
            return CniReply.success(out + PlanPrinter.render(deletions.build()));
        }
        // DHCPv6 leases before their veths: RELEASE leaves from the pod's interface (the kernel's DAD guards
        // IPv6 against a second holder). Then the stale veths, then their IPv4 leases, as DEL does: a pod must
        // not answer ARP for an address the server may already be handing to another.
        for (LeaseGateway.Attachment a : releases6) {
            ctx.dhcp6().get().release(a.containerId(), a.ifname());
            ctx.log().info("cni.gc_released", LogPod.of(a.containerId(), a.ifname()), "GC: released the DHCPv6"
                    + " lease of stale attachment " + a.containerId() + "/" + a.ifname(), "family", "6");
        }
        List<String> failures = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        for (Step step : deletions.build().steps()) {
            String veth = step.argv().get(3);
            try {
                ctx.plans().run(new Plan(List.of(step)));
                ctx.log().info("cni.gc_deleted", "GC: " + step.reason(), "hostVeth", veth);
            } catch (PlanFailedException e) {
                if (ctx.observer().linkExists(veth)) {
                    failures.add(e.getMessage());
                    kept.add(veth);
                    continue;
                }
            }
            ctx.forgetAttachmentRecord(veth);
        }
        if (conf.ipam().isPresent()) {
            ctx.ipam().gc(request, conf.ipam().get().type());
        }
        for (LeaseGateway.Attachment a : releases) {
            if (kept.contains(VethNames.hostVeth(a.containerId(), a.ifname()))) {
                continue; // its pod still has the address: released by the next GC, once the veth is gone
            }
            ctx.leases().release(a.containerId(), a.ifname());
            ctx.log().info("cni.gc_released", LogPod.of(a.containerId(), a.ifname()), "GC: released the lease of stale"
                    + " attachment " + a.containerId() + "/" + a.ifname());
        }
        if (!failures.isEmpty()) {
            throw new CniException(CniErrorCode.TEARDOWN_FAILED, "GC could not delete " + failures.size()
                    + " stale host veth(s)", String.join("; ", failures));
        }
        return CniReply.empty();
    }

    /**
     * The leases among {@code held} that belong to no valid attachment and are this network's: their veth is on
     * this network's bridge or gone, and no ADD is creating it.
     */
    private List<LeaseGateway.Attachment> stale(Set<LeaseGateway.Attachment> held, Set<LeaseGateway.Attachment> valid,
                                                Map<String, Link> veths, NetConf conf) {
        List<LeaseGateway.Attachment> out = new ArrayList<>();
        for (LeaseGateway.Attachment a : held) {
            if (valid.contains(a)) {
                continue;
            }
            String name = VethNames.hostVeth(a.containerId(), a.ifname());
            Link veth = veths.get(name);
            boolean ours = veth == null || veth.master().equals(Optional.of(conf.bridge()));
            if (ours && !ctx.attachments().isBeingAdded(name)) {
                out.add(a);
            }
        }
        return out;
    }
}
