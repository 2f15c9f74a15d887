package dev.terway.cli.dhcp;

import dev.terway.cni.handler.AttachmentRepair;
import dev.terway.cni.handler.CniOps;
import dev.terway.cni.handler.DeferredDeletes;
import dev.terway.cni.ipam.DaemonDhcp6Gateway;
import dev.terway.cni.ipam.Dhcp6Upkeep;
import dev.terway.cni.ipam.PodNetworkUpkeep;
import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.daemon.DaemonServer;
import dev.terway.daemon.RequestHandlers;
import dev.terway.dhcp.daemon.DhcpLeaseService;
import dev.terway.dhcp.daemon.LeaseOps;
import dev.terway.dhcp.daemon.LeaseTimer;
import dev.terway.dhcp.daemon.NetnsPodArpSockets;
import dev.terway.dhcp.daemon.NetnsPodSockets;
import dev.terway.dhcp.daemon.NodeSender;
import dev.terway.dhcp.store.LeaseStore;
import dev.terway.dhcp6.daemon.Dhcp6LeaseService;
import dev.terway.dhcp6.daemon.Lease6Json;
import dev.terway.dhcp6.daemon.Lease6Ops;
import dev.terway.dhcp6.daemon.NetnsPod6Sockets;
import dev.terway.log.DaemonLog;
import dev.terway.log.LogFormat;
import dev.terway.status.StatusOp;
import dev.terway.cli.LogFormatConverter;
import dev.terway.cli.TerwayVersion;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.migration.BridgeSetup;
import dev.terway.migration.BridgeWatch;
import dev.terway.migration.GatewayChecks;
import dev.terway.migration.Host;
import dev.terway.migration.MigrationException;
import dev.terway.migration.SetupRecord;
import dev.terway.migration.SetupRecordStore;
import dev.terway.migration.StateDirectory;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Route;
import dev.terway.plan.AuditLog;
import dev.terway.plan.AuditedCommands;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ExecCommandRunner;
import dev.terway.plan.FaultInjection;
import dev.terway.plan.PlanOutcomes;
import dev.terway.plan.PlanRunner;
import dev.terway.metrics.DaemonMetrics;
import dev.terway.metrics.LeaseSource;
import dev.terway.metrics.MetricsAddress;
import dev.terway.metrics.MetricsServer;
import dev.terway.cli.DurationConverter;
import dev.terway.cli.FaultOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Holds the DHCP leases of the node's pods and serves the lease API on a unix socket.",
                "Leases are kept in <state-dir>/leases and taken up again after a restart; SIGTERM stops the"
                        + " daemon without releasing them."})
public final class DhcpDaemonCommand implements Callable<Integer> {

    /** Requests served at once: an acquire may block for its whole timeout, so this bounds waiting pods. */
    static final int MAX_PARALLEL_REQUESTS = 64;
    /** Exchanges that can listen at the same time; more wait for a thread. */
    static final int RECEIVE_THREADS = 16;
    /** How often host veths are checked for a re-created bridge: how long a pod may be cut off after one. */
    static final Duration REPAIR_INTERVAL = Duration.ofSeconds(10);
    /**
     * How often the daemon of {@code terway run} looks whether its bridge still exists (one `ip` run): with the
     * repair's own few seconds, how long the node and its pods stay cut off after the bridge was deleted.
     */
    static final Duration BRIDGE_WATCH_INTERVAL = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Mixin
    SocketOption socket;

