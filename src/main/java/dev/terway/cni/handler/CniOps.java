package dev.terway.cni.handler;

import dev.terway.cni.spec.CniException;
import dev.terway.cni.config.CniArgs;
import dev.terway.log.LogPod;
import dev.terway.log.LogLevel;
import dev.terway.log.LogEvent;
import dev.terway.log.EventLog;
import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DaemonLeaseGateway;
import dev.terway.cni.ipam.Dhcp6Gateway;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.PendingReleases;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.RequestHandler;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.daemon.AddressChangeReport;
import dev.terway.dhcp.daemon.LeaseService;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.FaultInjection;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's "cni" op (docs/protocol.md): one forwarded invocation in, exactly what `cni-terway` must exit
 * with and print out.
 */
public final class CniOps implements RequestHandler {

    public static final String OP = "cni";

    private final CniService service;
    private final EventLog log;
    private final Runnable catchUp;
    private final AttachmentRepair repair;
    private volatile CniCalls calls = CniCalls.NONE;

    private CniOps(CniService service, EventLog log, Runnable catchUp, AttachmentRepair repair) {
        this.service = service;
        this.log = log;
        this.catchUp = catchUp;
        this.repair = repair;
    }

    /**
     * The daemon's CNI side. State beside {@code socket}: the releases queued by DELs that ran while the
     * daemon was down, the attachment records and the DELs accepted but not yet finished (they finish after
     * their reply, in {@code deferredDeletes}). {@code runner} makes (and in the daemon audits) the verbs'
     * commands; {@code queries} runs the repair's periodic looks, which change nothing. No pod may be given one
     * of {@code nodeNamespaces}. {@code faults}: what a test asked the verbs to inject.
     */
    public static CniOps forDaemon(LeaseService leases, CommandRunner runner, CommandRunner queries, Path socket,
                                   Clock clock, EventLog log, DeferredDeletes deferredDeletes,
                                   NodeNamespaces nodeNamespaces, FaultInjection faults) {
        return forDaemon(leases, runner, queries, socket, clock, log, deferredDeletes, nodeNamespaces, faults,
                Optional.empty());
    }

    /** And the daemon's DHCPv6 leases ({@code dhcp6}; absent: ipv6 mode "dhcpv6" is refused, "auto" is SLAAC only). */
    public static CniOps forDaemon(LeaseService leases, CommandRunner runner, CommandRunner queries, Path socket,
                                   Clock clock, EventLog log, DeferredDeletes deferredDeletes,
                                   NodeNamespaces nodeNamespaces, FaultInjection faults,
                                   Optional<Dhcp6Gateway> dhcp6) {
        DaemonLeaseGateway gateway = new DaemonLeaseGateway(leases, clock);
        PendingReleases pending = PendingReleases.besideSocket(socket);
        Runnable drain = () -> pending.drain(gateway, dhcp6, log);
        CniService service = new CniService(runner, gateway, DelegatedIpam.processes(), clock, log, drain,
                AttachmentRecords.besideSocket(socket), NetnsProbe.SYSTEM, nodeNamespaces, Optional.of(deferredDeletes),
                faults, dhcp6);
        return new CniOps(service, log, () -> {
            drain.run();
            service.finishInterruptedDeletes();
        }, service.attachmentRepair(queries));
    }

    /**
     * Registers the op on the daemon's registry. Pending releases are released, and DELs the last daemon
     * accepted but did not finish are finished, now (so after the daemon has taken up its stored leases,
     * which the releases must find); pending releases again before every request.
     */
    public RequestHandlers.Builder registerOn(RequestHandlers.Builder handlers) {
        catchUp.run();
        return handlers.register(OP, this);
    }

