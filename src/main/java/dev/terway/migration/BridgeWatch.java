package dev.terway.migration;

import dev.terway.log.EventLog;
import dev.terway.plan.CommandResult;
import dev.terway.plan.ShellQuote;
import java.util.List;
import java.util.Optional;

/**
 * What the daemon of {@code terway run} does about its bridge: looks whether it still exists and, when it
 * was deleted (and took the node's addresses and routes with it), re-creates it from the setup record
 * through {@link BridgeSetup#repair} (planned, checked against the gateways, rolled back on failure, audited).
 * A missing bridge in any other state, above all after a deliberate {@code terway teardown}, is only
 * reported, once.
 *
 * <p>Not thread-safe: one caller (the daemon's watch thread).
 */
public final class BridgeWatch {

    public enum Outcome {
        /** The bridge is there. */
        PRESENT,
        /** It was missing and has been re-created. */
        REPAIRED,
        /** It is missing and the node is not in the state a deleted bridge leaves; left alone. */
        LEFT_ALONE,
        /** It is missing and the repair failed (and was rolled back), or the node could not be read. */
        FAILED
    }

    private final Host host;
    private final BridgeSetup setup;
    private final BridgeSetup.Request request;
    private final EventLog log;
    private String reported;

    /**
     * @param request what `terway run` passed to setup: bridge, interface, state directory, verify timeout
     */
    public BridgeWatch(Host host, BridgeSetup setup, BridgeSetup.Request request, EventLog log) {
        this.host = host;
        this.setup = setup;
        this.request = request;
        this.log = log;
    }

    public String bridge() {
        return request.bridge();
    }

    /** One look, and a repair if the bridge is gone. Never throws. */
    public Outcome check() {
        String bridge = request.bridge();
        try {
            Optional<Boolean> exists = exists(bridge);
            if (exists.isEmpty()) {
                return Outcome.FAILED;
            }
            if (exists.get()) {
                reported = null;
                return Outcome.PRESENT;
            }
            Optional<BridgeSetup.Report> repaired = setup.repair(request,
                    m -> log.info("bridge.repair_step", "bridge repair: " + m, "bridge", bridge));
            if (repaired.isEmpty()) {
                reportOnce("bridge " + bridge + " is missing, but not as a deleted bridge leaves the node (no setup"
                        + " record in " + request.stateDir() + ", as after `terway teardown`, or the interface has"
                        + " addresses of its own): not re-created; `terway setup` bridges the node again");
                return Outcome.LEFT_ALONE;
            }
            BridgeSetup.Report report = repaired.get();
            reported = null;
            log.info("bridge.recreated", "re-created bridge " + bridge + " on " + report.migration().iface() + " from the setup record: "
                    + report.migration().plan().steps().size() + " steps in " + report.elapsed().toMillis() + " ms; "
                    + String.join("; ", report.notes()), "bridge", bridge, "iface", report.migration().iface());
            return Outcome.REPAIRED;
        } catch (MigrationException | RuntimeException e) {
            log.error("bridge.recreate_failed", "bridge " + bridge + " is missing and could not be re-created: "
                    + e.getMessage() + "; trying again at the next check", "bridge", bridge);
            return Outcome.FAILED;
        }
    }

    /** Whether the bridge exists; empty (reported) when `ip` cannot tell. */
    private Optional<Boolean> exists(String bridge) {
        List<String> argv = List.of("ip", "-j", "link", "show", "dev", bridge);
        CommandResult r = host.commands().run(argv);
        if (r.succeeded()) {
            return Optional.of(true);
        }
        if (r.stderr().contains("does not exist")) {
            return Optional.of(false);
        }
        reportOnce("cannot tell whether bridge " + bridge + " exists: " + ShellQuote.join(argv) + " exited "
                + r.exitCode() + ": " + r.stderr().strip());
        return Optional.empty();
    }

    private void reportOnce(String message) {
        if (!message.equals(reported)) {
            log.warn("bridge.missing", message, "bridge", request.bridge());
            reported = message;
        }
    }
}
