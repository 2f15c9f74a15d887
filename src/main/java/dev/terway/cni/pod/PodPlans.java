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
     * Creates the veth pair with the pod end up in the pod's namespace, ready for DHCP, then attaches the host
     * end to the bridge, brings it up and labels it, and sets hairpin mode: one `ip -batch -` on the node,
     * undone by deleting the pair, also when a later line fails (see {@link dev.terway.plan.PlanRunner}).
     *
     * <p>Why in this shape: only the end that the RTM_NEWLINK names first can be created up (the other is
     * registered before the pair is linked, and a veth end refuses to open until then: ENOTCONN), and only
     * that end takes the master flag. The pod end is made the first one, created straight in the pod's
     * namespace ({@code netns} of the first end; its name is checked there, so the node's own eth0 is no
     * clash), so that it needs no command of its own inside the pod: a process start saved on every ADD
     * (3-4 ms of the daemon's CPU, more wall time under load). The host end is attached and brought up by
     * the next line; the bridge-port options (hairpin) need the port to exist (EOPNOTSUPP before), so they
     * take the line after.
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
        // With IPv6 settings to make, the pod end stays down until they are made (see the overload's comment):
        // one command more, on IPv6 pods only.
        boolean podUpAtOnce = podIpv6Settings.isEmpty();
        List<String> create = new ArrayList<>(List.of("link", "add", "name", spec.ifname(), "address", spec.podMac(),
                "mtu", mtu, "netns", spec.netns().toString()));
        if (podUpAtOnce) {
            create.add("up");
        }
        create.addAll(List.of("type", "veth", "peer", "name", spec.hostVeth(), "address", spec.hostMac(), "mtu", mtu));
        String created = "create the veth pair: " + spec.ifname() + " in " + spec.netns()
                + (podUpAtOnce ? " and up, ready for DHCP, " : ", ") + spec.hostVeth()
                + " on the node (deleting either end deletes both)";
        List<String> attach = List.of("link", "set", "dev", spec.hostVeth(), "master", spec.bridge(), "up", "alias",
                VethNames.alias(spec.containerId(), spec.ifname()));
        String attached = "attach " + spec.hostVeth() + " to bridge " + spec.bridge()
                + ", bring it up and label it with its attachment";
        List<List<String>> lines = new ArrayList<>(List.of(create, attach));
        List<String> reasons = new ArrayList<>(List.of(created, attached));
        if (spec.hairpin()) {
            lines.add(List.of("link", "set", "dev", spec.hostVeth(), "type", "bridge_slave", "hairpin", "on"));
            reasons.add("hairpin mode on " + spec.hostVeth() + ", so the pod reaches itself through a service address");
        }
        List<String> undo = List.of("ip", "link", "del", spec.hostVeth());
        if (lines.stream().flatMap(List::stream).allMatch(PodPlans::plainBatchWord)) {
            StringBuilder input = new StringBuilder();
            lines.forEach(line -> input.append(String.join(" ", line)).append('\n'));
            plan.add(Step.fed(String.join("; ", reasons), List.of("ip", "-batch", "-"), input.toString(), undo));
        } else {
            plan.add(Step.undoable(created, Program.IP.argv(create), undo));
            for (int i = 1; i < lines.size(); i++) {
                plan.add(Step.of(reasons.get(i), Program.IP.argv(lines.get(i))));
            }
        }
        if (podIpv6Settings.isPresent()) {
            plan.add(podIpv6Settings.get());
            plan.add(Step.of("bring " + spec.ifname() + " up in the pod, ready for DHCP and router advertisements",
                    ipInNetns(spec.netns(), "link", "set", "dev", spec.ifname(), "up")));
        }
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
