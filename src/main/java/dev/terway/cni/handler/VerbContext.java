package dev.terway.cni.handler;

import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.PlanRunner;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What every verb works with: the node, the plans' runner, the address sources, a clock and a log; in the
 * daemon also where DELs finish after their reply.
 */
record VerbContext(CommandRunner runner, NodeObserver observer, PlanRunner plans, LeaseGateway leases,
                   DelegatedIpam ipam, Clock clock, Consumer<String> log, Attachments attachments,
                   NetnsProbe netnsProbe, Optional<DeferredDeletes> deferredDeletes) {

    static VerbContext of(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                          Consumer<String> log, NetnsProbe netnsProbe, Optional<DeferredDeletes> deferredDeletes) {
        return new VerbContext(runner, new NodeObserver(runner), new PlanRunner(runner), leases, ipam, clock, log,
                new Attachments(), netnsProbe, deferredDeletes);
    }
}
