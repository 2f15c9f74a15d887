package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6Cidr;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Link;
import dev.terway.netstate.Route;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ShellQuote;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads what the CNI verbs need from the node and from pod namespaces, with targeted `ip -j` queries
 * (a node with hundreds of pods makes a full dump slow).
 */
public final class NodeObserver {

    private final CommandRunner runner;

    public NodeObserver(CommandRunner runner) {
        this.runner = runner;
    }

    /**
     * The bridge and its addresses of both families (one query); the default gateway and the host veth are
     * looked up only when a verb needs them ({@link #defaultGateway()}, {@link #linkExists}), because every
     * `ip` run costs milliseconds.
     */
    public NodeView observe(String bridge) {
        CommandResult br = runner.run(List.of("ip", "-j", "-d", "addr", "show", "dev", bridge));
        boolean bridgeExists = false;
        int mtu = 0;
        Optional<Ipv4Cidr> address = Optional.empty();
        Optional<Ipv6Cidr> address6 = Optional.empty();
        if (br.succeeded()) {
            List<Link> links = IpJson.links(br.stdout());
            bridgeExists = !links.isEmpty() && links.get(0).isBridge();
            mtu = links.isEmpty() ? 0 : links.get(0).mtu();
            for (IpAddress a : IpJson.addresses(br.stdout())) {
                if (a.family() == Family.INET && a.isGlobal() && !a.secondary() && address.isEmpty()) {
                    address = Optional.ofNullable(Ipv4Cidr.parseOrNull(a.cidr()));
                }
                if (a.family() == Family.INET6 && a.isGlobal() && address6.isEmpty()) {
                    address6 = Optional.ofNullable(Ipv6Cidr.parseOrNull(a.cidr()));
                }
            }
        }
        return new NodeView(bridge, bridgeExists, mtu, address, Optional.empty(), false, address6);
    }

    public boolean linkExists(String name) {
        CommandResult r = runner.run(List.of("ip", "-j", "link", "show", "dev", name));
        return r.succeeded() && !IpJson.links(r.stdout()).isEmpty();
    }

    /** The link, when it exists on the node. */
    public Optional<Link> link(String name) {
        CommandResult r = runner.run(List.of("ip", "-j", "-d", "link", "show", "dev", name));
        if (!r.succeeded()) {
            return Optional.empty();
        }
        List<Link> links = IpJson.links(r.stdout());
        return links.isEmpty() ? Optional.empty() : Optional.of(links.get(0));
    }

    public Optional<Ipv4> defaultGateway() {
        CommandResult r = runner.run(List.of("ip", "-j", "-4", "route", "show", "default"));
        if (!r.succeeded()) {
            return Optional.empty();
        }
        for (Route route : IpJson.routes(r.stdout(), Family.INET)) {
            if (route.isDefault() && route.gateway().isPresent()) {
                Ipv4 gw = Ipv4.parseOrNull(route.gateway().get());
                if (gw != null) {
                    return Optional.of(gw);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the node learnt IPv6 routes from the LAN on {@code bridge} ({@link PodIpv6#learntFromLan}: a default
     * router from an RA, an RA's on-link prefix, the prefix of an address with a lifetime): the sign that the
     * LAN announces IPv6, which `auto` waits for.
     */
    public boolean learntIpv6Routes(String bridge) {
        CommandResult r = runner.run(List.of("ip", "-j", "-6", "route", "show", "dev", bridge));
        return r.succeeded() && IpJson.routes(r.stdout(), Family.INET6).stream().anyMatch(PodIpv6::learntFromLan);
    }

    /** Every veth on the node named like terway's host veths. */
    public List<Link> terwayVeths() {
        List<Link> out = new ArrayList<>();
        for (Link l : IpJson.links(query(List.of("ip", "-j", "-d", "link", "show", "type", "veth")))) {
            if (VethNames.HOST_VETH.matcher(l.name()).matches()) {
                out.add(l);
            }
        }
        return out;
    }

    /** The interface inside a pod netns, or empty when the netns or the interface is gone. */
    public Optional<PodInterface> podInterface(Path netns, String ifname) {
        CommandResult r = runner.run(PodPlans.ipInNetns(netns, "-j", "addr", "show", "dev", ifname));
        if (!r.succeeded()) {
            return Optional.empty();
        }
        List<Link> links = IpJson.links(r.stdout());
        if (links.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new PodInterface(links.get(0), IpJson.addresses(r.stdout())));
    }

    /** IPv4 routes of the main table inside a pod netns. */
    public List<Route> podRoutes(Path netns) {
        return IpJson.routes(query(PodPlans.ipInNetns(netns, "-j", "-4", "route", "show")), Family.INET);
    }

    /**
     * The pod interface's IPv6 addresses with their states, and the netns's IPv6 main-table routes, in one
     * process ({@code ip -6 -j -batch -}): ADD polls this while it waits for SLAAC, so each look costs one
     * process start, not two. Empty when the netns or the interface is gone.
     */
    public Optional<PodIpv6State> podIpv6(Path netns, String ifname) {
        CommandResult r = runner.run(PodPlans.ipInNetns(netns, "-6", "-j", "-batch", "-"),
                "addr show dev " + ifname + "\nroute show\n");
        List<String> outputs = r.succeeded() ? IpJson.batchOutputs(r.stdout()) : List.of();
        if (outputs.size() != 2 || IpJson.links(outputs.get(0)).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new PodIpv6State(IpJson.addresses(outputs.get(0)), IpJson.addressStates(outputs.get(0)),
                IpJson.routes(outputs.get(1), Family.INET6)));
    }

    /** The pod interface's IPv6 settings ({@link PodNetwork#ipv6SettingKeys}) by name; empty when unreadable. */
    public Map<String, String> podIpv6Sysctls(Path netns, String ifname) {
        List<String> keys = PodNetwork.ipv6SettingKeys(ifname);
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netns, "sysctl", "-n"));
        argv.addAll(keys);
        CommandResult r = runner.run(argv);
        List<String> values = r.succeeded() ? r.stdout().lines().toList() : List.of();
        if (values.size() != keys.size()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            out.put(keys.get(i).substring(keys.get(i).lastIndexOf('/') + 1), values.get(i).strip());
        }
        return out;
    }

    private String query(List<String> argv) {
        CommandResult r = runner.run(argv);
        if (!r.succeeded()) {
            throw new IllegalStateException("failed to read network state: " + ShellQuote.join(argv) + " exited "
                    + r.exitCode() + ": " + r.stderr().strip());
        }
        return r.stdout();
    }

    /** A pod interface and its addresses. */
    public record PodInterface(Link link, List<IpAddress> addresses) {
    }

    /**
     * A pod's IPv6 as one look saw it.
     *
     * @param states the kernel's state flags per address ({@link IpJson#addressStates})
     */
    public record PodIpv6State(List<IpAddress> addresses, Map<String, Set<String>> states, List<Route> routes) {

        public PodIpv6State {
            addresses = List.copyOf(addresses);
            states = Map.copyOf(states);
            routes = List.copyOf(routes);
        }

        /** The address's state flags ({@code tentative}, {@code dadfailed}, …). */
        public Set<String> state(IpAddress address) {
            return states.getOrDefault(address.dev() + " " + address.cidr(), Set.of());
        }
    }
}
