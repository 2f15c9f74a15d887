package dev.terway.dhcp.daemon;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Route;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import dev.terway.plan.ShellQuote;
import java.nio.file.Files;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Observes a pod's addresses, computes the plan with {@link PodAddressPlans} and runs it through the
 * plan engine (the runner given records every command in the audit log). A pod whose netns is gone has
 * nothing to keep up; that is logged, not an error.
 */
public final class PodAddressUpkeep implements AddressUpkeep {

    private final CommandRunner reader;
    private final PlanRunner planRunner;
    private final Clock clock;
    private final Consumer<String> log;

    /**
     * @param reader     runs the read-only `ip -j` queries
     * @param planRunner runs the changes (with an audited runner)
     */
    public PodAddressUpkeep(CommandRunner reader, PlanRunner planRunner, Clock clock, Consumer<String> log) {
        this.reader = reader;
        this.planRunner = planRunner;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public void refresh(HeldLease lease) {
        observeAddresses(lease.identity()).ifPresent(addresses ->
                run(lease.identity(), PodAddressPlans.refresh(lease, addresses, clock.instant())));
    }

    @Override
    public void remove(PodIdentity pod, String cidr, String why) {
        observeAddresses(pod).ifPresent(addresses -> run(pod, PodAddressPlans.remove(pod, cidr, addresses, why)));
    }

    @Override
    public boolean holds(PodIdentity pod, String cidr) {
        return observeAddresses(pod)
                .map(addresses -> addresses.stream().anyMatch(a -> a.dev().equals(pod.ifname()) && a.cidr().equals(cidr)))
                .orElse(false);
    }

    @Override
    public void restore(HeldLease lease) {
        PodIdentity pod = lease.identity();
        observeAddresses(pod).ifPresent(addresses -> observeRoutes(pod).ifPresent(routes ->
                run(pod, PodAddressPlans.restore(lease, addresses, routes, clock.instant()))));
    }

    private Optional<List<IpAddress>> observeAddresses(PodIdentity pod) {
        return query(pod, PodAddressPlans.inPod(pod, "ip", "-j", "-4", "addr", "show", "dev", pod.ifname()))
                .map(IpJson::addresses);
    }

    private Optional<List<Route>> observeRoutes(PodIdentity pod) {
        return query(pod, PodAddressPlans.inPod(pod, "ip", "-j", "-4", "route", "show", "table", "main"))
                .map(json -> IpJson.routes(json, Family.INET));
    }

    private Optional<String> query(PodIdentity pod, List<String> argv) {
        if (!Files.exists(pod.netns())) {
            log.accept("address upkeep for " + pod.describe() + " skipped: netns " + pod.netns() + " is gone");
            return Optional.empty();
        }
        CommandResult result = reader.run(argv);
        if (!result.succeeded()) {
            log.accept("address upkeep for " + pod.describe() + " skipped: " + ShellQuote.join(argv) + " exited "
                    + result.exitCode() + ": " + result.stderr().strip());
            return Optional.empty();
        }
        return Optional.of(result.stdout());
    }

    private void run(PodIdentity pod, Plan plan) {
        if (plan.isEmpty()) {
            return;
        }
        try {
            planRunner.run(plan);
        } catch (PlanFailedException e) {
            log.accept("address upkeep for " + pod.describe() + " failed: " + e.getMessage());
        }
    }
}
