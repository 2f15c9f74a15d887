package dev.terway.cni.attachment;

import dev.terway.netstate.Link;
import dev.terway.plan.Plan;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which host veths to put back on their bridge, as a pure function of the attachment records, the terway
 * veths on the node and the bridges that exist.
 *
 * <p>Deleting a bridge releases its ports; creating a bridge of the same name (`terway setup` after a
 * teardown, or after a reboot that kept a pod's namespace) does not take them back. A pod whose host veth
 * has no master keeps its address and its lease, but no frame reaches the LAN.
 *
 * <ul>
 *   <li>veth gone: the record is forgotten (the attachment is gone; a later DEL finds nothing, which is fine);
 *   <li>veth on the record's bridge: nothing to do;
 *   <li>veth without master, bridge there: attach it and bring it up, then hairpin on again when the record
 *       has it (a port's flags start afresh on every enslaving);
 *   <li>veth without master, bridge missing: nothing yet, the attachment waits for the bridge;
 *   <li>veth on another master: someone moved it on purpose; it is left alone and reported.
 * </ul>
 */
public final class Reattachment {

    private Reattachment() {
    }

    /** The steps that put one attachment's host veth back; run together, under the attachment's lock. */
    public record Repair(AttachmentRecord record, Plan plan) {
    }

    /** A host veth enslaved to something other than the bridge its record names. */
    public record Elsewhere(AttachmentRecord record, String master) {
    }

    /**
     * @param repairs   attachments to put back on their bridge
     * @param forget    records whose host veth is gone
     * @param waiting   attachments whose veth has no master and whose bridge does not exist (yet)
     * @param elsewhere attachments whose veth another master holds
     * @param attached  attachments already on their bridge
     */
    public record Result(List<Repair> repairs, List<AttachmentRecord> forget, List<AttachmentRecord> waiting,
                         List<Elsewhere> elsewhere, List<AttachmentRecord> attached) {

        public Result {
            repairs = List.copyOf(repairs);
            forget = List.copyOf(forget);
            waiting = List.copyOf(waiting);
            elsewhere = List.copyOf(elsewhere);
            attached = List.copyOf(attached);
        }

        /** Every repair's steps in order: what a dry run prints and the audit log shows. */
        public Plan plan() {
            Plan all = Plan.empty();
            for (Repair r : repairs) {
                all = all.then(r.plan());
            }
            return all;
        }
    }

    /**
     * @param records the stored attachment records
     * @param veths   the terway host veths on the node, with their masters
     * @param bridges the names of the bridges that exist on the node (only those of records with a
     *                master-less veth matter)
     */
    public static Result plan(List<AttachmentRecord> records, List<Link> veths, Set<String> bridges) {
        Map<String, Link> byName = new HashMap<>();
        for (Link l : veths) {
            byName.put(l.name(), l);
        }
        List<Repair> repairs = new ArrayList<>();
        List<AttachmentRecord> forget = new ArrayList<>();
        List<AttachmentRecord> waiting = new ArrayList<>();
        List<Elsewhere> elsewhere = new ArrayList<>();
        List<AttachmentRecord> attached = new ArrayList<>();
        for (AttachmentRecord r : records) {
            Link veth = byName.get(r.hostVeth());
            if (veth == null) {
                forget.add(r);
                continue;
            }
            Optional<String> master = veth.master();
            if (master.isPresent()) {
                if (master.get().equals(r.bridge())) {
                    attached.add(r);
                } else {
                    elsewhere.add(new Elsewhere(r, master.get()));
                }
            } else if (bridges.contains(r.bridge())) {
                repairs.add(new Repair(r, reattach(r)));
            } else {
                waiting.add(r);
            }
        }
        return new Result(repairs, forget, waiting, elsewhere, attached);
    }

    private static Plan reattach(AttachmentRecord r) {
        Plan.Builder plan = Plan.builder().add(Step.of("re-attach host veth " + r.hostVeth() + " of "
                        + r.attachment() + " (pod netns " + r.netns() + ") to bridge " + r.bridge()
                        + " and bring it up: it lost its master when the bridge was deleted",
                List.of("ip", "link", "set", "dev", r.hostVeth(), "master", r.bridge(), "up")));
        if (r.hairpin()) {
            plan.add(Step.of("hairpin mode on " + r.hostVeth() + " again: enslaving a port resets its flags",
                    List.of("bridge", "link", "set", "dev", r.hostVeth(), "hairpin", "on")));
        }
        return plan.build();
    }
}
