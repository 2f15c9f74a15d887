package dev.terway.migration;

import dev.terway.netstate.NetState;
import dev.terway.plan.AuditedCommands;
import dev.terway.plan.CommandResult;
import dev.terway.plan.FaultInjection;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import dev.terway.plan.ShellQuote;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * {@code terway setup}: plans the move of the NIC into the bridge, records the NIC's configuration, runs
 * the plan, and checks that the default gateways answer through the bridge. Any failure, including a
 * gateway that does not answer afterwards, rolls every change back and restores the previous record.
 *
 * <p>A node whose bridge was deleted gets a repair instead ({@link BridgeRepair}): the bridge re-created
 * from the record, run, checked and rolled back the same way.
 */
public final class BridgeSetup {

    public static final Duration DEFAULT_VERIFY_TIMEOUT = Duration.ofSeconds(5);

    /**
     * @param iface         the NIC, or empty to take the device of the default route
     * @param faults        test hook: {@link FaultInjection#failAfterStep()} stops after that many steps as if
     *                      the next one had failed
     */
    public record Request(Optional<String> iface, String bridge, Path stateDir, boolean dryRun,
                          Duration verifyTimeout, FaultInjection faults) {
    }

    public enum Outcome {
        /** Dry run: the plan was computed and nothing was changed. */
        PLANNED,
        /** The node is already set up as requested. */
        NOTHING_TO_DO,
        /** The plan ran and the gateways were checked. */
        APPLIED,
        /** The bridge had been deleted; the repair plan re-created it from the record and the gateways were checked. */
        REPAIRED
    }

    /**
     * @param notes what the operator should know about a successful run (gateway checks)
     */
    public record Report(MigrationPlan migration, Outcome outcome, Duration elapsed, List<String> notes) {

        public Report {
            notes = List.copyOf(notes);
        }
    }

    private final Host host;
    private final GatewayProbe probe;

    public BridgeSetup(Host host, GatewayProbe probe) {
        this.host = host;
        this.probe = probe;
    }

    public BridgeSetup(Host host) {
        this(host, new PingNeighbourProbe(host));
    }

    /**
     * @param tell receives what the operator should know while the run goes on (waiting for the lock,
     *             warnings prefixed "warning: ")
     */
    @SuppressWarnings("try") // the lock is held for the whole block, never used in it
    public Report run(Request request, Consumer<String> tell) throws MigrationException {
        StateDirectory dir = new StateDirectory(request.stateDir());
        if (request.dryRun()) {
            // No lock: a dry run writes nothing, not even the state directory, and may run beside a setup.
            return new Report(plan(dir, request), Outcome.PLANNED, Duration.ZERO, List.of());
        }
        try (StateDirectory.Lock lock = dir.lock(tell)) {
            MigrationPlan migration = plan(dir, request);
            if (migration.plan().isEmpty()) {
                return new Report(migration, Outcome.NOTHING_TO_DO, Duration.ZERO, List.of());
            }
            return apply(dir, migration, request, tell);
        }
    }

