package dev.terway.migration;

import dev.terway.plan.Plan;
import java.util.List;

/**
 * What setup will do: the steps, the record of the NIC's configuration that teardown restores, and the
 * default gateways that must still answer afterwards.
 */
public record MigrationPlan(String iface, String bridge, Plan plan, SetupRecord record, List<Gateway> gateways) {

    public MigrationPlan {
        gateways = List.copyOf(gateways);
    }

    /** The same plan, keeping {@code newRecord} for teardown. */
    public MigrationPlan withRecord(SetupRecord newRecord) {
        return new MigrationPlan(iface, bridge, plan, newRecord, gateways);
    }
}
