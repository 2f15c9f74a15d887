package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.log.EventLog;
import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.config.NetConfParser;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.Dhcp6Gateway;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniExecutor;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.cni.spec.Verb;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.FaultInjection;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The CNI verbs, from an invocation to the reply `cni-terway` exits with. One implementation for both
 * places it runs: inside the daemon (leases from its LeaseService) and inside `cni-terway` when the daemon
 * is down (DEL only, releases queued for the daemon).
 */
public final class CniService implements CniExecutor {

    private final VerbContext ctx;
    private final Runnable beforeEachRequest;

    /** The verbs that take a CNI_NETNS, which must not be one of the node's own namespaces. */
    private static final List<Verb> NETNS_VERBS = List.of(Verb.ADD, Verb.CHECK, Verb.DEL);

    /**
     * Runs every verb to its end before replying: the in-process fallback, in `cni-terway`, which refuses
     * the namespace it runs in (the runtime's, the node's) as a pod's.
     *
     * @param records where ADD records what it attached, and DEL and GC remove it
     */
    public CniService(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                      EventLog log, Runnable beforeEachRequest, AttachmentRecords records) {
        this(runner, leases, ipam, clock, log, beforeEachRequest, records, NetnsProbe.SYSTEM,
                NodeNamespaces.own("the namespace cni-terway runs in"), Optional.empty());
    }

    /**
     * With another judge of what is a network namespace (tests use plain files as namespaces) and, in the
     * daemon, where DELs finish after their reply; the node's namespace is the one this process runs in.
     */
    public CniService(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                      EventLog log, Runnable beforeEachRequest, AttachmentRecords records,
                      NetnsProbe netnsProbe, Optional<DeferredDeletes> deferredDeletes) {
        this(runner, leases, ipam, clock, log, beforeEachRequest, records, netnsProbe,
                NodeNamespaces.own("the namespace terway runs in"), deferredDeletes);
    }

    /** With the namespaces that are the node's own and that no pod may be given (the daemon's). */
    public CniService(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                      EventLog log, Runnable beforeEachRequest, AttachmentRecords records,
                      NetnsProbe netnsProbe, NodeNamespaces nodeNamespaces, Optional<DeferredDeletes> deferredDeletes) {
        this(runner, leases, ipam, clock, log, beforeEachRequest, records, netnsProbe, nodeNamespaces, deferredDeletes,
                FaultInjection.NONE);
    }

    /** And the faults a test asked the daemon's verbs to inject ({@code terway dhcp daemon --inject-fault}). */
    public CniService(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                      EventLog log, Runnable beforeEachRequest, AttachmentRecords records,
                      NetnsProbe netnsProbe, NodeNamespaces nodeNamespaces, Optional<DeferredDeletes> deferredDeletes,
                      FaultInjection faults) {
        this(runner, leases, ipam, clock, log, beforeEachRequest, records, netnsProbe, nodeNamespaces, deferredDeletes,
                faults, Optional.empty());
    }

    /** And the DHCPv6 leases, where the daemon runs them (absent: ipv6 mode "dhcpv6" is refused). */
    public CniService(CommandRunner runner, LeaseGateway leases, DelegatedIpam ipam, Clock clock,
                      EventLog log, Runnable beforeEachRequest, AttachmentRecords records,
                      NetnsProbe netnsProbe, NodeNamespaces nodeNamespaces, Optional<DeferredDeletes> deferredDeletes,
                      FaultInjection faults, Optional<Dhcp6Gateway> dhcp6) {
        this.ctx = VerbContext.of(runner, leases, ipam, clock, log, netnsProbe, nodeNamespaces, records,
                deferredDeletes, faults, dhcp6);
        this.beforeEachRequest = beforeEachRequest;
    }

    /**
     * Finishes the DELs that were accepted before the daemon last stopped but never completed (it was
     * killed between the reply and the end of the DEL). Run at daemon start, after the stored leases were
     * taken up, so that the release finds the lease. Returns how many were finished.
     */
    public int finishInterruptedDeletes() {
        if (ctx.deferredDeletes().isEmpty()) {
            return 0;
        }
        DeferredDeletes deferred = ctx.deferredDeletes().get();
        int finished = 0;
        for (LeaseGateway.Attachment a : deferred.unfinished(ctx.log().warnings("cni.del_record_unreadable"))) {
            String name = a.containerId() + "/" + a.ifname();
            try (Attachments.Permit held = ctx.attachments().hold(a.containerId(), a.ifname())) {
                String outcome = new DelVerb(ctx).finish(a.containerId(), a.ifname());
                deferred.finished(a);
                ctx.log().info("cni.del_finished", LogPod.of(a.containerId(), a.ifname()), "DEL " + name
                        + " interrupted by the last stop finished now: " + outcome);
                finished++;
            } catch (CniException | RuntimeException e) {
                ctx.log().error("cni.del_unfinished", LogPod.of(a.containerId(), a.ifname()), "DEL " + name
                        + " interrupted by the last stop could not finish: " + e.getMessage());
            }
        }
        return finished;
    }