    /**
     * Repairs a deleted bridge and does nothing else: when the node is in the state a deleted bridge leaves
     * ({@link BridgeRepair}), the repair plan is run, checked and rolled back as {@link #run} does; any other
     * state (never set up, torn down on purpose, a NIC with addresses of its own) is left alone. What the
     * daemon of {@code terway run} uses when its bridge disappears: it must never set up a node that an
     * operator tore down.
     *
     * @return the repair's report, or empty when there was nothing to repair
     */
    @SuppressWarnings("try") // the lock is held for the whole block, never used in it
    public Optional<Report> repair(Request request, Consumer<String> tell) throws MigrationException {
        StateDirectory dir = new StateDirectory(request.stateDir());
        if (request.dryRun() || !java.nio.file.Files.isDirectory(request.stateDir())
                || dir.records().load().isEmpty()) {
            return Optional.empty(); // never set up, or torn down: nothing to repair, and no lock taken for it
        }
        try (StateDirectory.Lock lock = dir.lock(tell)) {
            Optional<SetupRecord> record = dir.records().load();
            if (record.isEmpty()) {
                return Optional.empty(); // a teardown finished while we waited for the lock
            }
            HostStateReader reader = new HostStateReader(host);
            NetState state = reader.read();
            String iface = request.iface().orElse(record.get().iface());
            Optional<SetupRecord.BridgedNamespace> here = host.netns().get();
            Optional<String> why = BridgeRepair.diagnose(state, record, iface, request.bridge(),
                    here.map(SetupRecord.BridgedNamespace::bootId));
            if (why.isEmpty()) {
                return Optional.empty();
            }
            MigrationPlan repair = BridgeRepair.plan(state, reader.ipv6(state, iface, request.bridge()), record.get(),
                    why.get());
            return Optional.of(apply(dir, repair.withRecord(repair.record().withNetns(here)), request, tell));
        }
    }

    private MigrationPlan plan(StateDirectory dir, Request request) throws MigrationException {
        Optional<SetupRecord> record = dir.records().load();
        HostStateReader reader = new HostStateReader(host);
        NetState state = reader.read();
        String iface = request.iface().isPresent() ? request.iface().get()
                : BridgeMigration.detectInterface(state, record);
        Optional<SetupRecord.BridgedNamespace> here = host.netns().get();
        MigrationPlan migration = BridgeMigration.plan(state, reader.ipv6(state, iface, request.bridge()),
                reader.bridgeOptions(state, request.bridge()), record, iface, request.bridge(),
                here.map(SetupRecord.BridgedNamespace::bootId));
        // Which namespace is bridged: the daemon refuses it as a pod's namespace (CNI_NETNS).
        return migration.withRecord(migration.record().withNetns(here));
    }

    private Report apply(StateDirectory dir, MigrationPlan migration, Request request, Consumer<String> tell)
            throws MigrationException {
        boolean repair = migration.repair().isPresent();
        String what = (repair ? "repair of " : "setup of ") + migration.bridge() + " on " + migration.iface();
        // Before anything changes, so that a failed check afterwards can say whether setup broke the path
        // to the gateway or the gateway was silent already. A node whose bridge was deleted has no route to
        // probe along.
        Map<Gateway, GatewayProbe.Result> before = new LinkedHashMap<>();
        for (Gateway g : repair ? List.<Gateway>of() : migration.gateways()) {
            before.put(g, probe.probe(g, g.deviceBefore(), request.verifyTimeout()));
        }
        if (repair) {
            tell.accept(migration.repair().get());
        }

        RecordKeeper records = new RecordKeeper(dir.records());
        records.replace(migration.record());

        PlanRunner runner = new PlanRunner(
                AuditedCommands.recording(dir.auditLog(host.clock()), host.commands(), tell));
        Instant start = host.clock().instant();
        List<Step> done;
        try {
            done = runHonouringHook(runner, migration.plan(), request.faults().failAfterStep(), what);
        } catch (PlanFailedException e) {
            throw new MigrationException(what + " failed: " + e.getMessage()
                    + records.afterRollback(e.failedUndos()), e);
        } catch (HookStop stop) {
            throw new MigrationException(stop.getMessage() + describeUndo(stop.failedUndos)
                    + records.afterRollback(stop.failedUndos));
        }
        Duration elapsed = Duration.between(start, host.clock().instant());

        // The contract: a gateway that does not answer through the bridge means roll back, even one
        // that was silent before; a node is never left migrated without proof that its way out works.
        List<String> notes = new ArrayList<>();
        for (Gateway g : migration.gateways()) {
            GatewayProbe.Result after = probe.probe(g, migration.bridge(), request.verifyTimeout());
            GatewayChecks.PROCESS.checked(after.answered());
            if (!after.answered()) {
                GatewayProbe.Result earlier = before.get(g);
                String beforeSetup = earlier == null
                        ? "had no route to it (the bridge was gone), so whether it answers at all is unknown"
                        : earlier.answered()
                        ? "answered on " + g.deviceBefore() + " (" + earlier.evidence() + ")"
                        : "did not answer on " + g.deviceBefore() + " either, so the gateway itself may be down";
                List<CommandResult> failedUndos = runner.undo(done);
                throw new MigrationException(what + " failed: gateway " + g.address() + " did not answer on "
                        + migration.bridge() + " within " + request.verifyTimeout().toMillis() + " ms ("
                        + after.evidence() + "); before " + (repair ? "the repair the node " : "setup it ")
                        + beforeSetup
                        + describeUndo(failedUndos) + records.afterRollback(failedUndos));
            }
            notes.add("gateway " + g.address() + " answered on " + migration.bridge() + " (" + after.evidence()
                    + ", " + after.elapsed().toMillis() + " ms)");
        }
        return new Report(migration, repair ? Outcome.REPAIRED : Outcome.APPLIED, elapsed, notes);
    }

