package dev.terway.cni.pod;

import dev.terway.cni.config.Ipv4;
import dev.terway.cni.config.Ipv4Cidr;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.plan.Plan;
import dev.terway.plan.Program;
import dev.terway.plan.Step;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The command plans of ADD and DEL, as pure functions of what was observed and what is wanted. ADD has
 * two halves because the lease is asked for in between: the DHCP exchange runs over the pod interface,
 * so the link must be up and on the bridge first, and the address plan depends on the lease.
 */
public final class PodPlans {

    private PodPlans() {
    }

    /** {@code nsenter --net=NETNS ip ARGS…}: `ip -n` only takes names under /run/netns, CNI_NETNS is a path. */
    public static List<String> ipInNetns(Path netns, String... args) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netns, "ip"));
        argv.addAll(List.of(args));
        return argv;
    }

    /**
     * Creates the veth pair with the host side already attached to the bridge and up, labels it, and brings
     * the pod side up: two process starts (each 9-12 ms from the daemon on a small node). The kernel
     * takes the master and the up flag in the RTM_NEWLINK that creates the pair, but not the bridge-port
     * options (they need the port to exist: EOPNOTSUPP) nor the alias, so hairpin mode goes with the alias
     * in a second command as bridge_slave data; the two node-side commands run as one `ip -batch -`,
     * undone by deleting the pair, also when its second line fails (see {@link dev.terway.plan.PlanRunner}).
     * The pod end cannot be created up: a veth end refuses to open before its peer is linked (ENOTCONN),
     * and that command runs in the pod's namespace.
     */
    public static Plan link(PodSpec spec, NodeView node) {
        Plan.Builder plan = Plan.builder();
        if (node.hostVethExists()) {
            plan.add(Step.of("remove the leftover host veth of an earlier ADD of this attachment",
                    List.of("ip", "link", "del", spec.hostVeth())));
        }
        String mtu = Integer.toString(spec.mtu());
        List<String> create = List.of("link", "add", "name", spec.hostVeth(), "address", spec.hostMac(), "mtu", mtu,
                "master", spec.bridge(), "up",
                "type", "veth", "peer", "name", spec.ifname(), "address", spec.podMac(), "mtu", mtu,
                "netns", spec.netns().toString());
        String created = "create the veth pair: " + spec.hostVeth() + " on the node, attached to bridge "
                + spec.bridge() + " and up, " + spec.ifname() + " in " + spec.netns()
                + " (deleting either end deletes both)";
        List<String> label = new ArrayList<>(List.of("link", "set", "dev", spec.hostVeth(), "alias",
                VethNames.alias(spec.containerId(), spec.ifname())));
        String labelled = "label " + spec.hostVeth() + " with its attachment";
        if (spec.hairpin()) {
            label.addAll(List.of("type", "bridge_slave", "hairpin", "on"));
            labelled += "; hairpin mode, so the pod reaches itself through a service address";
        }
        List<String> undo = List.of("ip", "link", "del", spec.hostVeth());
        if (Stream.concat(create.stream(), label.stream()).allMatch(PodPlans::plainBatchWord)) {
            plan.add(Step.fed(created + "; " + labelled, List.of("ip", "-batch", "-"),
                    String.join(" ", create) + "\n" + String.join(" ", label) + "\n", undo));
        } else {
            plan.add(Step.undoable(created, Program.IP.argv(create), undo));
            plan.add(Step.of(labelled, Program.IP.argv(label)));
        }
        plan.add(Step.of("bring " + spec.ifname() + " up in the pod, ready for DHCP",
                ipInNetns(spec.netns(), "link", "set", "dev", spec.ifname(), "up")));
        return plan.build();
    }

    /** Whether {@code step} is the one that creates the veth pair (alone or in a batch). */
    public static boolean createsVeth(Step step) {
        return step.input().map(i -> i.startsWith("link add "))
                .orElse(step.argv().size() > 3 && step.argv().subList(0, 3).equals(List.of("ip", "link", "add")));
    }

    /**
     * The pod's routes. The default gateway is, in order: a default among the classless static routes,
     * the router the source named, the node's own default gateway. (RFC 3442 says to ignore the router
     * option when classless routes are present; a pod still needs a default route, so the router is used
     * only when the classless routes lack one.) The service network goes via the node's bridge address,
     * where kube-proxy answers.
     */
    public static List<PodRoute> routes(PodAddress address, NodeView node, Optional<Ipv4Cidr> serviceCidr)
            throws CniException {
        Ipv4Cidr subnet = address.cidr().networkCidr();
        List<PodRoute> routes = new ArrayList<>();
        boolean hasDefault = false;
        for (PodAddress.SourceRoute r : address.routes()) {
            if (r.destination().networkCidr().equals(subnet) && r.gateway().isEmpty()) {
                continue; // the kernel made this one with the address
            }
            hasDefault |= r.destination().isDefault();
            routes.add(new PodRoute(r.destination().networkCidr(), r.gateway(),
                    r.gateway().map(g -> !subnet.contains(g)).orElse(false),
                    r.destination().isDefault() ? "default route named by the address source"
                            : "route named by the address source"));
        }
        if (!hasDefault) {
            Optional<Inet4Address> gateway = address.router().or(node::defaultGateway);
            if (gateway.isPresent()) {
                routes.add(0, new PodRoute(new Ipv4Cidr(Ipv4.parseOrNull("0.0.0.0"), 0), gateway,
                        !subnet.contains(gateway.get()), address.router().isPresent()
                                ? "default route via the router the address source named"
                                : "default route via the node's default gateway (the source named no router)"));
            }
        }
        if (serviceCidr.isPresent()) {
            Inet4Address nodeAddress = node.bridgeAddress().map(Ipv4Cidr::address).orElseThrow(() ->
                    new CniException(CniErrorCode.NODE_NOT_SET_UP, "bridge " + node.bridge()
                            + " has no IPv4 address, so there is no node address to route service network "
                            + serviceCidr.get() + " through; run `terway setup` on this node"));
            routes.add(new PodRoute(serviceCidr.get(), Optional.of(nodeAddress), !subnet.contains(nodeAddress),
                    "service network via the node's bridge address, where kube-proxy answers"));
        }
        return routes;
    }

    /**
     * Configures the address (with the lease's lifetime) and the routes inside the pod, as one
     * {@code ip -4 -batch -} in the pod's namespace: with the default route and a service route that is
     * one process start instead of three (each ~18 ms through nsenter on a small node). `ip -batch` stops
     * at the first line that fails and exits non-zero, and ADD then deletes the veth pair, which takes the
     * address and routes with it, so a half-applied batch leaves nothing. The batch parser splits lines at
     * blanks and treats quotes, backslashes and `#` specially; every word here is an address, a number,
     * a keyword or the interface name, and an interface name with one of those characters (the kernel
     * allows them) gets one command per change instead.
     */
    public static Plan address(PodSpec spec, PodAddress address, List<PodRoute> routes) {
        List<List<String>> changes = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        List<String> add = new ArrayList<>(List.of("addr", "add", address.cidr().toString(), "dev", spec.ifname()));
        String source = "the pinned address";
        if (address.lifetime().isPresent()) {
            String seconds = Long.toString(address.lifetime().getAsLong());
            add.addAll(List.of("valid_lft", seconds, "preferred_lft", seconds));
            source = "the lease; it lives as long as the lease, the daemon extends it on renewal";
        }
        changes.add(add);
        reasons.add("address " + address.cidr() + " on " + spec.ifname() + " from " + source);
        for (PodRoute r : routes) {
            List<String> route = new ArrayList<>(List.of("route", "replace",
                    r.destination().isDefault() ? "default" : r.destination().toString()));
            r.via().ifPresent(g -> route.addAll(List.of("via", g.getHostAddress())));
            route.addAll(List.of("dev", spec.ifname()));
            if (r.via().isEmpty()) {
                route.addAll(List.of("scope", "link"));
            }
            if (r.onlink()) {
                route.add("onlink");
            }
            changes.add(route);
            reasons.add(r.why());
        }
        Plan.Builder plan = Plan.builder();
        if (changes.size() > 1 && changes.stream().flatMap(List::stream).allMatch(PodPlans::plainBatchWord)) {
            StringBuilder lines = new StringBuilder();
            changes.forEach(c -> lines.append(String.join(" ", c)).append('\n'));
            plan.add(Step.fed(String.join("; ", reasons) + " (one `ip -batch` in the pod)",
                    ipInNetns(spec.netns(), "-4", "-batch", "-"), lines.toString()));
        } else {
            for (int i = 0; i < changes.size(); i++) {
                List<String> argv = new ArrayList<>(List.of("-4"));
                argv.addAll(changes.get(i));
                plan.add(Step.of(reasons.get(i), ipInNetns(spec.netns(), argv.toArray(String[]::new))));
            }
        }
        return plan.build();
    }

    private static final Pattern PLAIN_BATCH_WORD = Pattern.compile("[A-Za-z0-9_.:/@%+=,-]+");

    /** A word that `ip -batch` reads back exactly as written: no blank, quote, backslash or `#`. */
    static boolean plainBatchWord(String word) {
        return PLAIN_BATCH_WORD.matcher(word).matches();
    }

    /**
     * Removes the host veth (its peer in the pod goes with it). Not preceded by a look: DEL runs it and
     * takes "no such device" for success, which saves a command on every DEL.
     */
    public static Plan delete(String hostVeth) {
        return Plan.builder().add(Step.of("delete the veth pair (the pod end goes with it)",
                List.of("ip", "link", "del", hostVeth))).build();
    }

    /** Whether routing needs the node's default gateway: the address source named no default route. */
    public static boolean needsNodeGateway(PodAddress address) {
        return address.router().isEmpty()
                && address.routes().stream().noneMatch(r -> r.destination().isDefault());
    }
}