    /**
     * The repair that puts host veths back on a re-created bridge, sharing this service's attachment locks
     * and records. It changes the node through this service's runner (audited in the daemon) and looks with
     * {@code queries}, so that a look every few seconds does not fill the audit log.
     */
    /** Notes an address change the daemon reports in the attachment's record (see {@link AttachmentRecord}). */
    public void noteAddressChange(String containerId, String ifname, AttachmentRecord.AddressChange change) {
        ctx.noteAddressChange(containerId, ifname, change);
    }

    public AttachmentRepair attachmentRepair(CommandRunner queries) {
        return new AttachmentRepair(new NodeObserver(queries), ctx.plans(), ctx.attachments(), ctx.records(),
                ctx.log());
    }

    @Override
    public CniReply execute(CniInvocation invocation) {
        Verb verb;
        try {
            verb = InvocationValidator.verb(invocation);
        } catch (CniException e) {
            return e.toReply(InvocationValidator.errorVersion(invocation));
        }
        if (verb == Verb.VERSION) {
            return InvocationValidator.version(invocation);
        }
        String version = InvocationValidator.errorVersion(invocation);
        try {
            CniRequest request = InvocationValidator.validate(invocation);
            version = request.cniVersion();
            Optional<CniReply> refused = refuseNodeNamespace(request);
            if (refused.isPresent()) {
                return refused.get();
            }
            NetConf conf = NetConfParser.parse(request.config());
            beforeEachRequest.run();
            return switch (verb) {
                case ADD -> new AddVerb(ctx).run(request, conf);
                case DEL -> new DelVerb(ctx).run(request, conf);
                case CHECK -> new CheckVerb(ctx).run(request, conf);
                case GC -> new GcVerb(ctx).run(request, conf);
                case STATUS -> new StatusVerb(ctx).run(conf);
                case VERSION -> InvocationValidator.version(invocation);
            };
        } catch (CniException e) {
            log(verb, invocation, e.getMessage());
            return e.toReply(version);
        } catch (RuntimeException e) {
            log(verb, invocation, e.toString());
            return CniReply.error(version, CniErrorCode.INTERNAL, verb + " failed unexpectedly: " + e, "");
        }
    }

    /**
     * A CNI_NETNS that is one of the node's own namespaces is refused before anything else happens: ADD and
     * CHECK (and their dry runs) with an "invalid environment" error. DEL succeeds having done nothing: ADD
     * never attaches a pod to such a namespace, so there is nothing of it to clean up, and whatever the
     * container id may name is not touched on the word of a request that names the node as the pod. (Should
     * a real attachment of that id remain, GC removes it once the runtime no longer lists it.)
     */
    private Optional<CniReply> refuseNodeNamespace(CniRequest request) throws CniException {
        if (!NETNS_VERBS.contains(request.verb())) {
            return Optional.empty();
        }
        Optional<String> problem = ctx.nodeNamespaces().problem(request.netns());
        if (problem.isEmpty()) {
            return Optional.empty();
        }
        String why = "CNI_NETNS " + request.netns() + ": " + problem.get();
        if (request.verb() == Verb.DEL) {
            ctx.log().warn("cni.del_refused", LogPod.of(request.containerId(), request.ifname()), "DEL "
                    + request.containerId() + "/" + request.ifname() + " does nothing: " + why);
            return Optional.of(request.dryRun() ? CniReply.success("# nothing to do: " + why + "\n")
                    : CniReply.empty());
        }
        throw new CniException(CniErrorCode.INVALID_ENVIRONMENT, "invalid " + why);
    }

    private void log(Verb verb, CniInvocation inv, String what) {
        ctx.log().warn("cni.failed", CniOps.logPod(inv.env()), "cni " + verb + " "
                + inv.env(CniInvocation.CNI_CONTAINERID) + "/" + inv.env(CniInvocation.CNI_IFNAME) + ": " + what,
                "verb", verb.toString());
    }
}