    @Mixin
    FaultOption faults;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/terway",
            description = "Where leases (leases/) and the audit log are kept (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long an acquire may take unless the request says otherwise (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /**
     * The ARP probe's default, measured (README, "Duplicate addresses"): a host on the LAN answers a probe in
     * well under a millisecond here, and a busy or virtualised one in a few; 200 ms with 3 probes leaves 100
     * ms after the last probe (two intervals, as RFC 5227's ANNOUNCE_WAIT is two PROBE_MINs) and adds ~200 ms
     * to every ADD.
     */
    public static final String DEFAULT_ARP_PROBE = "200ms";
    /** Beyond this an ADD waits for the probe longer than for everything else together, many times over. */
    static final Duration MAX_ARP_PROBE = Duration.ofSeconds(10);

    @Option(names = "--arp-probe", paramLabel = "DURATION", defaultValue = DEFAULT_ARP_PROBE,
            converter = DurationConverter.class,
            description = {"How long a newly acknowledged address is probed with ARP from the pod (3 probes, RFC 5227)"
                    + " before the pod gets it; an address another host answers for is declined (DHCPDECLINE) and"
                    + " another one asked for. 0 turns the probe off (default: ${DEFAULT-VALUE}).",
                    "Every new lease waits this long; at most 10s."})
    Duration arpProbe;

    @Option(names = "--decline-wait", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long to wait after declining an address in use before asking for another; RFC 2131"
                    + " asks for at least 10s (default: ${DEFAULT-VALUE}).")
    Duration declineWait;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = {"Serve Prometheus metrics at http://HOST:PORT/metrics: leases by state, DHCP exchanges,"
                    + " time to lease, CNI calls, plan failures, the node's bridge, the JVM (docs/operations.md)."
                    + " Absent or empty: off.",
                    "They name no pod, but anyone who reaches the port learns how busy the node is: keep it on"
                            + " loopback unless a scraper needs it."})
    String metricsAddress;

    @Option(names = "--repair-bridge", paramLabel = "NAME", hidden = true,
            description = "Set by `terway run`: re-create bridge NAME from the setup record in --state-dir when it is"
                    + " deleted, as `terway setup` would (checked against the gateways, rolled back on failure).")
    String repairBridge;

    @Option(names = "--repair-iface", paramLabel = "IF", hidden = true,
            description = "Set by `terway run`: the interface `terway setup` bridged, when it was named.")
    String repairIface;

