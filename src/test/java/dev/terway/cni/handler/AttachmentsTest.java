package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.ipam.LeaseRequest;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One verb at a time per attachment, and never a wait between verbs of different attachments. */
class AttachmentsTest {

    /** Long enough for a verb that is not held back to have finished many times over. */
    private static final long WAIT_MS = 300;

    private final Attachments attachments = new Attachments();

    @Test
    void aSecondHoldOfTheSameAttachmentWaitsUntilTheFirstPermitIsClosed() throws Exception {
        Attachments.Permit first = attachments.hold("c1", "eth0");
        CompletableFuture<Attachments.Permit> second = CompletableFuture.supplyAsync(() -> attachments.hold("c1", "eth0"));
        Thread.sleep(WAIT_MS);
        assertFalse(second.isDone(), "a second verb of c1/eth0 must wait while the first holds it");
        assertTrue(attachments.tryHold("c1", "eth0").isEmpty());

        first.close();
        second.get(5, TimeUnit.SECONDS).close();
        assertEquals(0, attachments.inUse(), "no slot is kept once every verb is done");
    }

    @Test
    void differentAttachmentsAreNeverHeldBackByEachOther() {
        // More than any fixed number of shared stripes: every one must be free on its own.
        List<Attachments.Permit> held = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Optional<Attachments.Permit> permit = attachments.tryHold("pod" + i, "eth0");
            assertTrue(permit.isPresent(), "pod" + i + "/eth0 was held back by another attachment");
            held.add(permit.get());
        }
        assertTrue(attachments.tryHold("pod0", "net1").isPresent(), "another interface of the same pod is its own");
        held.forEach(Attachments.Permit::close);
        assertEquals(1, attachments.inUse(), "only pod0/net1 is still held");
    }

    @Test
    void aPermitClosedFromAnotherThreadOrTwiceLetsExactlyOneWaiterIn() throws Exception {
        Attachments.Permit handedOver = attachments.hold("c1", "eth0");
        CompletableFuture.runAsync(() -> {
            handedOver.close();
            handedOver.close();
        }).get(5, TimeUnit.SECONDS);
        Attachments.Permit next = attachments.hold("c1", "eth0");
        assertTrue(attachments.tryHold("c1", "eth0").isEmpty(), "a second close must not let a second verb in");
        next.close();
        assertEquals(0, attachments.inUse());
    }

    @TempDir
    Path dir;

    /**
     * Through the verbs: while an ADD of c0ffee/eth0 waits for its lease, a CHECK and a DEL of the same
     * attachment wait and run no command, and an ADD of another pod runs to its end.
     */
    @Test
    void whileAnAddRunsTheCheckAndDelOfItsAttachmentWaitAndAnotherPodsAddDoesNot() throws Exception {
        Path netns = Files.createFile(dir.resolve("pod-netns"));
        FakeNode node = new FakeNode();
        node.podMac = VethNames.podMac("c0ffee", "eth0");
        GatedLeases leases = new GatedLeases();
        CniService service = new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), line -> { }, () -> { }, new AttachmentRecords(dir.resolve("attachments")),
                path -> Optional.empty(), Optional.empty());

        CniReply first = service.execute(invocation("ADD", "c0ffee", netns, CniServiceTest.CONF));
        assertEquals(0, first.exitCode(), first.stdout());
        String checkConf = CniServiceTest.CONF.substring(0, CniServiceTest.CONF.length() - 1) + ",\"prevResult\":"
                + first.stdout().strip() + "}";
        assertEquals(0, service.execute(invocation("DEL", "c0ffee", netns, CniServiceTest.CONF)).exitCode());

        leases.gate = new CountDownLatch(1);
        CompletableFuture<CniReply> add = CompletableFuture.supplyAsync(
                () -> service.execute(invocation("ADD", "c0ffee", netns, CniServiceTest.CONF)));
        assertTrue(leases.waiting.await(5, TimeUnit.SECONDS), "the ADD reached its lease");
        int commandsBefore = node.commandLines().size();
        CompletableFuture<CniReply> check = CompletableFuture.supplyAsync(
                () -> service.execute(invocation("CHECK", "c0ffee", netns, checkConf)));
        CompletableFuture<CniReply> del = CompletableFuture.supplyAsync(
                () -> service.execute(invocation("DEL", "c0ffee", netns, CniServiceTest.CONF)));
        CniReply other = CompletableFuture.supplyAsync(
                () -> service.execute(invocation("ADD", "beef01", netns, CniServiceTest.CONF))).get(5, TimeUnit.SECONDS);
        assertEquals(0, other.exitCode(), "another pod's ADD does not wait: " + other.stdout());

        Thread.sleep(WAIT_MS);
        assertFalse(check.isDone(), "CHECK of c0ffee/eth0 must wait for its ADD");
        assertFalse(del.isDone(), "DEL of c0ffee/eth0 must wait for its ADD");
        String c0ffeeVeth = VethNames.hostVeth("c0ffee", "eth0");
        List<String> meanwhile = node.commandLines().subList(commandsBefore, node.commandLines().size());
        assertTrue(meanwhile.stream().noneMatch(c -> c.contains(c0ffeeVeth) || c.contains("-j addr show dev eth0")),
                "nothing ran on c0ffee/eth0 meanwhile: " + meanwhile);

        leases.gate.countDown();
        assertEquals(0, add.get(5, TimeUnit.SECONDS).exitCode());
        check.get(5, TimeUnit.SECONDS);
        assertEquals(0, del.get(5, TimeUnit.SECONDS).exitCode());
        List<String> lines = node.commandLines();
        assertTrue(lines.lastIndexOf("ip link del " + c0ffeeVeth) > lastIndexStarting(lines,
                "nsenter --net=" + netns + " ip -4 -batch -"), "the DEL ran after the ADD had finished: " + lines);
    }

    private static CniInvocation invocation(String command, String containerId, Path netns, String conf) {
        Map<String, String> env = FakeNode.env(command, netns.toString());
        env.put("CNI_CONTAINERID", containerId);
        return new CniInvocation(env, conf);
    }

    private static int lastIndexStarting(List<String> lines, String prefix) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** Leases of {@link CniServiceTest.FakeLeases}; c0ffee's acquire waits at {@link #gate} when one is set. */
    static final class GatedLeases implements LeaseGateway {
        final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
        final CountDownLatch waiting = new CountDownLatch(1);
        volatile CountDownLatch gate;

        @Override
        public PodAddress acquire(LeaseRequest request) throws CniException {
            CountDownLatch g = gate;
            if (g != null && request.containerId().equals("c0ffee")) {
                waiting.countDown();
                try {
                    g.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return leases.acquire(request);
        }

        @Override
        public boolean release(String containerId, String ifname) {
            return leases.release(containerId, ifname);
        }

        @Override
        public Optional<Set<Attachment>> held() {
            return leases.held();
        }
    }
}
