package dev.terway.status;

import dev.terway.netstate.Link;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The judgement of {@code terway status}, a pure function: the node as observed and the daemon's answer (or
 * why there is none) in, the findings out. Each finding names what needs attention; none means healthy.
 *
 * <ul>
 *   <li>the daemon: it must answer ({@link Finding.Check#DAEMON_DOWN});</li>
 *   <li>setup: a setup record, readable; the bridge it names exists and is up; the NIC it names exists and is a
 *   port of that bridge;</li>
 *   <li>orphans, either way: a veth on the bridge that no attachment names, an attachment whose veth is gone
 *   or is not on the bridge it was put on (judged only when the daemon answered: its records are the
 *   attachments);</li>
 *   <li>leases: lost and not bound again, expired, rebinding (the server did not answer renewals), or failing
 *   to be acquired;</li>
 *   <li>errors the daemon logged in the last {@link #RECENT_ERRORS} (warnings are shown, not judged).</li>
 * </ul>
 */
public final class NodeHealth {

    /** How long an error in the daemon's log keeps the node unhealthy. */
    public static final Duration RECENT_ERRORS = Duration.ofMinutes(15);

    private NodeHealth() {
    }

    /**
     * @param daemon        the daemon's answer; empty when it gave none
     * @param daemonProblem why there is no answer (ignored when there is one)
     */
    public static StatusReport assess(NodeObservation node, Optional<DaemonStatus> daemon, String daemonProblem) {
        List<Finding> findings = new ArrayList<>();
        if (daemon.isEmpty()) {
            findings.add(new Finding(Finding.Check.DAEMON_DOWN, "the terway daemon did not answer: " + daemonProblem));
        }
        setup(node, findings);
        daemon.ifPresent(d -> {
            if (node.linkProblem().isEmpty()) {
                attachments(node, d, findings);
            }
            leases(d, findings);
            recentErrors(d, findings);
        });
        return new StatusReport(node, daemon, daemon.isEmpty() ? Optional.of(daemonProblem) : Optional.empty(),
                findings);
    }

    private static void setup(NodeObservation node, List<Finding> findings) {
        node.setupProblem().ifPresent(p -> findings.add(new Finding(Finding.Check.SETUP_UNREADABLE, p)));
        if (node.setup().isEmpty() && node.setupProblem().isEmpty()) {
            findings.add(new Finding(Finding.Check.SETUP_MISSING, "no setup record: the node is not bridged by"
                    + " terway (`terway setup` or `terway run` bridges it)"));
        }
        if (node.linkProblem().isPresent()) {
            findings.add(new Finding(Finding.Check.LINKS_UNREADABLE, "cannot read the node's links: "
                    + node.linkProblem().get()));
            return;
        }
        Optional<Link> bridge = node.link(node.bridge());
        if (bridge.isEmpty() || !bridge.get().isBridge()) {
            findings.add(new Finding(Finding.Check.BRIDGE_MISSING, "bridge " + node.bridge() + " does not exist"
                    + (bridge.isPresent() ? " (a link of that name is not a bridge)" : "")
                    + (node.setup().isPresent() ? "; `terway run` re-creates it from the setup record" : "")));
        } else if (!bridge.get().isUp()) {
            findings.add(new Finding(Finding.Check.BRIDGE_DOWN, "bridge " + node.bridge() + " is down"));
        }
        node.setup().ifPresent(s -> {
            Optional<Link> nic = node.link(s.iface());
            if (nic.isEmpty()) {
                findings.add(new Finding(Finding.Check.NIC_MISSING, "interface " + s.iface() + " that setup bridged"
                        + " does not exist"));
            } else if (!nic.get().master().filter(s.bridge()::equals).isPresent()) {
                findings.add(new Finding(Finding.Check.NIC_NOT_ENSLAVED, "interface " + s.iface() + " is not a port"
                        + " of bridge " + s.bridge() + nic.get().master().map(m -> " (it is on " + m + ")").orElse("")
                        + ": the node and its pods are cut off from the LAN"));
            }
        });
    }

    private static void attachments(NodeObservation node, DaemonStatus daemon, List<Finding> findings) {
        Set<String> named = new HashSet<>();
        for (DaemonStatus.Attachment a : daemon.attachments()) {
            named.add(a.hostVeth());
            String who = a.containerId() + "/" + a.ifname();
            Optional<Link> veth = node.link(a.hostVeth());
            if (veth.isEmpty()) {
                findings.add(new Finding(Finding.Check.VETH_MISSING, "attachment " + who + " has no host veth "
                        + a.hostVeth() + " (the pod is gone without a CNI DEL, or the veth was deleted)"));
            } else if (!veth.get().master().filter(a.bridge()::equals).isPresent()) {
                findings.add(new Finding(Finding.Check.VETH_OFF_BRIDGE, "host veth " + a.hostVeth() + " of " + who
                        + " is " + veth.get().master().map(m -> "on " + m).orElse("on no bridge") + ", not on "
                        + a.bridge()));
            }
        }
        // The NIC setup bridged may be a veth itself (a VM's or a lab's): it is the bridge's uplink, not an orphan.
        node.setup().ifPresent(s -> named.add(s.iface()));
        for (Link port : node.ports()) {
            if (port.kind().filter("veth"::equals).isPresent() && !named.contains(port.name())) {
                findings.add(new Finding(Finding.Check.ORPHAN_VETH, "veth " + port.name() + " is on bridge "
                        + node.bridge() + " but no attachment names it (left by a pod terway no longer knows, or"
                        + " added by hand)"));
            }
        }
    }

    private static void leases(DaemonStatus daemon, List<Finding> findings) {
        for (DaemonStatus.Lease l : daemon.leases()) {
            if (l.lost()) {
                findings.add(new Finding(Finding.Check.LEASE_LOST, l.describe() + " was lost"
                        + l.lostAddress().map(a -> " (" + a + ")").orElse("") + " and is being acquired again ("
                        + l.state() + ")" + l.lastFailure().map(f -> "; last failure: " + f).orElse("")));
            } else if (l.address().isPresent() && l.expiresInSeconds().orElse(1L) <= 0) {
                findings.add(new Finding(Finding.Check.LEASE_EXPIRED, l.describe() + " for "
                        + l.address().get() + " has expired"));
            } else if (l.state().equals("rebinding")) {
                findings.add(new Finding(Finding.Check.LEASE_REBINDING, l.describe() + " is rebinding: server "
                        + l.server().orElse("?") + " did not answer its renewals; it expires in "
                        + l.expiresInSeconds().map(StatusReport::duration).orElse("?")));
            } else if (l.address().isEmpty() && l.lastFailure().isPresent()) {
                String what = l.family().equals(DaemonStatus.Lease.IPV6) ? "DHCPv6 lease" : "lease";
                findings.add(new Finding(Finding.Check.LEASE_FAILING, "no " + what + " for " + l.who() + ": "
                        + l.lastFailure().get()));
            }
        }
    }

    private static void recentErrors(DaemonStatus daemon, List<Finding> findings) {
        for (DaemonStatus.Problem p : daemon.problems()) {
            if (p.level().equals("error") && !p.time().isBefore(daemon.now().minus(RECENT_ERRORS))) {
                findings.add(new Finding(Finding.Check.RECENT_ERROR, p.event() + " at " + p.time() + ": "
                        + p.message()));
            }
        }
    }
}
