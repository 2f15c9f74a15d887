package dev.terway.cni.handler;

import dev.terway.cni.config.CniArgs;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.ipam.LeaseRequest;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.PodPlans;
import dev.terway.cni.pod.PodRoute;
import dev.terway.cni.pod.PodSpec;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.Dns;
import dev.terway.cni.result.ResultInterface;
import dev.terway.cni.result.ResultIp;
import dev.terway.cni.result.ResultRoute;
import dev.terway.cni.result.ResultWriter;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.dhcp.daemon.PodNetworkConfig;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * ADD: veth pair onto the bridge, both ends up, then an address (DHCP lease, delegated IPAM or pinned),
 * then address and routes in the pod. A failure at any point undoes everything before it: the veth is
 * deleted (taking addresses and routes with it) and the address is given back.
 */
final class AddVerb {

    private final VerbContext ctx;

    AddVerb(VerbContext ctx) {
        this.ctx = ctx;
    }

    CniReply run(CniRequest request, NetConf conf) throws CniException {
        CniArgs args = CniArgs.parse(request.cniArgs());
        Path netns = Path.of(request.netns());
        if (!Files.exists(netns)) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER,
                    "network namespace " + netns + " (CNI_NETNS) does not exist");
        }
        java.util.Optional<String> notNetns = ctx.netnsProbe().problem(netns);
        if (notNetns.isPresent()) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "invalid CNI_NETNS " + netns + ": " + notNetns.get());
        }
        String hostVeth = VethNames.hostVeth(request.containerId(), request.ifname());
        NodeView node = ctx.observer().observe(conf.bridge());
        if (!node.bridgeExists()) {
            throw new CniException(CniErrorCode.NODE_NOT_SET_UP, "bridge " + conf.bridge()
                    + " does not exist on this node; run `terway setup` first (it bridges the node's NIC into "
                    + conf.bridge() + ")");
        }
        PodSpec spec = PodSpec.of(request.containerId(), request.ifname(), netns, conf.bridge(),
                conf.mtu().orElse(node.bridgeMtu()), conf.hairpinMode(), conf.runtimeConfig().mac());
        Plan link = PodPlans.link(spec, node);
        AddressChoice choice = AddressChoice.of(conf, args);
        if (request.dryRun()) {
            return dryRun(spec, link, choice, node, conf);
        }
        try (Attachments.Permit held = ctx.attachments().hold(request.containerId(), request.ifname())) {
            ctx.attachments().startAdding(hostVeth);
            try {
                return add(request, conf, args, spec, node, link, choice);
            } finally {
                ctx.attachments().doneAdding(hostVeth);
            }
        }
    }

    private CniReply add(CniRequest request, NetConf conf, CniArgs args, PodSpec spec, NodeView node, Plan link,
                         AddressChoice choice) throws CniException {
        List<Step> linked;
        try {
            linked = ctx.plans().run(link);
        } catch (PlanFailedException e) {
            if (!isLeftover(e, spec)) {
                throw new CniException(CniErrorCode.SETUP_FAILED, "ADD of " + spec.ifname() + " in " + spec.netns()
                        + " failed: " + e.getMessage());
            }
            // A veth of an earlier, interrupted ADD of this attachment: remove it and start over.
            node = node.withHostVethExists(true);
            try {
                linked = ctx.plans().run(PodPlans.link(spec, node));
            } catch (PlanFailedException again) {
                throw new CniException(CniErrorCode.SETUP_FAILED, "ADD of " + spec.ifname() + " in "
                        + spec.netns() + " failed: " + again.getMessage());
            }
        }
        pauseAfterLinkForFaultTests(spec);
        boolean addressTaken = false;
        try {
            PodAddress address = obtainAddress(request, conf, args, spec, node, choice);
            addressTaken = true;
            if (PodPlans.needsNodeGateway(address)) {
                node = node.withDefaultGateway(ctx.observer().defaultGateway());
            }
            PodNetwork.Target target = PodNetwork.target(spec.netns(), spec.ifname(), address, node,
                    conf.serviceCidr().stream().toList(), spec.mtu());
            ctx.plans().run(PodNetwork.plan(target, PodNetwork.Observed.freshLink(spec.mtu())).plan());
            CniResult result = result(spec, address, target.routes(), conf.dns(), target.mtu().orElse(spec.mtu()));
            if (conf.prevResult().isPresent()) {
                result = result.after(conf.prevResult().get());
            }
            CniReply reply = CniReply.success(ResultWriter.write(result, conf.cniVersion()));
            ctx.keepAttachmentRecord(spec, address.cidr().toString());
            return reply;
        } catch (CniException | PlanFailedException | RuntimeException e) {
            String undone = undo(request, conf, choice, addressTaken, linked);
            if (e instanceof CniException c) {
                throw new CniException(c.code(), c.getMessage() + undone, c.details());
            }
            if (e instanceof PlanFailedException) {
                throw new CniException(CniErrorCode.SETUP_FAILED, "ADD of " + spec.ifname() + " in " + spec.netns()
                        + " failed: " + e.getMessage() + undone);
            }
            throw new CniException(CniErrorCode.INTERNAL, "ADD of " + spec.ifname() + " failed unexpectedly: " + e
                    + undone);
        }
    }

    /**
     * The fault-injection tests (it/…/reliability) kill `cni-terway` or the daemon while an ADD has created
     * the veth but holds no lease yet: they start the daemon with {@code --inject-fault pause-after-link=…}
     * ({@link dev.terway.plan.FaultInjection}). A runtime never does, and nothing in a request can set it.
     */
    private void pauseAfterLinkForFaultTests(PodSpec spec) {
        long pause = ctx.faults().pauseAfterLink().toMillis();
        if (pause == 0) {
            return;
        }
        ctx.log().accept("test hook: ADD of " + spec.containerId() + "/" + spec.ifname() + " pauses "
                + pause + " ms with " + spec.hostVeth() + " in place");
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The veth creation failed because the host veth already exists. */
    private boolean isLeftover(PlanFailedException e, PodSpec spec) {
        return PodPlans.createsVeth(e.step()) && e.result().stderr().contains("File exists")
                && ctx.observer().linkExists(spec.hostVeth());
    }

    private PodAddress obtainAddress(CniRequest request, NetConf conf, CniArgs args, PodSpec spec, NodeView node,
                                     AddressChoice choice) throws CniException {
        if (choice.isDelegated()) {
            return fromIpamResult(ctx.ipam().add(request, choice.delegated().get().type()), choice);
        }
        if (choice.isStatic()) {
            Ipv4Cidr cidr = choice.pinned().get().staticCidr().get();
            return new PodAddress(cidr, Optional.empty(), List.of(), Dns.empty(), OptionalLong.empty());
        }
        // The daemon takes the pod identity only whole: namespace and name together.
        boolean pod = args.podNamespace().isPresent() && args.podName().isPresent();
        return ctx.leases().acquire(new LeaseRequest(request.containerId(), spec.netns(), spec.ifname(),
                pod ? args.podNamespace() : Optional.empty(), pod ? args.podName() : Optional.empty(),
                choice.pinned().map(CniArgs.RequestedAddress::address), conf.dhcpTimeout(), conf.onAddressChange(),
                Optional.of(new PodNetworkConfig(conf.bridge(), conf.serviceCidr().stream().map(Ipv4Cidr::toString)
                        .toList(), conf.mtu()))));
    }

    /** The first IPv4 address of an IPAM result, with its gateway and the IPv4 routes. */
    static PodAddress fromIpamResult(CniResult ipam, AddressChoice choice) throws CniException {
        String type = choice.delegated().get().type();
        for (ResultIp ip : ipam.ips()) {
            Ipv4Cidr cidr = Ipv4Cidr.parseOrNull(ip.address());
            if (cidr == null) {
                continue;
            }
            Optional<Ipv4> gateway = ip.gateway().map(Ipv4::parseOrNull);
            List<PodAddress.SourceRoute> routes = new ArrayList<>();
            for (ResultRoute r : ipam.routes()) {
                Ipv4Cidr dst = Ipv4Cidr.parseOrNull(r.dst());
                if (dst == null) {
                    continue; // an IPv6 route: terway configures IPv4 only
                }
                // A route without gateway in an IPAM result means "via the subnet's gateway".
                Optional<Ipv4> via = r.gw().map(Ipv4::parseOrNull).or(() -> gateway);
                routes.add(new PodAddress.SourceRoute(dst, via));
            }
            return new PodAddress(cidr, gateway, routes, ipam.dns(), OptionalLong.empty());
        }
        throw new CniException(CniErrorCode.UNSUPPORTED_FIELD,
                "IPAM plugin " + type + " returned no IPv4 address; terway configures IPv4 only");
    }

    private String undo(CniRequest request, NetConf conf, AddressChoice choice, boolean addressTaken,
                        List<Step> linked) {
        StringBuilder problems = new StringBuilder();
        // The veth first, as DEL does: the pod may have the address already, and must not keep answering
        // for it once the server may hand it to another pod.
        for (var failed : ctx.plans().undo(linked)) {
            problems.append("; undo failed: ").append(String.join(" ", failed.argv())).append(": ")
                    .append(failed.stderr().strip());
        }
        if (addressTaken) {
            if (choice.isDelegated()) {
                try {
                    ctx.ipam().del(request, choice.delegated().get().type());
                } catch (CniException e) {
                    problems.append("; giving the address back to IPAM failed: ").append(e.getMessage());
                }
            } else if (choice.isDhcp()) {
                ctx.leases().release(request.containerId(), request.ifname());
            }
        }
        return problems.length() == 0 ? "; everything done before was undone" : problems.toString();
    }

    static CniResult result(PodSpec spec, PodAddress address, List<PodRoute> routes, Dns configDns) {
        return result(spec, address, routes, configDns, spec.mtu());
    }

    /** The result; {@code podMtu}: the pod interface's MTU (the lease's option 26 when it was taken). */
    static CniResult result(PodSpec spec, PodAddress address, List<PodRoute> routes, Dns configDns, int podMtu) {
        List<ResultInterface> interfaces = List.of(
                ResultInterface.host(spec.hostVeth(), spec.hostMac(), spec.mtu()),
                ResultInterface.sandbox(spec.ifname(), spec.podMac(), podMtu, spec.netns().toString()));
        Optional<String> gateway = Optional.empty();
        List<ResultRoute> resultRoutes = new ArrayList<>();
        for (PodRoute r : routes) {
            Optional<String> via = r.via().map(Ipv4::toString);
            if (r.destination().isDefault() && gateway.isEmpty()) {
                gateway = via;
            }
            resultRoutes.add(ResultRoute.of(r.destination().toString(), via));
        }
        List<ResultIp> ips = List.of(new ResultIp(address.cidr().toString(), gateway, OptionalInt.of(1)));
        return new CniResult(interfaces, ips, resultRoutes, configDns.over(address.dns()));
    }

    private CniReply dryRun(PodSpec spec, Plan link, AddressChoice choice, NodeView node, NetConf conf)
            throws CniException {
        StringBuilder out = new StringBuilder(PlanPrinter.render(link));
        if (choice.isStatic()) {
            PodAddress address = new PodAddress(choice.pinned().get().staticCidr().get(), Optional.empty(),
                    List.of(), Dns.empty(), OptionalLong.empty());
            node = node.withDefaultGateway(ctx.observer().defaultGateway());
            out.append(PlanPrinter.render(PodPlans.address(spec, address, PodPlans.routes(address, node,
                    conf.serviceCidr()))));
        } else if (choice.isDelegated()) {
            out.append("# then: ADD of IPAM plugin ").append(choice.delegated().get().type())
                    .append(", and address and routes from its result (not run in a dry run)\n");
        } else {
            out.append("# then: a DHCP lease for ").append(spec.ifname()).append(" from the terway daemon, and ")
                    .append("address and routes from the lease (not acquired in a dry run)\n");
        }
        return CniReply.success(out.toString());
    }
}
