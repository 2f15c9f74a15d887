package dev.terway.cni.handler;

import dev.terway.cni.config.CniArgs;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.config.NetConf;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.PodIpv6;
import dev.terway.cni.pod.PodNetwork;
import dev.terway.cni.pod.PodRoute;
import dev.terway.cni.pod.PodRoute6;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.ResultInterface;
import dev.terway.cni.result.ResultIp;
import dev.terway.cni.result.ResultRoute;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Link;
import dev.terway.netstate.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * CHECK: the attachment is still what ADD reported in prevResult. The pod interface exists in the netns
 * with its MAC and every address prevResult lists for it (both families); the routes prevResult lists are
 * there (IPv6 ones with any metric: the kernel's RA routes have 1024); an interface with IPv6 addresses still
 * takes router advertisements as ADD set it; the host veth is on the bridge; and the addresses are still held
 * (a DHCP or DHCPv6 lease, or the IPAM plugin's own CHECK).
 * It holds the attachment ({@link Attachments}) while it looks, as ADD and DEL do while they change it.
 */
final class CheckVerb {

    private final VerbContext ctx;

    CheckVerb(VerbContext ctx) {
        this.ctx = ctx;
    }

    CniReply run(CniRequest request, NetConf conf) throws CniException {
        CniResult prev = conf.prevResult().orElseThrow(() -> new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "invalid network config: CHECK needs prevResult, the result of the ADD to check"));
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
        // Not while an ADD or DEL of the attachment is under way: it would find the pod half made or half gone.
        try (Attachments.Permit held = ctx.attachments().hold(request.containerId(), request.ifname())) {
            return check(request, conf, prev, netns);
        }
    }

    private CniReply check(CniRequest request, NetConf conf, CniResult prev, Path netns) throws CniException {
        int index = podInterfaceIndex(prev, request.ifname(), netns);
        ResultInterface expected = prev.interfaces().get(index);
        NodeObserver.PodInterface actual = ctx.observer().podInterface(netns, request.ifname())
                .orElseThrow(() -> failed("interface " + request.ifname() + " is missing from " + netns));
        if (expected.mac().isPresent() && !expected.mac().get().equalsIgnoreCase(actual.link().mac())) {
            throw failed("interface " + request.ifname() + " has MAC " + actual.link().mac() + ", prevResult says "
                    + expected.mac().get());
        }
        for (ResultIp ip : prev.ips()) {
            if (ip.interfaceIndex().isPresent() && ip.interfaceIndex().getAsInt() != index) {
                continue;
            }
            if (actual.addresses().stream().map(IpAddress::cidr).noneMatch(ip.address()::equals)) {
                throw failed("address " + ip.address() + " is missing from " + request.ifname() + " in " + netns);
            }
        }
        List<Route> routes = ctx.observer().podRoutes(netns);
        boolean hasIpv6 = prev.ips().stream().anyMatch(ip -> ip.family().equals("6"))
                || prev.routes().stream().anyMatch(r -> r.dst().indexOf(':') >= 0);
        List<Route> routes6 = List.of();
        if (hasIpv6) {
            routes6 = ctx.observer().podIpv6(netns, request.ifname())
                    .orElseThrow(() -> failed("interface " + request.ifname() + " is missing from " + netns))
                    .routes();
        }
        for (ResultRoute r : prev.routes()) {
            Optional<String> drift;
            Ipv6Cidr dst6 = Ipv6Cidr.parseOrNull(r.dst());
            if (dst6 != null) {
                // the same comparison the planner checks and repairs IPv6 routes by
                PodRoute6 wanted = new PodRoute6(dst6, r.gw().map(Ipv6::parseOrNull), false, false, "prevResult");
                drift = PodNetwork.routeDrift6(wanted, routes6, request.ifname());
            } else {
                Ipv4Cidr dst = Ipv4Cidr.parseOrNull(r.dst());
                if (dst == null) {
                    throw failed("prevResult route " + r.dst() + " is no network of either family");
                }
                // the same comparison the daemon's upkeep repairs by (PodNetwork)
                PodRoute wanted = new PodRoute(dst, r.gw().map(Ipv4::parseOrNull), false, "prevResult");
                drift = PodNetwork.routeDrift(wanted, routes, request.ifname(), true);
            }
            if (drift.isPresent()) {
                throw failed("route to " + r.dst() + r.gw().map(g -> " via " + g).orElse("") + " is missing from "
                        + netns + " (it " + drift.get() + ")");
            }
        }
        if (prev.ips().stream().anyMatch(ip -> ip.family().equals("6"))) {
            checkIpv6Settings(conf, netns, request.ifname());
        }
        String hostVeth = VethNames.hostVeth(request.containerId(), request.ifname());
        Link host = ctx.observer().link(hostVeth)
                .orElseThrow(() -> failed("host veth " + hostVeth + " of " + request.ifname() + " is missing"));
        if (!host.master().equals(Optional.of(conf.bridge()))) {
            throw failed("host veth " + hostVeth + " is not attached to bridge " + conf.bridge());
        }
        AddressChoice choice = AddressChoice.of(conf, CniArgs.parse(request.cniArgs()));
        if (choice.isDelegated()) {
            ctx.ipam().check(request, choice.delegated().get().type());
        } else if (choice.isDhcp() && conf.ipv4()) {
            // An IPv6-only pod ("ipv4": false) never asked for a DHCPv4 lease, so there is none to hold.
            Optional<Set<LeaseGateway.Attachment>> held = ctx.leases().held();
            if (held.isPresent() && !held.get().contains(new LeaseGateway.Attachment(request.containerId(),
                    request.ifname()))) {
                throw failed("the DHCP daemon holds no lease for " + request.containerId() + "/" + request.ifname());
            }
        }
        if (conf.ipv6().mode() == NetConf.Ipv6Mode.DHCPV6 && ctx.dhcp6().isPresent()) {
            Optional<Set<LeaseGateway.Attachment>> held6 = ctx.dhcp6().get().held();
            if (held6.isPresent() && !held6.get().contains(new LeaseGateway.Attachment(request.containerId(),
                    request.ifname()))) {
                throw failed("the daemon holds no DHCPv6 lease for " + request.containerId() + "/"
                        + request.ifname());
            }
        }
        return CniReply.empty();
    }

    /**
     * An interface with IPv6 addresses still takes router advertisements the way ADD set it, or its SLAAC address
     * and default route lapse at their next expiry: the planner's comparison of the settings ADD wrote with the
     * ones read back.
     */
    private void checkIpv6Settings(NetConf conf, Path netns, String ifname) throws CniException {
        PodIpv6.Settings settings = conf.ipv6().mode() == NetConf.Ipv6Mode.DHCPV6 ? PodIpv6.Settings.MANAGED
                : PodIpv6.Settings.SLAAC;
        PodNetwork.Target wanted = PodNetwork.Target.ipv6Only(netns, ifname, OptionalInt.empty(),
                new PodIpv6(settings, false, List.of(), Optional.empty(), List.of(), List.of()));
        var values = ctx.observer().podIpv6Sysctls(netns, ifname);
        if (values.isEmpty()) {
            throw failed("the IPv6 settings of " + ifname + " in " + netns + " cannot be read");
        }
        List<String> drift = PodNetwork.drift(wanted, new PodNetwork.Observed(OptionalInt.empty(), List.of(), List.of(),
                false, values));
        if (!drift.isEmpty()) {
            throw failed(String.join("; ", drift));
        }
    }

    private static int podInterfaceIndex(CniResult prev, String ifname, Path netns) throws CniException {
        for (int i = 0; i < prev.interfaces().size(); i++) {
            ResultInterface candidate = prev.interfaces().get(i);
            if (candidate.name().equals(ifname) && candidate.sandbox().isPresent()) {
                return i;
            }
        }
        throw failed("prevResult lists no interface " + ifname + " inside " + netns);
    }

    private static CniException failed(String what) {
        return new CniException(CniErrorCode.CHECK_FAILED, "CHECK failed: " + what);
    }
}