    /**
     * Notes in the pod's attachment record that the lease service changed (follow) or removed (remove) its
     * address after losing its lease; what {@code terway dhcp daemon} gives
     * {@link dev.terway.dhcp.daemon.DhcpLeaseService#reportAddressChangesTo}.
     */
    public void recordAddressChange(AddressChangeReport report) {
        service.noteAddressChange(report.pod().containerId(), report.pod().ifname(), new AttachmentRecord.AddressChange(
                report.at(), report.previous(), report.granted(), report.policy().configName(), report.cause()));
    }

    /** Puts host veths back on a bridge that was deleted and created again; the daemon runs it periodically. */
    public AttachmentRepair attachmentRepair() {
        return repair;
    }

    /** Where every answered call is reported (the daemon's metrics); set before the daemon serves. */
    public void reportCallsTo(CniCalls sink) {
        this.calls = sink;
    }

    @Override
    public Response handle(JsonNode request) {
        JsonNode env = request.get("env");
        JsonNode stdin = request.get("stdin");
        if (env == null || !env.isObject() || stdin == null || !stdin.isTextual()) {
            return Response.error("bad cni request: it needs \"env\" (an object of strings) and \"stdin\" (a string)");
        }
        Map<String, String> vars = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = env.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                return Response.error("bad cni request: env." + e.getKey() + " must be a string");
            }
            vars.put(e.getKey(), e.getValue().asText());
        }
        long start = System.nanoTime();
        CniReply reply = service.execute(new CniInvocation(vars, stdin.asText()));
        long took = System.nanoTime() - start;
        String command = vars.getOrDefault(CniInvocation.CNI_COMMAND, "?");
        // One line per invocation: what the runtime asked, for which attachment, how it ended, how long it took.
        long millis = took / 1_000_000;
        log.emit(LogEvent.of(reply.exitCode() == 0 ? LogLevel.INFO : LogLevel.WARN, eventOf(command),
                Optional.of(logPod(vars)), "cni " + command + " "
                        + vars.getOrDefault(CniInvocation.CNI_CONTAINERID, "-") + "/"
                        + vars.getOrDefault(CniInvocation.CNI_IFNAME, "-") + " exit " + reply.exitCode() + " in "
                        + millis + " ms", "exit", Integer.toString(reply.exitCode()), "ms", Long.toString(millis)));
        calls.answered(command, errorCode(reply), Duration.ofNanos(took));
        return new Response(reply.exitCode(), reply.stdout());
    }

    private static final Pattern ERROR_CODE = Pattern.compile("\"code\"\\s*:\\s*(\\d{1,9})");

    /** 0 for success, else the {@code code} of the reply's error JSON ({@link CniReply#error}); -1 without one. */
    static int errorCode(CniReply reply) {
        if (reply.exitCode() == 0) {
            return 0;
        }
        Matcher code = ERROR_CODE.matcher(reply.stdout());
        return code.find() ? Integer.parseInt(code.group(1)) : -1;
    }

    /** {@code cni.add}, {@code cni.del}, …: the verb's event; {@code cni.unknown} for a command no verb has. */
    static String eventOf(String command) {
        return switch (command) {
            case "ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION" -> "cni." + command.toLowerCase(Locale.ROOT);
            default -> "cni.unknown";
        };
    }

    /**
     * The pod keys of a CNI line, from the invocation's environment as the runtime sent it (before validation,
     * so a refused request is logged too: the formats quote whatever it holds). The pod's namespace and name
     * come from CNI_ARGS when it parses.
     */
    static LogPod logPod(Map<String, String> env) {
        Optional<String> namespace = Optional.empty();
        Optional<String> name = Optional.empty();
        try {
            CniArgs args = CniArgs.parse(env.getOrDefault(CniInvocation.CNI_ARGS, ""));
            namespace = args.podNamespace();
            name = args.podName();
        } catch (CniException e) {
            // the verb reports the bad CNI_ARGS; the line still names the attachment
        }
        return new LogPod(env.getOrDefault(CniInvocation.CNI_CONTAINERID, ""), namespace, name,
                env.getOrDefault(CniInvocation.CNI_IFNAME, ""));
    }
}
