package dev.terway.migration;

import dev.terway.netstate.NetState;
import dev.terway.plan.AuditedCommands;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code terway teardown}: restores the NIC from the setup record, deletes the bridge, checks the result
 * against the record and only then forgets the record.
 */
public final class BridgeTeardown {

    public record Request(Path stateDir, boolean dryRun) {
    }

    public enum Outcome {
        /** There is no record: this node was never set up, or was already torn down. */
        NOT_SET_UP,
        /** Dry run: the plan was computed and nothing was changed. */
        PLANNED,
        /** The NIC matches the record again, the bridge is gone and the record was removed. */
        RESTORED
    }

    /**
     * @param differences for {@link Outcome#RESTORED}: configuration found on the NIC that the record does
     *                    not have (never "missing" ones, which fail the teardown)
     */
    public record Report(Outcome outcome, Optional<SetupRecord> record, Plan plan, Path recordFile,
                         Duration elapsed, BridgeRestoration.Differences differences) {
    }

    private final Host host;

    public BridgeTeardown(Host host) {
        this.host = host;
    }

    /**
     * @param tell receives what the operator should know while the run goes on (waiting for the lock,
     *             warnings prefixed "warning: ")
     */
    @SuppressWarnings("try") // the lock is held for the whole block, never used in it
    public Report run(Request request, Consumer<String> tell) throws MigrationException {
        StateDirectory dir = new StateDirectory(request.stateDir());
        SetupRecordStore store = dir.records();
        BridgeRestoration.Differences none = new BridgeRestoration.Differences(List.of(), List.of());
        if (request.dryRun()) {
            Optional<SetupRecord> record = store.load();
            if (record.isEmpty()) {
                return new Report(Outcome.NOT_SET_UP, record, Plan.empty(), store.file(), Duration.ZERO, none);
            }
            HostStateReader reader = new HostStateReader(host);
            NetState state = reader.read();
            Plan plan = BridgeRestoration.plan(record.get(), state,
                    reader.ipv6(state, record.get().iface()), reader.neighbours());
            return new Report(Outcome.PLANNED, record, plan, store.file(), Duration.ZERO, none);
        }
        if (!Files.isDirectory(request.stateDir())) {
            // Never set up here; do not create a state directory just to say so.
            return new Report(Outcome.NOT_SET_UP, Optional.empty(), Plan.empty(), store.file(), Duration.ZERO, none);
        }
        try (StateDirectory.Lock lock = dir.lock(tell)) {
            Optional<SetupRecord> loaded = store.load();
            if (loaded.isEmpty()) {
                return new Report(Outcome.NOT_SET_UP, loaded, Plan.empty(), store.file(), Duration.ZERO, none);
            }
            SetupRecord record = loaded.get();
            HostStateReader reader = new HostStateReader(host);
            NetState state = reader.read();
            Plan plan = BridgeRestoration.plan(record, state, reader.ipv6(state, record.iface()),
                    reader.neighbours());
            String what = "teardown of " + record.bridge() + " on " + record.iface();
            Instant start = host.clock().instant();
            try {
                new PlanRunner(AuditedCommands.recording(dir.auditLog(host.clock()), host.commands(), tell))
                        .run(plan);
            } catch (PlanFailedException e) {
                throw new MigrationException(what + " failed: " + e.getMessage() + "; the record "
                        + store.file() + " is kept", e);
            }
            Duration elapsed = Duration.between(start, host.clock().instant());
            NetState after = reader.read();
            BridgeRestoration.Differences diff = BridgeRestoration.compare(record, after,
                    reader.ipv6(after, record.iface()));
            if (!diff.restored()) {
                throw new MigrationException(what + " ran, but " + record.iface() + " does not match the record "
                        + store.file() + ": " + String.join("; ", diff.missing()) + "; the record is kept");
            }
            diff.unexpected().forEach(u -> tell.accept("warning: " + u + "; left as it is"));
            store.delete();
            return new Report(Outcome.RESTORED, loaded, plan, store.file(), elapsed, diff);
        }
    }
}
