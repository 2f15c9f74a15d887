package dev.terway.metrics;

import dev.terway.cni.handler.CniCalls;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.Verb;
import dev.terway.dhcp.daemon.LeaseStatistics;
import dev.terway.migration.BridgeWatch;
import dev.terway.migration.GatewayChecks;
import dev.terway.plan.PlanOutcomes;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The daemon's metrics: the one place that names them, and the registry {@link MetricsServer} serves. Counts
 * the lease service, the plan runners and the gateway checks already keep are read from them at each scrape
 * (callback metrics), never counted a second time; only what has a distribution (time to lease, CNI call
 * latency) or happens in the daemon's command loop (bridge checks) is recorded here.
 *
 * <p>Names and labels follow the Prometheus conventions: the {@code terway_} prefix, base units, {@code _total}
 * on counters, {@code _seconds} on durations, and only bounded label values (no pod, container or address: a
 * label value is one of a fixed set, and anything else is folded into {@code unknown} or {@code other}). The DHCP
 * metrics carry {@code family}: {@value #IPV4} for the DHCPv4 leases, {@value #IPV6} for the DHCPv6 ones, under the
 * same names; each family brings its own fixed sets of states, exchanges, outcomes and loss reasons
 * ({@link LeaseSource}).
 */
public final class DaemonMetrics {

    public static final String IPV4 = "ipv4";
    public static final String IPV6 = "ipv6";

    static final String LEASES = "terway_dhcp_leases";
    static final String EXCHANGES = "terway_dhcp_exchanges_total";
    static final String TIME_TO_LEASE = "terway_dhcp_time_to_lease_seconds";
    static final String RENEWALS_MISSED = "terway_dhcp_renewals_missed_total";
    static final String RENEWALS_LATE = "terway_dhcp_renewals_late_total";
    static final String LEASES_LOST = "terway_dhcp_leases_lost_total";
    static final String LEASES_RESTORED = "terway_dhcp_leases_restored";
    static final String ADDRESS_CONFLICTS = "terway_dhcp_address_conflicts_total";
    static final String ARP_PROBES = "terway_dhcp_arp_probes_total";
    static final String CNI_REQUESTS = "terway_cni_requests_total";
    static final String CNI_DURATION = "terway_cni_request_duration_seconds";
    static final String PLAN_STEPS_FAILED = "terway_plan_steps_failed_total";
    static final String PLAN_ROLLBACKS = "terway_plan_rollbacks_total";
    static final String PLAN_UNDOS_FAILED = "terway_plan_undos_failed_total";
    static final String NODE_BRIDGED = "terway_node_bridged";
    static final String BRIDGE_CHECKS = "terway_node_bridge_checks_total";
    static final String GATEWAY_CHECKS = "terway_node_gateway_checks_total";
    static final String GATEWAY_ANSWERED = "terway_node_gateway_answered";

    /** The CNI error codes a reply may carry as a label; any other is {@code other}. */
    static final Set<Integer> CODES = Set.of(0, CniErrorCode.INCOMPATIBLE_VERSION, CniErrorCode.UNSUPPORTED_FIELD,
            CniErrorCode.UNKNOWN_CONTAINER, CniErrorCode.INVALID_ENVIRONMENT, CniErrorCode.IO_FAILURE,
            CniErrorCode.DECODING_FAILURE, CniErrorCode.INVALID_NETWORK_CONFIG, CniErrorCode.TRY_AGAIN_LATER,
            CniErrorCode.PLUGIN_NOT_AVAILABLE, CniErrorCode.PLUGIN_NOT_AVAILABLE_LIMITED, CniErrorCode.SETUP_FAILED,
            CniErrorCode.CHECK_FAILED, CniErrorCode.NODE_NOT_SET_UP, CniErrorCode.TEARDOWN_FAILED,
            CniErrorCode.INTERNAL);

    /**
     * Time to lease: an ADD's lease takes a few ms of DORA plus the ARP probe (200 ms by default); a decline adds
     * the 10 s wait; the acquire timeout is 10 s by default. A DHCPv6 lease of a fresh pod takes ~1.7 s, most of it
     * the wait for the link-local address's DAD (docs/dhcp.md).
     */
    static final double[] TIME_TO_LEASE_BOUNDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60};
    /** CNI calls in the daemon: GC/STATUS in ms, DEL answered once on record, ADD with its lease up to the timeout. */
    static final double[] CNI_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    /**
     * What the metrics read: the lease services by family, the process's plan outcomes and gateway checks, and
     * whether the node is bridged now.
     */
    public record Sources(Map<String, LeaseSource> leases, PlanOutcomes plans, GatewayChecks gateways,
                          BooleanSupplier bridged) {
        public Sources {
            leases = Map.copyOf(leases);
        }
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram timeToLease;
    private final Histogram cniDuration;
    private final Counter cniRequests;
    private final Counter bridgeChecks;

    private DaemonMetrics(Sources sources, boolean jvm) {
        registerLeases(sources.leases());
        timeToLease = Histogram.builder().name(TIME_TO_LEASE)
                .help("Time from a pod's acquire (CNI ADD) to its bound lease, DHCP exchange and ARP probe included")
                .labelNames("family").classicOnly().classicUpperBounds(TIME_TO_LEASE_BOUNDS).withoutExemplars()
                .register(registry);
        sources.leases().keySet().forEach(timeToLease::labelValues);
        cniRequests = Counter.builder().name(CNI_REQUESTS)
                .help("CNI calls the daemon answered, by verb and result code (0: success, else the CNI error code)")
                .labelNames("verb", "code").withoutExemplars().register(registry);
        cniDuration = Histogram.builder().name(CNI_DURATION)
                .help("Time the daemon took to answer a CNI call, by verb").labelNames("verb").classicOnly()
                .classicUpperBounds(CNI_BOUNDS).withoutExemplars().register(registry);
        for (Verb verb : Verb.values()) {
            // every verb present from the start, so that a rate over the first calls has a zero to start from
            cniRequests.labelValues(verbLabel(verb.name()), "0");
            cniDuration.labelValues(verbLabel(verb.name()));
        }
        registerPlans(sources.plans());
        registerNode(sources);
        bridgeChecks = Counter.builder().name(BRIDGE_CHECKS)
                .help("Looks of `terway run`'s daemon at its bridge, by outcome (present, repaired, left_alone,"
                        + " failed)").labelNames("outcome").withoutExemplars().register(registry);
        for (BridgeWatch.Outcome outcome : BridgeWatch.Outcome.values()) {
            bridgeChecks.labelValues(label(outcome));
        }
        if (jvm) {
            registerJvm(registry);
        }
    }

    /**
     * The JVM's and the process's metrics from the client's instrumentation, all read at scrape time: memory (heap,
     * non-heap, pools), buffer pools, GC counts and time, threads, classes, JVM version, and the process's CPU
     * time, RSS, open files and start time. Left out: the allocation metrics ({@code JvmMemoryPoolAllocationMetrics}),
     * which listen to every GC, and the daemon's young generation is 2 MB, so it collects often; native memory, which
     * needs NMT (off); JIT time, which says nothing about leases. Measured: load-200 RSS with all of the client's JVM
     * metrics 79 MiB at the end, with these 76-77, without metrics 70-71 (docs/performance.md, "Metrics").
     */
    private static void registerJvm(PrometheusRegistry registry) {
        JvmMemoryMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /** The daemon's metrics over {@code sources}, with the JVM's and the process's ({@link #registerJvm}). */
    public static DaemonMetrics create(Sources sources) {
        return new DaemonMetrics(sources, true);
    }

    /** Without the JVM's metrics: the process-wide ones cannot be registered twice in one JVM (tests). */
    static DaemonMetrics withoutJvm(Sources sources) {
        return new DaemonMetrics(sources, false);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Where the lease service of {@code family} reports each pod's time to lease. */
    public LeaseStatistics.Timings timings(String family) {
        DistributionDataPoint histogram = timeToLease.labelValues(family);
        return took -> histogram.observe(seconds(took));
    }

    /** Where the daemon's CNI handler reports each call it answered. */
    public CniCalls cniCalls() {
        return (verb, code, took) -> {
            String v = verbLabel(verb);
            cniRequests.labelValues(v, codeLabel(code)).inc();
            cniDuration.labelValues(v).observe(seconds(took));
        };
    }

    /** One look of the bridge watch. */
    public void bridgeChecked(BridgeWatch.Outcome outcome) {
        bridgeChecks.labelValues(label(outcome)).inc();
    }

    // ---- labels: a fixed set each ----

    static String verbLabel(String verb) {
        for (Verb v : Verb.values()) {
            if (v.name().equals(verb)) {
                return v.name();
            }
        }
        return "unknown";
    }

    static String codeLabel(int code) {
        return CODES.contains(code) ? Integer.toString(code) : "other";
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    // ---- callback metrics over the counts kept elsewhere ----

    private void registerLeases(Map<String, LeaseSource> families) {
        GaugeWithCallback.builder().name(LEASES)
                .help("Leases the daemon holds for pods, by the state of their DHCP client (bound; renewing from T1;"
                        + " rebinding from T2; ipv4 rebooting, ipv6 confirming: restored at start and being confirmed;"
                        + " ipv6 requesting: asked for again after NoBinding)")
                .labelNames("family", "state")
                .callback(cb -> families.forEach((family, source) ->
                        source.leasesByState().forEach((state, n) -> cb.call(n, family, state))))
                .register(registry);
        CounterWithCallback.builder().name(EXCHANGES)
                .help("DHCP exchanges with the servers, by what the client sent (ipv4: discover, request, renew,"
                        + " rebind, reboot; ipv6: solicit, request, renew, rebind, confirm, release) and how it ended"
                        + " (ipv4: offer, ack, nak, timeout, declined; ipv6: advertise, reply, no_addrs_avail,"
                        + " no_binding, not_on_link, withdrawn, unusable, timeout, sent)")
                .labelNames("family", "exchange", "outcome")
                .callback(cb -> families.forEach((family, source) ->
                        source.exchanges().forEach((exchange, outcomes) ->
                                outcomes.forEach((outcome, n) -> cb.call(n, family, exchange, outcome)))))
                .register(registry);
        perFamily(families, RENEWALS_MISSED, "Renewals that got no answer from the leasing server by T2 (the client"
                + " then rebinds with any server)", LeaseSource::renewalsMissed);
        perFamily(families, RENEWALS_LATE, "Renewals whose first REQUEST (ipv6: RENEW, or REBIND past T2) went out"
                + " more than a second after T1 (a starved timer, a stopped daemon, a lease restored after its T1)",
                LeaseSource::renewalsLate);
        CounterWithCallback.builder().name(LEASES_LOST)
                .help("Held leases that ended without a release, by reason (expired; ipv4 nak; ipv6 not_on_link,"
                        + " withdrawn: valid lifetime 0; address_changed: the server granted another address)")
                .labelNames("family", "reason")
                .callback(cb -> families.forEach((family, source) ->
                        source.leasesLost().forEach((reason, n) -> cb.call(n, family, reason))))
                .register(registry);
        GaugeWithCallback.builder().name(LEASES_RESTORED)
                .help("Stored leases the daemon took up when it last started (ipv4 INIT-REBOOT; ipv6 CONFIRM or"
                        + " REBIND)")
                .labelNames("family")
                .callback(cb -> families.forEach((family, source) ->
                        cb.call(source.leasesRestored(), family))).register(registry);
        optionalPerFamily(families, ADDRESS_CONFLICTS, "Acknowledged addresses the ARP probe found in use, declined"
                + " (DHCPDECLINE; ipv4 only)", LeaseSource::addressConflicts);
        optionalPerFamily(families, ARP_PROBES, "ARP probes sent for acknowledged addresses (ipv4 only)",
                LeaseSource::arpProbesSent);
    }

    private void perFamily(Map<String, LeaseSource> families, String name, String help,
                           ToLongFunction<LeaseSource> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("family")
                .callback(cb -> families.forEach((family, source) ->
                        cb.call(value.applyAsLong(source), family))).register(registry);
    }

    /** A counter only the families that have it expose (no series of zeros for what a family never does). */
    private void optionalPerFamily(Map<String, LeaseSource> families, String name, String help,
                                   Function<LeaseSource, OptionalLong> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("family")
                .callback(cb -> families.forEach((family, source) ->
                        value.apply(source).ifPresent(n -> cb.call(n, family)))).register(registry);
    }

    private void registerPlans(PlanOutcomes plans) {
        CounterWithCallback.builder().name(PLAN_STEPS_FAILED)
                .help("Plan steps (ip, bridge, nsenter, sysctl commands) that failed or were refused")
                .callback(cb -> cb.call(plans.stepsFailed())).register(registry);
        CounterWithCallback.builder().name(PLAN_ROLLBACKS)
                .help("Plans whose completed steps were undone after a failure")
                .callback(cb -> cb.call(plans.rollbacks())).register(registry);
        CounterWithCallback.builder().name(PLAN_UNDOS_FAILED)
                .help("Undo steps that failed during a rollback, leaving a change behind (see the audit log)")
                .callback(cb -> cb.call(plans.undosFailed())).register(registry);
    }

    private void registerNode(Sources sources) {
        GaugeWithCallback.builder().name(NODE_BRIDGED)
                .help("1 when the node is bridged by terway (its setup record is there, and the bridge was found"
                        + " at the daemon's last look), else 0")
                .callback(cb -> cb.call(sources.bridged().getAsBoolean() ? 1 : 0)).register(registry);
        GatewayChecks gateways = sources.gateways();
        CounterWithCallback.builder().name(GATEWAY_CHECKS)
                .help("Checks that the default gateway answers through a bridge this process set up or re-created,"
                        + " by result (answered; unanswered: the change was rolled back)")
                .labelNames("result")
                .callback(cb -> {
                    cb.call(gateways.answered(), "answered");
                    cb.call(gateways.unanswered(), "unanswered");
                }).register(registry);
        GaugeWithCallback.builder().name(GATEWAY_ANSWERED)
                .help("1 when the gateway answered the last check through the bridge, 0 when it did not; absent"
                        + " before this process checked (a node already bridged at start is not checked again)")
                .callback(cb -> gateways.lastAnswered().ifPresent(ok -> cb.call(ok ? 1 : 0))).register(registry);
    }
}
