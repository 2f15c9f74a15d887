package dev.terway.cni.pod;

import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.spec.CniException;
import dev.terway.plan.Plan;
import dev.terway.plan.Program;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
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
        return link(spec, node, Optional.empty());
    }

    /**
     * {@link #link(PodSpec, NodeView)} with the pod end's IPv6 settings ({@link PodNetwork#ipv6SettingsStep}), if
     * any, set between its creation and its coming up: the interface identifier and RA acceptance must be in place
     * when the kernel makes the link-local address and solicits routers, which it does as the link comes up.
     */
    public static Plan link(PodSpec spec, NodeView node, Optional<Step> podIpv6Settings) {
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
        podIpv6Settings.ifPresent(plan::add);
        plan.add(Step.of("bring " + spec.ifname() + " up in the pod, ready for DHCP",
                ipInNetns(spec.netns(), "link", "set", "dev", spec.ifname(), "up")));
        return plan.build();
    }

    /** Whether {@code step} is the one that creates the veth pair (alone or in a batch). */
    public static boolean createsVeth(Step step) {
        return step.input().map(i -> i.startsWith("link add "))
                .orElse(step.argv().size() > 3 && step.argv().subList(0, 3).equals(List.of("ip", "link", "add")));
    }

    /** The pod's routes for one service network at most; see {@link PodNetwork#routes}. */
    public static List<PodRoute> routes(PodAddress address, NodeView node, Optional<Ipv4Cidr> serviceCidr)
            throws CniException {
        return PodNetwork.routes(address, node, serviceCidr.stream().toList());
    }

    /**
     * Configures the address (with the lease's lifetime) and the routes inside a freshly linked pod, as
     * {@link PodNetwork#plan} does for ADD: one {@code ip -4 -batch -} in the pod's namespace. `ip -batch`
     * stops at the first line that fails and exits non-zero, and ADD then deletes the veth pair, which takes
     * the address and routes with it, so a half-applied batch leaves nothing.
     */
    public static Plan address(PodSpec spec, PodAddress address, List<PodRoute> routes) {
        PodNetwork.Target target = new PodNetwork.Target(spec.netns(), spec.ifname(), address.cidr(),
                address.lifetime(), routes, List.of(), OptionalInt.empty(), Optional.empty());
        return PodNetwork.plan(target, PodNetwork.Observed.freshLink(spec.mtu())).plan();
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
