package dev.terway.cni.ipam;

import dev.terway.cni.pod.NodeObserver;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.log.EventLog;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import java.nio.file.Files;
import java.util.Optional;
import java.util.function.Function;

/**
 * The two steps every lease upkeep ({@link PodNetworkUpkeep} for DHCPv4, {@link Dhcp6Upkeep} for DHCPv6) takes on
 * a pod: look at its interface, and run the plan made from what it saw. A pod that cannot be looked at (netns gone,
 * no such interface, `ip` failing) has nothing to keep up: that is logged as {@code pod.upkeep_skipped}, not an
 * error; a plan that fails is logged as {@code pod.upkeep_failed}, an error (docs/operations.md).
 */
final class PodUpkeepSteps {

    private final NodeObserver observer;
    private final PlanRunner planRunner;
    private final EventLog log;
    private final String upkeep;

    /** @param upkeep what the log lines call this upkeep ("upkeep", "DHCPv6 upkeep") */
    PodUpkeepSteps(NodeObserver observer, PlanRunner planRunner, EventLog log, String upkeep) {
        this.observer = observer;
        this.planRunner = planRunner;
        this.log = log;
        this.upkeep = upkeep;
    }

    /**
     * What {@code read} makes of the pod's interface, read inside the same guard: whatever else it asks the
     * observer for fails into a skipped upkeep too. Empty when the pod cannot be looked at.
     */
    <T> Optional<T> observe(PodIdentity pod, Function<NodeObserver.PodInterface, T> read) {
        if (!Files.exists(pod.netns())) {
            skipped(pod, "netns " + pod.netns() + " is gone");
            return Optional.empty();
        }
        try {
            Optional<NodeObserver.PodInterface> link = observer.podInterface(pod.netns(), pod.ifname());
            if (link.isEmpty()) {
                skipped(pod, "no interface " + pod.ifname() + " in " + pod.netns());
                return Optional.empty();
            }
            return Optional.of(read.apply(link.get()));
        } catch (RuntimeException e) {
            skipped(pod, e.getMessage());
            return Optional.empty();
        }
    }

    /** Runs the plan (nothing when empty); false when it failed, which is logged. */
    boolean run(PodIdentity pod, Plan plan) {
        if (plan.isEmpty()) {
            return true;
        }
        try {
            planRunner.run(plan);
            return true;
        } catch (PlanFailedException e) {
            log.error("pod.upkeep_failed", pod.logPod(), upkeep + " of " + pod.describe() + " failed: "
                    + e.getMessage());
            return false;
        }
    }

    void skipped(PodIdentity pod, String why) {
        log.warn("pod.upkeep_skipped", pod.logPod(), upkeep + " of " + pod.describe() + " skipped: " + why);
    }
}
