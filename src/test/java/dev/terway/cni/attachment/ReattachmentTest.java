package dev.terway.cni.attachment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Link;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReattachmentTest {

    static final AttachmentRecord POD = AttachmentRecord.of("c0ffee", "eth0", Path.of("/run/netns/pod"), "mybr0", true);
    static final AttachmentRecord NO_HAIRPIN = AttachmentRecord.of("beef", "eth0", Path.of("/run/netns/p2"), "mybr0",
            false);

    static Link veth(String name, String master) {
        return new Link(7, name, Set.of("UP"), 1450, "fe:00:00:00:00:07", Optional.ofNullable(master),
                Optional.of("veth"), master == null ? Optional.empty() : Optional.of("bridge"), "UP");
    }

    static List<List<String>> argv(List<Step> steps) {
        return steps.stream().map(Step::argv).toList();
    }

    @Test
    void aMasterlessVethIsPutBackOnItsExistingBridgeWithHairpinAgain() {
        Reattachment.Result r = Reattachment.plan(List.of(POD), List.of(veth(POD.hostVeth(), null)), Set.of("mybr0"));
        assertEquals(1, r.repairs().size());
        assertEquals(POD, r.repairs().get(0).record());
        assertEquals(List.of(
                List.of("ip", "link", "set", "dev", POD.hostVeth(), "master", "mybr0", "up"),
                List.of("bridge", "link", "set", "dev", POD.hostVeth(), "hairpin", "on")),
                argv(r.plan().steps()));
        assertTrue(r.forget().isEmpty() && r.waiting().isEmpty() && r.elsewhere().isEmpty() && r.attached().isEmpty());
        for (Step s : r.plan().steps()) {
            assertTrue(s.reason().contains(POD.hostVeth()), s.reason());
            assertTrue(s.undo().isEmpty(), "nothing to undo: the veth had no master to go back to");
        }
        String text = PlanPrinter.render(r.plan());
        assertTrue(text.contains("lost its master when the bridge was deleted"), text);
        assertTrue(text.contains("enslaving a port resets its flags"), text);
    }

    @Test
    void withoutHairpinOnlyTheAttachStepIsPlanned() {
        Reattachment.Result r = Reattachment.plan(List.of(NO_HAIRPIN), List.of(veth(NO_HAIRPIN.hostVeth(), null)),
                Set.of("mybr0"));
        assertEquals(List.of(List.of("ip", "link", "set", "dev", NO_HAIRPIN.hostVeth(), "master", "mybr0", "up")),
                argv(r.plan().steps()));
    }

    @Test
    void aGoneVethForgetsItsRecordAndPlansNothing() {
        Reattachment.Result r = Reattachment.plan(List.of(POD), List.of(veth(NO_HAIRPIN.hostVeth(), "mybr0")),
                Set.of("mybr0"));
        assertEquals(List.of(POD), r.forget());
        assertTrue(r.plan().isEmpty());
    }

    @Test
    void aVethOnItsBridgeNeedsNothing() {
        Reattachment.Result r = Reattachment.plan(List.of(POD), List.of(veth(POD.hostVeth(), "mybr0")), Set.of("mybr0"));
        assertEquals(List.of(POD), r.attached());
        assertTrue(r.plan().isEmpty());
        assertTrue(r.forget().isEmpty() && r.waiting().isEmpty() && r.elsewhere().isEmpty());
    }

    @Test
    void aMissingBridgeMeansWaitingNotAttaching() {
        Reattachment.Result r = Reattachment.plan(List.of(POD), List.of(veth(POD.hostVeth(), null)), Set.of("otherbr"));
        assertEquals(List.of(POD), r.waiting());
        assertTrue(r.plan().isEmpty());
        assertTrue(r.forget().isEmpty(), "the veth is there: the record is still needed");
    }

    @Test
    void aVethAnotherMasterHoldsIsLeftAloneAndReported() {
        Reattachment.Result r = Reattachment.plan(List.of(POD), List.of(veth(POD.hostVeth(), "br-debug")),
                Set.of("mybr0", "br-debug"));
        assertEquals(List.of(new Reattachment.Elsewhere(POD, "br-debug")), r.elsewhere());
        assertTrue(r.plan().isEmpty());
        assertTrue(r.forget().isEmpty());
    }

    @Test
    void eachRecordIsJudgedOnItsOwnAndPlansKeepTheRecordsOrder() {
        AttachmentRecord gone = AttachmentRecord.of("gone", "eth0", Path.of("/run/netns/g"), "mybr0", true);
        AttachmentRecord other = AttachmentRecord.of("other", "net1", Path.of("/run/netns/o"), "br1", false);
        Reattachment.Result r = Reattachment.plan(List.of(POD, gone, NO_HAIRPIN, other),
                List.of(veth(other.hostVeth(), null), veth(NO_HAIRPIN.hostVeth(), null), veth(POD.hostVeth(), null),
                        veth("tw0000000000000", null)),
                Set.of("mybr0"));
        assertEquals(List.of(POD, NO_HAIRPIN), r.repairs().stream().map(Reattachment.Repair::record).toList());
        assertEquals(List.of(
                List.of("ip", "link", "set", "dev", POD.hostVeth(), "master", "mybr0", "up"),
                List.of("bridge", "link", "set", "dev", POD.hostVeth(), "hairpin", "on"),
                List.of("ip", "link", "set", "dev", NO_HAIRPIN.hostVeth(), "master", "mybr0", "up")),
                argv(r.plan().steps()));
        assertEquals(List.of(gone), r.forget());
        assertEquals(List.of(other), r.waiting());
    }

    @Test
    void noRecordsNoPlanEvenWithMasterlessVeths() {
        Reattachment.Result r = Reattachment.plan(List.of(), List.of(veth(POD.hostVeth(), null)), Set.of("mybr0"));
        assertTrue(r.plan().isEmpty());
        assertTrue(r.repairs().isEmpty() && r.forget().isEmpty());
    }
}