    @Option(names = "--repair-verify-timeout", paramLabel = "DURATION", defaultValue = "5s", hidden = true,
            converter = DurationConverter.class,
            description = "Set by `terway run`: how long the gateway may take to answer through a re-created bridge.")
    Duration repairVerifyTimeout;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text", converter = LogFormatConverter.class,
            description = {"text: one key=value line per event (time, level, event, the pod's containerId,"
                    + " podNamespace, podName and ifname, the event's facts, msg); json: the same keys as one JSON"
                    + " object per line (default: ${DEFAULT-VALUE}).", "docs/operations.md lists the events."})
    LogFormat logFormat;

    @Override
    public Integer call() throws Exception {
        if (timeout.isZero()) {
            throw new ParameterException(spec.commandLine(), "--timeout must be more than 0");
        }
        if (arpProbe.compareTo(MAX_ARP_PROBE) > 0) {
            throw new ParameterException(spec.commandLine(), "--arp-probe must be at most "
                    + MAX_ARP_PROBE.toSeconds() + "s, got " + arpProbe.toMillis() + "ms");
        }
        Optional<MetricsAddress> metricsAt;
        try {
            metricsAt = metricsAddress == null || metricsAddress.isBlank() ? Optional.empty()
                    : Optional.of(MetricsAddress.parse(metricsAddress));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--metrics-address: " + e.getMessage());
        }
        Clock clock = Clock.systemUTC();
        Instant started = clock.instant();
        DaemonLog log = new DaemonLog(spec.commandLine().getErr(), clock, logFormat, DaemonLog.DEFAULT_KEEP);
        if (!faults.faults().isNone()) {
            log.warn("test.faults", "test hook: injecting faults " + faults.faults());
        }
        NodeNamespaces nodeNamespaces = nodeNamespaces(new StateDirectory(stateDir).records(),
                log.warnings("daemon.node_namespaces"));
        LeaseStore store = LeaseStore.open(stateDir, log.warnings("lease.store_problem"));
        AuditLog audit = new AuditLog(stateDir.resolve("audit.log"), clock);
        ExecCommandRunner commands = ExecCommandRunner.registeredOnly(Duration.ofSeconds(10));
        // A failure to write the audit log is reported, never thrown: it must not fail ADDs or cut renewals short.
        CommandRunner audited = AuditedCommands.recording(audit, commands, log.warnings("audit.problem"));
        PodNetworkUpkeep upkeep = new PodNetworkUpkeep(new NodeObserver(commands), new PlanRunner(audited), clock, log);

        ExecutorService upkeepExecutor = Executors.newSingleThreadExecutor(threads("terway-upkeep", 0));
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(2, threads("terway-lease-timer", 0));
        scheduler.setRemoveOnCancelPolicy(true);
        // Receive loops run only during exchanges (a few ms, at most LISTEN_WINDOW without an answer):
        // a bounded pool of small-stack threads that retire when idle. When every leased pod renews at
        // once, the loops queue and the kernel holds the replies meanwhile.
        ThreadPoolExecutor receivers = new ThreadPoolExecutor(RECEIVE_THREADS, RECEIVE_THREADS, 5, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads("terway-dhcp-rx", 256 * 1024));
        receivers.allowCoreThreadTimeOut(true);

        // DHCPv6: its own clients, stored beside the IPv4 leases, the pods' addresses kept through the same planner.
        Dhcp6LeaseService leases6 = new Dhcp6LeaseService(Dhcp6LeaseService.Settings.lan(timeout),
                LeaseStore.openDhcp6(stateDir, log.warnings("lease.store_problem")), new NetnsPod6Sockets(),
                new Dhcp6Upkeep(new NodeObserver(commands), new PlanRunner(audited), clock, log),
                upkeepExecutor, receivers, LeaseTimer.of(scheduler, clock), clock, log);
        DhcpLeaseService leases = new DhcpLeaseService(
                DhcpLeaseService.Settings.lan(timeout).withArpProbe(arpProbe, declineWait), store,
                new NetnsPodSockets(), new NetnsPodArpSockets(), NodeSender.udp(), upkeep, upkeepExecutor, receivers,
                LeaseTimer.of(scheduler, clock), clock, log);
        // The CNI verbs of cni-terway run here, next to the leases (the thin client only forwards them).
        DeferredDeletes deferredDeletes = DeferredDeletes.besideSocket(socket.socket());
        CniOps cni = CniOps.forDaemon(leases, audited, commands, socket.socket(), clock, log, deferredDeletes,
                nodeNamespaces, faults.faults(), Optional.of(new DaemonDhcp6Gateway(leases6, clock)));
        // A pod whose lease was lost and came back as another address: noted in its attachment record.
        leases.reportAddressChangesTo(cni::recordAddressChange);
        // Metrics before anything is taken up or served, so that they see it all; a port that cannot be had stops
        // the start here, before the daemon has changed anything.
        AtomicReference<BridgeWatch.Outcome> lastBridgeLook = new AtomicReference<>();
        Optional<DaemonMetrics> metrics = metricsAt.map(at -> daemonMetrics(leases, leases6, cni,
                lastBridgeLook));
        Optional<MetricsServer> metricsServer = Optional.empty();
        if (metricsAt.isPresent()) {
            metricsServer = Optional.of(MetricsServer.start(metrics.get(), metricsAt.get()));
        }
        // Host veths back on a bridge that was re-created while the daemon was down, before the stored leases
        // are taken up: their INIT-REBOOT goes out through the pod's veth and the bridge.
        AttachmentRepair repair = cni.attachmentRepair();
        repairAttachments(repair, log);
        // A stored DHCPv6 lease whose pod netns is gone is released from the node: the bridge under `terway run`,
        // else the link of the node's IPv6 default route (the LAN the pods are on, as its routers announce).
        leases6.releaseGoneFrom(() -> repairBridge != null ? Optional.of(repairBridge)
                : ipv6DefaultRouteLink(commands));
        int restored = leases.restoreAll();
        int restored6 = leases6.restoreAll();

        RequestHandlers.Builder ops = new LeaseOps(leases, timeout, nodeNamespaces::problem)
                .withDhcp6(() -> leases6.list().stream().map(Lease6Json::toJson).toList(), leases6::counters)
                .registerOn(RequestHandlers.builder());
        new Lease6Ops(leases6, timeout, nodeNamespaces::problem).registerOn(ops);
        cni.registerOn(ops);
        new StatusOp(TerwayVersion.version(), started, clock, leases::statuses, leases::serversSeen,
                AttachmentRecords.besideSocket(socket.socket()), log::recentProblems, leases6::statuses)
                .registerOn(ops);
        RequestHandlers handlers = ops.build();
        DaemonServer server = DaemonServer.start(socket.socket(), handlers, MAX_PARALLEL_REQUESTS,
                log.warnings("socket.problem"));
        log.info("daemon.started", "terway dhcp daemon listening on " + socket.socket() + "; state in " + stateDir
                + "; " + restored + " stored lease(s) taken up; " + restored6 + " stored DHCPv6 lease(s) taken up; "
                + (arpProbe.isZero() ? "no ARP probe"
                : "ARP probe " + arpProbe.toMillis() + " ms, " + declineWait.toMillis() + " ms wait after a decline")
                + metricsServer.map(s -> "; metrics on " + s.address().url()).orElse(""));
        // And while it runs: `terway teardown` + `terway setup` on a live node re-creates the bridge empty.
        scheduler.scheduleWithFixedDelay(() -> repairAttachments(repair, log), REPAIR_INTERVAL.toMillis(),
                REPAIR_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);

        // Under `terway run`: a deleted bridge is re-created from the setup record, and the pods put back on it.
        ScheduledExecutorService bridgeWatch = null;
        if (repairBridge != null) {
            BridgeWatch watch = bridgeWatch(log);
            bridgeWatch = Executors.newSingleThreadScheduledExecutor(threads("terway-bridge-watch", 0));
            bridgeWatch.scheduleWithFixedDelay(() -> {
                BridgeWatch.Outcome outcome = watch.check();
                lastBridgeLook.set(outcome);
                metrics.ifPresent(m -> m.bridgeChecked(outcome));
                if (outcome == BridgeWatch.Outcome.REPAIRED) {
                    repairAttachments(repair, log);
                }
            }, BRIDGE_WATCH_INTERVAL.toMillis(), BRIDGE_WATCH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            log.info("bridge.watching", "watching bridge " + repairBridge + " every "
                    + BRIDGE_WATCH_INTERVAL.toSeconds() + " s: deleted, it is re-created from the setup record in "
                    + stateDir, "bridge", repairBridge);
        }
        ScheduledExecutorService watching = bridgeWatch;
        Optional<MetricsServer> serving = metricsServer;

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM: stop taking requests, stop the clients, keep every lease on disk (the pods keep
            // running; the next start takes the leases up again).
            if (watching != null) {
                watching.shutdownNow();
            }
            serving.ifPresent(MetricsServer::close);
            server.close(Duration.ofSeconds(3));
            // DELs already answered finish first: their releases need the lease service still running.
            if (!deferredDeletes.close(Duration.ofSeconds(5))) {
                log.warn("daemon.dels_unfinished", "DELs still finishing after 5 s; the next start finishes them");
            }
            int kept = leases.list().size() + leases6.list().size();
            leases.close();
            leases6.close();
            scheduler.shutdownNow();
            receivers.shutdownNow();
            // Pending address upkeep is dropped: the next start refreshes every address it takes up.
            upkeepExecutor.shutdownNow();
            log.info("daemon.stopped", "terway dhcp daemon stopped; " + kept + " lease(s) kept in "
                    + store.directory());
            stopped.countDown();
        }, "terway-shutdown"));
        stopped.await();
        return 0;
    }

    /**
     * The daemon's metrics over its lease services (DHCPv4 and DHCPv6, by {@code family}), CNI calls, plans and gateway checks. The node counts as bridged
     * while the setup record is in --state-dir and the bridge watch (under `terway run`) last found the bridge.
     */
    private DaemonMetrics daemonMetrics(DhcpLeaseService leases, Dhcp6LeaseService leases6, CniOps cni,
                                        AtomicReference<BridgeWatch.Outcome> lastBridgeLook) {
        SetupRecordStore records = new StateDirectory(stateDir).records();
        BooleanSupplier bridged = () -> {
            BridgeWatch.Outcome look = lastBridgeLook.get();
            if (look == BridgeWatch.Outcome.FAILED || look == BridgeWatch.Outcome.LEFT_ALONE) {
                return false;
            }
            try {
                return records.load().isPresent();
            } catch (MigrationException e) {
                return false;
            }
        };
        DaemonMetrics metrics = DaemonMetrics.create(new DaemonMetrics.Sources(
                Map.of(DaemonMetrics.IPV4, LeaseSource.ipv4(leases.statistics(), leases::clientsByState),
                        DaemonMetrics.IPV6, LeaseSource.ipv6(leases6.statistics(), leases6::clientsByState)),
                PlanOutcomes.PROCESS, GatewayChecks.PROCESS, bridged));
        leases.reportTimingsTo(metrics.timings(DaemonMetrics.IPV4));
        leases6.reportTimingsTo(metrics.timings(DaemonMetrics.IPV6));
        cni.reportCallsTo(metrics.cniCalls());
        return metrics;
    }

    private BridgeWatch bridgeWatch(DaemonLog log) {
        Host host = Host.local();
        BridgeSetup.Request request = new BridgeSetup.Request(
                Optional.ofNullable(repairIface).filter(i -> !i.isBlank()), repairBridge, stateDir, false,
                repairVerifyTimeout, FaultInjection.NONE);
        return new BridgeWatch(host, new BridgeSetup(host), request, log);
    }

    /**
     * The namespaces no pod may be given: the daemon's own, read now, before any thread enters a pod's
     * namespace (the DaemonSet runs it in the host's), and the one `terway setup` bridged, from the setup
     * record of this boot, read at every check (setup may run after the daemon started). A record written
     * before setup recorded it, or in an earlier boot, adds nothing: the daemon's own namespace stands in.
     */
    static NodeNamespaces nodeNamespaces(SetupRecordStore records, Consumer<String> warn) {
        List<NodeNamespaces.Known> own = new ArrayList<>();
        NetnsIdentity.own().ifPresent(id -> own.add(new NodeNamespaces.Known(id, "the namespace the terway daemon"
                + " runs in")));
        if (own.isEmpty()) {
            warn.accept("cannot read " + NetnsIdentity.OWN + "; only the namespace `terway setup` bridged is refused"
                    + " as a pod's");
        }
        Optional<String> bootId = SetupRecord.BridgedNamespace.thisBoot();
        AtomicReference<String> lastProblem = new AtomicReference<>("");
        return NodeNamespaces.of(() -> {
            List<NodeNamespaces.Known> known = new ArrayList<>(own);
            try {
                Optional<NetnsIdentity> bridged = records.load().flatMap(r -> bootId.flatMap(r::bridgedNamespace));
                bridged.ifPresent(id -> known.add(new NodeNamespaces.Known(id, "the namespace `terway setup` bridged")));
                lastProblem.set("");
            } catch (MigrationException e) {
                if (!lastProblem.getAndSet(e.getMessage()).equals(e.getMessage())) {
                    warn.accept(e.getMessage() + "; only the daemon's own namespace is refused as a pod's");
                }
            }
            return known;
        });
    }

    /**
     * One repair run. Nothing it meets may stop the daemon or, on the scheduler, cancel the later runs (a
     * periodic task that throws is never run again).
     */
    private static void repairAttachments(AttachmentRepair repair, DaemonLog log) {
        try {
            repair.run();
        } catch (RuntimeException e) {
            log.error("attachment.repair_failed", "attachment repair failed: " + e.getMessage() + "; trying again in "
                    + REPAIR_INTERVAL.toSeconds() + " s");
        }
    }

    private static ThreadFactory threads(String name, long stackSize) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(null, r, name + "-" + n.incrementAndGet(), stackSize);
            t.setDaemon(true);
            return t;
        };
    }

    /** The device of the daemon namespace's IPv6 default route, if it has one. */
    static Optional<String> ipv6DefaultRouteLink(CommandRunner commands) {
        CommandResult r = commands.run(List.of("ip", "-6", "-j", "route", "show", "default"));
        if (!r.succeeded()) {
            return Optional.empty();
        }
        return IpJson.routes(r.stdout(), Family.INET6).stream().map(Route::dev).flatMap(Optional::stream)
                .findFirst();
    }
}
