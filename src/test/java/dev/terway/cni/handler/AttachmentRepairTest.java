package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeObserver;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.PlanRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttachmentRepairTest {

    static final String VETH = CniServiceTest.VETH;

    @TempDir
    Path dir;
    Path netns;
    final FakeNode node = new FakeNode();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    AttachmentRecords records;
    CniService service;
    AttachmentRepair repair;

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        records = new AttachmentRecords(dir.resolve("run/attachments"));
        service = new CniService(node, new CniServiceTest.FakeLeases(), new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, records,
                path -> path.equals(netns) ? Optional.empty() : NetnsProbe.SYSTEM.problem(path), Optional.empty());
        repair = service.attachmentRepair(node);
        assertEquals(0, service.execute(new CniInvocation(FakeNode.env("ADD", netns.toString()),
                CniServiceTest.CONF)).exitCode());
        node.commands.clear();
        log.clear();
    }

    /** What deleting the bridge does to its ports. */
    void bridgeDeleted() {
        node.vethMaster.put(VETH, "");
    }

    List<String> changes() {
        return node.commandLines().stream().filter(l -> !l.startsWith("ip -j")).toList();
    }

    @Test
    void aVethThatLostItsBridgeIsPutBackWithHairpinAndLoggedOnce() {
        bridgeDeleted();
        AttachmentRepair.Outcome outcome = repair.run();
        assertEquals(new AttachmentRepair.Outcome(1, 0, 0, 0, 0, 0), outcome);
        assertEquals(List.of(
                "ip -j -d link show type veth",
                "ip -j -d addr show dev mybr0",
                "ip -j -d link show dev " + VETH,
                "ip link set dev " + VETH + " master mybr0 up",
                "bridge link set dev " + VETH + " hairpin on"), node.commandLines());
        assertEquals("mybr0", node.vethMaster.get(VETH));
        assertEquals(List.of("re-attached host veth " + VETH + " of c0ffee/eth0 to bridge mybr0 (hairpin on)"), log);

        node.commands.clear();
        assertEquals(new AttachmentRepair.Outcome(0, 0, 0, 0, 0, 0), repair.run());
        assertEquals(List.of("ip -j -d link show type veth"), node.commandLines(), "attached: one look, no change");
        assertEquals(1, log.size(), log.toString());
    }

    @Test
    void aMissingBridgeIsWaitedForSaidOnceAndTheVethAttachedWhenItIsBack() {
        bridgeDeleted();
        node.bridgeExists = false;
        assertEquals(1, repair.run().waiting());
        assertEquals(1, repair.run().waiting());
        assertEquals(List.of(), changes());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("once bridge mybr0 exists again"), log.get(0));
        assertEquals(1, records.all(w -> { }).size(), "the record is kept while the veth is there");

        node.bridgeExists = true;
        assertEquals(1, repair.run().reattached());
        assertEquals("mybr0", node.vethMaster.get(VETH));

        bridgeDeleted();
        node.bridgeExists = false;
        repair.run();
        assertEquals(3, log.size(), "a new wait is told again: " + log);
    }

    @Test
    void theRecordOfAGoneVethIsForgotten() {
        node.vethMaster.remove(VETH);
        assertEquals(1, repair.run().forgotten());
        assertEquals(List.of(), records.all(w -> { }));
        assertEquals(List.of(), changes());
        assertTrue(log.get(0).contains("forgot the attachment record of c0ffee/eth0"), log.toString());
        node.commands.clear();
        repair.run();
        assertEquals(List.of(), node.commandLines(), "no records, not a single command");
    }

    @Test
    void aVethAnotherMasterHoldsIsLeftAloneAndToldOnce() {
        node.vethMaster.put(VETH, "br-debug");
        assertEquals(1, repair.run().elsewhere());
        assertEquals(1, repair.run().elsewhere());
        assertEquals(List.of(), changes());
        assertEquals("br-debug", node.vethMaster.get(VETH));
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("is on br-debug") && log.get(0).contains("left alone"), log.get(0));
    }

    @Test
    void aFailingReattachIsWarnedOnceAndTriedAgain() {
        bridgeDeleted();
        node.failOn = "ip link set dev " + VETH;
        assertEquals(1, repair.run().failed());
        assertEquals(1, repair.run().failed());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("cannot re-attach host veth " + VETH), log.get(0));
        node.failOn = null;
        assertEquals(1, repair.run().reattached());
    }

    @Test
    void anUnreadableRecordIsWarnedOnceAndTheOthersStillRepaired() throws Exception {
        Files.writeString(records.dir().resolve("tw0000000000001.json"), "{not json");
        bridgeDeleted();
        assertEquals(1, repair.run().reattached());
        repair.run();
        assertEquals(1, log.stream().filter(l -> l.contains("tw0000000000001.json")).count(), log.toString());
    }

    @Test
    void aDelThatRemovedTheVethMeanwhileIsNotFoughtWith() {
        // The node-wide look sees the veth without master; by the time the repair holds the lock, DEL took it.
        CommandRunnerAfterLook racing = new CommandRunnerAfterLook(node, () -> node.vethMaster.remove(VETH));
        AttachmentRepair raced = new AttachmentRepair(new NodeObserver(racing), new PlanRunner(racing),
                new Attachments(), records, e -> log.add(e.message()));
        bridgeDeleted();
        assertEquals(1, raced.run().forgotten());
        assertEquals(List.of(), changes());
    }

    @Test
    void anAttachmentWhoseVerbHoldsTheLockIsSkippedNotWaitedFor() throws Exception {
        Attachments attachments = new Attachments();
        AttachmentRepair withLocks = new AttachmentRepair(new NodeObserver(node), new PlanRunner(node), attachments,
                records, e -> log.add(e.message()));
        bridgeDeleted();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread verb = new Thread(() -> {
            try (Attachments.Permit permit = attachments.hold("c0ffee", "eth0")) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        verb.start();
        held.await();
        try {
            assertEquals(new AttachmentRepair.Outcome(0, 0, 0, 0, 1, 0), withLocks.run());
            assertEquals(List.of(), changes());
        } finally {
            release.countDown();
            verb.join();
        }
        assertEquals(1, withLocks.run().reattached(), "the next run does it");
    }

    @Test
    void recordsOfOtherBridgesAreJudgedByTheirOwnBridge() {
        String other = VethNames.hostVeth("other", "eth0");
        records.put(AttachmentRecord.of("other", "eth0", Path.of("/run/netns/other"), "br1", false));
        node.vethMaster.put(other, "");
        bridgeDeleted();
        AttachmentRepair.Outcome outcome = repair.run();
        assertEquals(1, outcome.reattached());
        assertEquals(1, outcome.waiting(), "br1 does not exist on this node");
        assertEquals("", node.vethMaster.get(other));
    }

    /** Runs {@code meanwhile} once, right after the node-wide veth look: a verb racing the repair. */
    static final class CommandRunnerAfterLook implements CommandRunner {
        private final FakeNode node;
        private Runnable meanwhile;

        CommandRunnerAfterLook(FakeNode node, Runnable meanwhile) {
            this.node = node;
            this.meanwhile = meanwhile;
        }

        @Override
        public CommandResult run(List<String> argv) {
            CommandResult r = node.run(argv);
            if (meanwhile != null && String.join(" ", argv).equals("ip -j -d link show type veth")) {
                meanwhile.run();
                meanwhile = null;
            }
            return r;
        }
    }
}
