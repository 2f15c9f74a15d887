package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.cni.config.CniArgs;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.ipam.LeaseRequest;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.pod.PodIpv6;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.PodRoute6;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * ADD: veth pair onto the bridge, both ends up (the pod's end with its IPv6 settings), then an address (DHCP
 * lease, delegated IPAM or pinned) while the IPv6 half ({@link Ipv6Add}) waits for SLAAC or a DHCPv6 lease
 * beside it, then addresses and routes in the pod. A failure at any point undoes everything before it: the
 * veth is deleted (taking addresses and routes with it) and the addresses are given back.
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
        Ipv6Add.refuseUnsupported(ctx, conf);
        PodSpec spec = PodSpec.of(request.containerId(), request.ifname(), netns, conf.bridge(),
                conf.mtu().orElse(node.bridgeMtu()), conf.hairpinMode(), conf.runtimeConfig().mac());
        PodIpv6 settings6 = Ipv6Add.settings(ctx, conf, node);
        Plan link = PodPlans.link(spec, node, Ipv6Add.settingsStep(conf, spec, settings6));
        AddressChoice choice = AddressChoice.of(conf, args);
        if (request.dryRun()) {
            return dryRun(spec, link, choice, node, conf);
        }
        try (Attachments.Permit held = ctx.attachments().hold(request.containerId(), request.ifname())) {
            ctx.attachments().startAdding(hostVeth);
            try {
                return add(request, conf, args, spec, node, link, choice, settings6);
            } finally {
                ctx.attachments().doneAdding(hostVeth);
            }
        }
    }

    private CniReply add(CniRequest request, NetConf conf, CniArgs args, PodSpec spec, NodeView node, Plan link,
                         AddressChoice choice, PodIpv6 settings6) throws CniException {
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
                linked = ctx.plans().run(PodPlans.link(spec, node, Ipv6Add.settingsStep(conf, spec, settings6)));
            } catch (PlanFailedException again) {
                throw new CniException(CniErrorCode.SETUP_FAILED, "ADD of " + spec.ifname() + " in "
                        + spec.netns() + " failed: " + again.getMessage());
            }
        }
        long linkUp = System.nanoTime();
        Ipv6Add adder6 = new Ipv6Add(ctx);
        Ipv6Add.Pending pending6 = adder6.start(request.containerId(), conf, args, spec, settings6, linkUp);
        pauseAfterLinkForFaultTests(spec);
        boolean addressTaken = false;
        Optional<Ipv6Add.Outcome> outcome6 = Optional.empty();
        String attachment = request.containerId() + "/" + request.ifname();
        try {
            Optional<PodAddress> address = Optional.empty();
            if (conf.ipv4()) {
                address = Optional.of(obtainAddress(request, conf, args, spec, node, choice, settings6));
                addressTaken = true;
            }
            Ipv6Add.Outcome v6 = pending6.await();
            outcome6 = Optional.of(v6);
            if (v6.addresses().isEmpty()) {
                if (!conf.ipv4()) {
                    throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no IPv6 address for " + spec.ifname()
                            + ", and \"ipv4\" is false (an IPv6-only pod): " + v6.why());
                }
                if (conf.ipv6().mode() != NetConf.Ipv6Mode.OFF) {
                    ctx.log().info("cni.add_ipv4_only", new LogPod(request.containerId(), args.podNamespace(),
                            args.podName(), request.ifname()), "ADD " + attachment + ": " + v6.why()
                            + "; the pod is IPv4-only");
                }
            }
            PodNetwork.Target target;
            Set<Ipv6> declined = new LinkedHashSet<>();
            while (true) {
                PodIpv6 ipv6 = PodIpv6.of(settings6.settings(), settings6.required(), v6.addresses(), v6.router(),
                        node, conf.serviceCidr6().stream().toList());
                if (address.isPresent()) {
                    if (PodPlans.needsNodeGateway(address.get())) {
                        node = node.withDefaultGateway(ctx.observer().defaultGateway());
                    }
                    target = PodNetwork.target(spec.netns(), spec.ifname(), address.get(), node,
                            conf.serviceCidr().stream().toList(), spec.mtu()).withIpv6(ipv6);
                } else {
                    target = PodNetwork.Target.ipv6Only(spec.netns(), spec.ifname(), OptionalInt.of(spec.mtu()), ipv6);
                }
                // Fresh for IPv4; for IPv6 what the wait saw last (the kernel's SLAAC address and RA routes).
                PodNetwork.Observed seen = new PodNetwork.Observed(OptionalInt.of(spec.mtu()), v6.seenAddresses(),
                        v6.seenRoutes(), true);
                ctx.plans().run(PodNetwork.plan(target, seen).plan());
                if (v6.lease().isEmpty()) {
                    break;
                }
                // A DHCPv6 address is reported only once the pod's duplicate detection passed; else DECLINE it.
                Ipv6 leased = v6.lease().get().address();
                Optional<String> duplicate = adder6.leasedAddressDad(spec, leased, linkUp + conf.ipv6().timeout()
                        .toNanos());
                if (duplicate.isEmpty()) {
                    break;
                }
                v6 = adder6.decline(request.containerId(), conf, args, spec, v6, declined, duplicate.get(), linkUp);
                declined.add(leased);
                outcome6 = Optional.of(v6);
            }
            PodIpv6 ipv6 = target.ipv6().orElseThrow();
            CniResult result = result(spec, address, target, conf.dns().over(address.map(PodAddress::dns)
                    .orElse(Dns.empty())).over(v6.dns()), target.mtu().orElse(spec.mtu()));
            if (conf.prevResult().isPresent()) {
                result = result.after(conf.prevResult().get());
            }
            CniReply reply = CniReply.success(ResultWriter.write(result, conf.cniVersion()));
            ctx.keepAttachmentRecord(spec, address.map(a -> a.cidr().toString())
                    .orElseGet(() -> ipv6.addresses().get(0).cidr().toString()));
            return reply;
        } catch (CniException | PlanFailedException | RuntimeException e) {
            // The DHCPv6 lease goes before the veth, so that its RELEASE still leaves from the pod's interface.
            if (outcome6.isEmpty()) {
                pending6.abandon();
            } else if (outcome6.get().lease().isPresent()) {
                ctx.dhcp6().ifPresent(g -> g.release(request.containerId(), request.ifname()));
            }
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
        ctx.log().warn("test.pause", LogPod.of(spec.containerId(), spec.ifname()), "test hook: ADD of "
                + spec.containerId() + "/" + spec.ifname() + " pauses "
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
                                     AddressChoice choice, PodIpv6 settings6) throws CniException {
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
                Optional.of(new PodNetworkConfig(conf.bridge(), java.util.stream.Stream.concat(
                        conf.serviceCidr().stream().map(Ipv4Cidr::toString),
                        conf.serviceCidr6().stream().map(Object::toString)).toList(), conf.mtu(),
                        Ipv6Add.settingsStep(conf, spec, settings6).map(step -> settings6.settings().name())))));
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

    /**
     * The result: the IPv4 address with the gateway of its default route, each IPv6 address with the router's
     * link-local address as gateway, the routes of both families (the IPv6 default route as the kernel learnt
     * it), and {@code dns} (the configuration's over the DHCP and DHCPv6 servers'). {@code podMtu}: the pod
     * interface's MTU (the lease's option 26 when it was taken).
     */
    static CniResult result(PodSpec spec, Optional<PodAddress> address, PodNetwork.Target target, Dns dns,
                            int podMtu) {
        List<ResultInterface> interfaces = List.of(
                ResultInterface.host(spec.hostVeth(), spec.hostMac(), spec.mtu()),
                ResultInterface.sandbox(spec.ifname(), spec.podMac(), podMtu, spec.netns().toString()));
        Optional<String> gateway = Optional.empty();
        List<ResultRoute> resultRoutes = new ArrayList<>();
        for (PodRoute r : target.routes()) {
            Optional<String> via = r.via().map(Ipv4::toString);
            if (r.destination().isDefault() && gateway.isEmpty()) {
                gateway = via;
            }
            resultRoutes.add(ResultRoute.of(r.destination().toString(), via));
        }
        List<ResultIp> ips = new ArrayList<>();
        if (address.isPresent()) {
            ips.add(new ResultIp(address.get().cidr().toString(), gateway, OptionalInt.of(1)));
        }
        if (target.ipv6().isPresent()) {
            PodIpv6 v6 = target.ipv6().get();
            Optional<String> router = v6.router().map(Object::toString);
            v6.addresses().forEach(a -> ips.add(new ResultIp(a.cidr().toString(), router, OptionalInt.of(1))));
            for (PodRoute6 r : v6.routes()) {
                resultRoutes.add(ResultRoute.of(r.destination().toString(), r.via().map(Object::toString)));
            }
        }
        return new CniResult(interfaces, ips, resultRoutes, dns);
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
        } else if (conf.ipv4()) {
            out.append("# then: a DHCP lease for ").append(spec.ifname()).append(" from the terway daemon, and ")
                    .append("address and routes from the lease (not acquired in a dry run)\n");
        }
        if (!Ipv6Add.settings(ctx, conf, node).settings().equals(PodIpv6.Settings.OFF)) {
            out.append("# then: IPv6 (ipv6.mode \"").append(conf.ipv6().mode().text()).append("\"), waiting up to ")
                    .append(conf.ipv6().timeout().toMillis()).append(" ms from link up for ")
                    .append(conf.ipv6().mode() == NetConf.Ipv6Mode.DHCPV6 ? "a DHCPv6 lease"
                            : conf.ipv6().mode() == NetConf.Ipv6Mode.SLAAC ? "a SLAAC address"
                            : "a SLAAC address or a DHCPv6 lease").append(" (not waited for in a dry run)\n");
        }
        return CniReply.success(out.toString());
    }
}
