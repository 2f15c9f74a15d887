package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.log.LogLevel;
import dev.terway.log.LogEvent;
import dev.terway.log.EventLog;
import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.attachment.Reattachment;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.netstate.Link;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanRunner;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Puts host veths back on their bridge after the bridge was deleted and created again: reads the
 * attachment records, looks at terway's veths and the bridges, plans with {@link Reattachment} and runs
 * each attachment's steps under that attachment's lock. The daemon runs it when it starts (before it takes
 * up stored leases, whose INIT-REBOOT goes out through the pod's veth and the bridge) and every few seconds,
 * so that `terway teardown` + `terway setup` on a live node heals too.
 *
 * <p>It logs what it changes, and a waiting or moved veth once when that state begins, not on every run.
 * An attachment whose ADD or DEL is running is skipped (its lock is taken); the next run looks again.
 */
public final class AttachmentRepair {

    /** What one run did; {@code busy} counts attachments skipped because an ADD or DEL held them. */
    public record Outcome(int reattached, int forgotten, int waiting, int elsewhere, int busy, int failed) {

        static final Outcome NONE = new Outcome(0, 0, 0, 0, 0, 0);
    }

    private final NodeObserver observer;
    private final PlanRunner plans;
    private final Attachments attachments;
    private final AttachmentRecords records;
    private final EventLog log;
    /** Per host veth, the last state reported that is not "fine" (waiting, elsewhere, failed). */
    private final Map<String, String> reported = new HashMap<>();
    /** The store's warnings of the last run, so an unreadable record is reported once, not every run. */
    private Set<String> warned = Set.of();

    AttachmentRepair(NodeObserver observer, PlanRunner plans, Attachments attachments, AttachmentRecords records,
                     EventLog log) {
        this.observer = observer;
        this.plans = plans;
        this.attachments = attachments;
        this.records = records;
        this.log = log;
    }

    /** One look and repair. Throws only when the node cannot be read at all. */
    public synchronized Outcome run() {
        Set<String> warnings = new LinkedHashSet<>();
        List<AttachmentRecord> stored = records.all(warnings::add);
        for (String w : warnings) {
            if (!warned.contains(w)) {
                log.warn("attachment.record_unreadable", w);
            }
        }
        warned = warnings;
        if (stored.isEmpty()) {
            reported.clear();
            return Outcome.NONE; // no pods attached by this daemon's records: not a single `ip` run
        }
        List<Link> veths = observer.terwayVeths();
        Set<String> bridges = existingBridges(stored, veths);
        Reattachment.Result result = Reattachment.plan(stored, veths, bridges);

        List<AttachmentRecord> toAct = new ArrayList<>();
        result.repairs().forEach(r -> toAct.add(r.record()));
        toAct.addAll(result.forget());
        Map<Done, Integer> done = new EnumMap<>(Done.class);
        for (AttachmentRecord record : toAct) {
            done.merge(underLock(record, bridges), 1, Integer::sum);
        }
        for (AttachmentRecord w : result.waiting()) {
            reportOnce(w, "waiting for " + w.bridge(), LogLevel.WARN, "attachment.waiting", "host veth "
                    + w.hostVeth() + " of " + w.attachment() + " has no bridge: it is re-attached once bridge "
                    + w.bridge() + " exists again");
        }
        for (Reattachment.Elsewhere e : result.elsewhere()) {
            AttachmentRecord r = e.record();
            reportOnce(r, "on " + e.master(), LogLevel.WARN, "attachment.elsewhere", "host veth " + r.hostVeth()
                    + " of " + r.attachment() + " is on " + e.master() + ", not on bridge " + r.bridge()
                    + " where ADD put it; left alone");
        }
        for (AttachmentRecord fine : result.attached()) {
            reported.remove(fine.hostVeth());
        }
        Set<String> current = new HashSet<>();
        stored.forEach(r -> current.add(r.hostVeth()));
        reported.keySet().retainAll(current);
        return new Outcome(done.getOrDefault(Done.REATTACHED, 0), done.getOrDefault(Done.FORGOTTEN, 0),
                result.waiting().size(), result.elsewhere().size(), done.getOrDefault(Done.BUSY, 0),
                done.getOrDefault(Done.FAILED, 0));
    }

    private enum Done { REATTACHED, FORGOTTEN, BUSY, FAILED, UNCHANGED }

    /**
     * Acts on one attachment under its lock, after a fresh look at its veth: an ADD or DEL may have run
     * between the node-wide look and the lock (a DEL deleted the veth, an ADD made a new one and wrote a new
     * record that must not be forgotten).
     */
    private Done underLock(AttachmentRecord record, Set<String> bridges) {
        Optional<Attachments.Permit> permit = attachments.tryHold(record.containerId(), record.ifname());
        if (permit.isEmpty()) {
            // never wait: the daemon's timers share the thread, and the verb holding it decides the veth's fate
            return Done.BUSY;
        }
        try (Attachments.Permit held = permit.get()) {
            Reattachment.Result now = Reattachment.plan(List.of(record),
                    observer.link(record.hostVeth()).stream().toList(), bridges);
            if (!now.forget().isEmpty()) {
                records.forget(record.hostVeth());
                reported.remove(record.hostVeth());
                log.info("attachment.forgotten", pod(record), "forgot the attachment record of "
                        + record.attachment() + ": host veth " + record.hostVeth() + " is gone",
                        "hostVeth", record.hostVeth());
                return Done.FORGOTTEN;
            }
            if (now.repairs().isEmpty()) {
                return Done.UNCHANGED;
            }
            plans.run(now.plan());
            reported.remove(record.hostVeth());
            log.info("attachment.reattached", pod(record), "re-attached host veth " + record.hostVeth() + " of "
                    + record.attachment() + " to bridge " + record.bridge() + (record.hairpin() ? " (hairpin on)" : ""),
                    "hostVeth", record.hostVeth(), "bridge", record.bridge());
            return Done.REATTACHED;
        } catch (PlanFailedException e) {
            reportOnce(record, "failed: " + e.getMessage(), LogLevel.ERROR, "attachment.repair_failed",
                    "cannot re-attach host veth "
                    + record.hostVeth() + " of " + record.attachment() + " to bridge " + record.bridge() + ": "
                    + e.getMessage() + "; trying again on the next run");
            return Done.FAILED;
        } catch (RuntimeException e) {
            reportOnce(record, "failed: " + e, LogLevel.ERROR, "attachment.repair_failed",
                    "cannot repair the attachment of "
                    + record.attachment() + " (host veth " + record.hostVeth() + "): " + e.getMessage()
                    + "; trying again on the next run");
            return Done.FAILED;
        }
    }

    /** The bridges that exist, looked up only for records whose veth has no master (the rest need none). */
    private Set<String> existingBridges(List<AttachmentRecord> stored, List<Link> veths) {
        Set<String> masterless = new HashSet<>();
        for (Link l : veths) {
            if (l.master().isEmpty()) {
                masterless.add(l.name());
            }
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (AttachmentRecord r : stored) {
            if (masterless.contains(r.hostVeth())) {
                wanted.add(r.bridge());
            }
        }
        Set<String> exist = new HashSet<>();
        for (String bridge : wanted) {
            if (observer.observe(bridge).bridgeExists()) {
                exist.add(bridge);
            }
        }
        return exist;
    }

    private void reportOnce(AttachmentRecord record, String state, LogLevel level, String event, String message) {
        if (!state.equals(reported.put(record.hostVeth(), state))) {
            log.emit(LogEvent.of(level, event, Optional.of(pod(record)), message, "hostVeth", record.hostVeth(),
                    "bridge", record.bridge()));
        }
    }

    private static LogPod pod(AttachmentRecord record) {
        return LogPod.of(record.containerId(), record.ifname());
    }
}