    /**
     * Runs the plan; with the test hook, runs only the first N steps and then undoes them exactly as if step
     * N + 1 had failed, through the same {@link PlanRunner#undo}.
     */
    private static List<Step> runHonouringHook(PlanRunner runner, Plan plan, OptionalInt failAfterStep,
                                               String what) throws PlanFailedException, HookStop {
        if (failAfterStep.isEmpty()) {
            return runner.run(plan);
        }
        int n = Math.min(failAfterStep.getAsInt(), plan.steps().size());
        List<Step> done = runner.run(new Plan(plan.steps().subList(0, n)));
        List<CommandResult> failedUndos = runner.undo(done);
        throw new HookStop(what + " failed on purpose after " + n + " of " + plan.steps().size()
                + " steps (--inject-fault fail-after-step test hook)", failedUndos);
    }

    private static String describeUndo(List<CommandResult> failedUndos) {
        if (failedUndos.isEmpty()) {
            return "; every completed step was undone";
        }
        StringBuilder s = new StringBuilder();
        for (CommandResult undo : failedUndos) {
            s.append("; undo failed: ").append(ShellQuote.join(undo.argv())).append(" exited ")
                    .append(undo.exitCode());
            if (!undo.stderr().isBlank()) {
                s.append(": ").append(undo.stderr().strip());
            }
        }
        return s.toString();
    }

    private static final class HookStop extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient List<CommandResult> failedUndos;

        HookStop(String message, List<CommandResult> failedUndos) {
            super(message);
            this.failedUndos = failedUndos;
        }
    }

    /**
     * Writes the new record before the plan runs, and after a rollback puts the previous one back, unless
     * an undo failed: then the node is partly migrated and the new record, which describes the NIC as it
     * was, is what a later {@code terway setup} or {@code teardown} needs to finish the job.
     */
    private static final class RecordKeeper {
        private final SetupRecordStore store;
        private Optional<SetupRecord> previous = Optional.empty();
        private boolean written;

        RecordKeeper(SetupRecordStore store) {
            this.store = store;
        }

        void replace(SetupRecord record) throws MigrationException {
            previous = store.load();
            if (!previous.equals(Optional.of(record))) {
                store.save(record);
                written = true;
            }
        }

        /** @return the part of the failure message about the record */
        String afterRollback(List<CommandResult> failedUndos) {
            if (!written) {
                return "";
            }
            if (!failedUndos.isEmpty()) {
                return "; the record " + store.file() + " is kept, so that `terway teardown` can restore the rest";
            }
            try {
                if (previous.isPresent()) {
                    store.save(previous.get());
                } else {
                    store.delete();
                }
                return "";
            } catch (MigrationException e) {
                return "; " + e.getMessage();
            }
        }
    }
}
