package dev.terway.migration;

import dev.terway.plan.Plan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What setup will do: the steps, the record of the NIC's configuration that teardown restores, and the
 * default gateways that must still answer afterwards.
 *
 * @param repair why the plan re-creates a deleted bridge from the record ({@link BridgeRepair}) rather than
 *               moving the NIC's configuration; empty for a setup
 */
public record MigrationPlan(String iface, String bridge, Plan plan, SetupRecord record, List<Gateway> gateways,
                            Optional<String> repair) {

    public MigrationPlan {
        gateways = List.copyOf(gateways);
        Objects.requireNonNull(repair, "repair");
    }

    /** A setup's plan. */
    public MigrationPlan(String iface, String bridge, Plan plan, SetupRecord record, List<Gateway> gateways) {
        this(iface, bridge, plan, record, gateways, Optional.empty());
    }

    /** The same plan (a repair stays one), keeping {@code newRecord} for teardown. */
    public MigrationPlan withRecord(SetupRecord newRecord) {
        return new MigrationPlan(iface, bridge, plan, newRecord, gateways, repair);
    }
}
