package dev.terway.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.netstate.Link;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code terway status} prints, and its verdict: healthy (exit {@value #EXIT_HEALTHY}), needs attention
 * (exit {@value #EXIT_ATTENTION}, each finding named), or the daemon did not answer (exit
 * {@value #EXIT_DAEMON_DOWN}, with whatever else was found). Exit 2 stays picocli's usage error.
 */
public record StatusReport(NodeObservation node, Optional<DaemonStatus> daemon, Optional<String> daemonProblem,
                           List<Finding> findings) {

    public static final int EXIT_HEALTHY = 0;
    public static final int EXIT_ATTENTION = 1;
    public static final int EXIT_DAEMON_DOWN = 3;

    public StatusReport {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(daemon, "daemon");
        Objects.requireNonNull(daemonProblem, "daemonProblem");
        findings = List.copyOf(findings);
    }

    public boolean healthy() {
        return findings.isEmpty();
    }

    public int exitCode() {
        if (findings.stream().anyMatch(f -> f.check() == Finding.Check.DAEMON_DOWN)) {
            return EXIT_DAEMON_DOWN;
        }
        return findings.isEmpty() ? EXIT_HEALTHY : EXIT_ATTENTION;
    }

    /** One screen: the verdict first, then setup, bridge and ports, daemon, leases, servers, recent problems. */
    public String text() {
        StringBuilder out = new StringBuilder();
        out.append("terway status: ").append(healthy() ? "healthy" : "NEEDS ATTENTION (" + findings.size()
                + (findings.size() == 1 ? " problem" : " problems") + ")").append('\n');
        for (Finding f : findings) {
            out.append("  ! ").append(f.check().text()).append(": ").append(printable(f.message())).append('\n');
        }
        out.append("setup:   ");
        if (node.setup().isPresent()) {
            NodeObservation.Setup s = node.setup().get();
            out.append(s.iface()).append(" bridged into ").append(s.bridge())
                    .append(s.since().map(t -> " since " + t).orElse("")).append('\n');
        } else {
            out.append(node.setupProblem().map(StatusReport::printable).orElse("none")).append('\n');
        }
        out.append("bridge:  ").append(node.bridge());
        Optional<Link> bridge = node.link(node.bridge());
        if (bridge.isPresent()) {
            out.append(bridge.get().isUp() ? " up" : " DOWN").append(", mtu ").append(bridge.get().mtu());
            List<Link> ports = node.ports();
            out.append(", ").append(ports.size()).append(ports.size() == 1 ? " port" : " ports").append('\n');
            for (Link p : ports) {
                out.append("           ").append(p.name()).append(" (").append(p.kind().orElse("device")).append(", ")
                        .append(node.portStates().getOrDefault(p.name(), "state unknown")).append(")\n");
            }
        } else {
            out.append(node.linkProblem().isPresent() ? " (links not readable)" : " missing").append('\n');
        }
        if (daemon.isEmpty()) {
            out.append("daemon:  DOWN: ").append(printable(daemonProblem.orElse("no answer"))).append('\n');
            return out.toString();
        }
        DaemonStatus d = daemon.get();
        out.append("daemon:  up ").append(duration(d.uptimeSeconds())).append(" (since ").append(d.startedAt())
                .append("), version ").append(printable(d.version())).append(", ").append(d.attachments().size())
                .append(" attachment(s), ").append(d.leases().size()).append(" lease(s)\n");
        if (!d.leases().isEmpty()) {
            out.append("leases:\n");
            for (DaemonStatus.Lease l : d.leases()) {
                out.append("  ").append(printable(l.who())).append("  ").append(l.family()).append("  ")
                        .append(l.address().orElse("(none)"))
                        .append("  ").append(l.state());
                if (l.lost()) {
                    out.append(" (lost").append(l.lostAddress().map(a -> " " + a).orElse("")).append(")");
                }
                l.renewInSeconds().ifPresent(s -> out.append("  renew ").append(s > 0 ? "in " + duration(s) : "due"));
                l.expiresInSeconds().ifPresent(s -> out.append("  expires ")
                        .append(s > 0 ? "in " + duration(s) : "EXPIRED"));
                l.server().ifPresent(s -> out.append("  server ").append(s));
                out.append('\n');
            }
        }
        out.append("DHCP servers:");
        if (d.servers().isEmpty()) {
            out.append(" none heard from yet\n");
        } else {
            out.append('\n');
            for (DaemonStatus.Server s : d.servers()) {
                out.append("  ").append(s.address()).append("  last reply ")
                        .append(duration(Duration.between(s.lastReply(), d.now()).toSeconds())).append(" ago, ")
                        .append(s.replies()).append(s.replies() == 1 ? " reply" : " replies").append('\n');
            }
        }
        if (!d.problems().isEmpty()) {
            out.append("recent warnings and errors:\n");
            for (DaemonStatus.Problem p : d.problems()) {
                out.append("  ").append(p.time()).append(' ').append(p.level()).append(' ').append(p.event())
                        .append(": ").append(printable(p.message())).append('\n');
            }
        }
        return out.toString();
    }

    public ObjectNode toJson() {
        ObjectNode json = DaemonStatus.MAPPER.createObjectNode();
        json.put("healthy", healthy());
        json.put("exitCode", exitCode());
        ArrayNode problems = json.putArray("problems");
        for (Finding f : findings) {
            problems.addObject().put("check", f.check().text()).put("message", f.message());
        }
        if (node.setup().isPresent()) {
            NodeObservation.Setup s = node.setup().get();
            json.putObject("setup").put("iface", s.iface()).put("bridge", s.bridge())
                    .put("since", s.since().map(Instant::toString).orElse(null));
        } else {
            json.putNull("setup");
        }
        ObjectNode bridge = json.putObject("bridge");
        bridge.put("name", node.bridge());
        Optional<Link> link = node.link(node.bridge());
        bridge.put("exists", link.isPresent());
        bridge.put("up", link.map(Link::isUp).orElse(false));
        ArrayNode ports = bridge.putArray("ports");
        for (Link p : node.ports()) {
            ports.addObject().put("name", p.name()).put("kind", p.kind().orElse(null))
                    .put("state", node.portStates().get(p.name()));
        }
        if (daemon.isPresent()) {
            json.set("daemon", daemon.get().toJson());
        } else {
            json.putNull("daemon");
        }
        json.put("daemonProblem", daemonProblem.orElse(null));
        return json;
    }

    /** {@code 45s}, {@code 3m05s}, {@code 2h03m}, {@code 4d02h}. */
    static String duration(long seconds) {
        long s = Math.max(0, seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    /** Text from the daemon or the node as the terminal gets it: control characters (escape sequences) as '?'. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
