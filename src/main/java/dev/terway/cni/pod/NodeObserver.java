package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
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
import java.util.List;
import java.util.Optional;

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
     * The bridge (one query); the default gateway and the host veth are looked up only when a verb needs
     * them ({@link #defaultGateway()}, {@link #linkExists}), because every `ip` run costs milliseconds.
     */
    public NodeView observe(String bridge) {
        CommandResult br = runner.run(List.of("ip", "-j", "-d", "-4", "addr", "show", "dev", bridge));
        boolean bridgeExists = false;
        int mtu = 0;
        Optional<Ipv4Cidr> address = Optional.empty();
        if (br.succeeded()) {
            List<Link> links = IpJson.links(br.stdout());
            bridgeExists = !links.isEmpty() && links.get(0).isBridge();
            mtu = links.isEmpty() ? 0 : links.get(0).mtu();
            for (IpAddress a : IpJson.addresses(br.stdout())) {
                if (a.family() == Family.INET && a.isGlobal() && !a.secondary()) {
                    address = Optional.ofNullable(Ipv4Cidr.parseOrNull(a.cidr()));
                    break;
                }
            }
        }
        return new NodeView(bridge, bridgeExists, mtu, address, Optional.empty(), false);
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
}
