package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.PendingReleases;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's DEL: reply first, veth deletion and release after, and what makes that safe. */
class DeferredDeletesTest {

    static final String VETH = VethNames.hostVeth("c0ffee", "eth0");

    @TempDir
    Path dir;
    Path netns;
    Path records;
    final FakeNode node = new FakeNode();
    final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final HeldTails tails = new HeldTails();
    CniService service;

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        records = dir.resolve(DeferredDeletes.DIR_NAME);
        node.podMac = VethNames.podMac("c0ffee", "eth0");
        service = service(new DeferredDeletes(new PendingReleases(records), tails));
    }

    CniService service(DeferredDeletes deferred) {
        return new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, new AttachmentRecords(dir.resolve("attachments")),
                path -> path.equals(netns) ? Optional.empty() : NetnsProbe.SYSTEM.problem(path), Optional.of(deferred));
    }

    CniReply run(CniService s, String command) {
        return s.execute(new CniInvocation(FakeNode.env(command, netns.toString()), CniServiceTest.CONF));
    }

    @Test
    void delRepliesBeforeTheReleaseAndTheVethDeletionAndRecordsItUntilTheyRan() throws Exception {
        assertEquals(0, run(service, "ADD").exitCode());
        node.commands.clear();

        CniReply del = run(service, "DEL");
        assertEquals(0, del.exitCode(), del.stdout());
        assertEquals("", del.stdout());
        assertEquals(List.of(), leases.released, "nothing released before the reply");
        assertEquals(List.of(), node.commandLines(), "no command before the reply");
        assertTrue(Files.exists(records.resolve(VETH + ".json")), "the accepted DEL is on record");

        tails.runAll();
        assertEquals(List.of("c0ffee/eth0"), leases.released);
        assertEquals(List.of("ip link del " + VETH), node.commandLines());
        assertFalse(Files.exists(records.resolve(VETH + ".json")), "the record goes when the DEL is done");
        assertFalse(Files.exists(dir.resolve("attachments").resolve(VETH + ".json")), "so does the attachment's");
        assertTrue(log.stream().anyMatch(l -> l.contains("finished") && l.contains("host veth deleted, lease released")),
                String.join("\n", log));
    }

    @Test
    void anAddOfTheSameAttachmentWaitsForTheDelToFinish() throws Exception {
        assertEquals(0, run(service, "ADD").exitCode());
        assertEquals(0, run(service, "DEL").exitCode());

        CompletableFuture<CniReply> add = CompletableFuture.supplyAsync(() -> run(service, "ADD"));
        Thread.sleep(200);
        assertFalse(add.isDone(), "the ADD must wait while the old veth is being deleted");

        tails.runAll();
        CniReply reply = add.get(10, TimeUnit.SECONDS);
        assertEquals(0, reply.exitCode(), reply.stdout());
        List<String> lines = node.commandLines();
        assertTrue(lines.lastIndexOf("ip link del " + VETH) < lastIndexStarting(lines, "ip -batch - <<< link add name eth0 "),
                "the old veth went before the new one was made: " + lines);
        assertTrue(node.vethMaster.containsKey(VETH));
    }

    @Test
    void aDelThatCouldNotFinishStaysOnRecordAndTheNextStartFinishesIt() throws Exception {
        assertEquals(0, run(service, "ADD").exitCode());
        node.failOn = "ip link del";
        assertEquals(0, run(service, "DEL").exitCode());
        tails.runAll();
        assertTrue(Files.exists(records.resolve(VETH + ".json")), "kept for a retry");
        assertTrue(log.stream().anyMatch(l -> l.contains("could not finish after the reply")), String.join("\n", log));

        // the daemon restarts: a fresh service over the same records
        node.failOn = null;
        HeldTails nextTails = new HeldTails();
        CniService restarted = service(new DeferredDeletes(new PendingReleases(records), nextTails));
        assertEquals(1, restarted.finishInterruptedDeletes());
        assertFalse(node.vethMaster.containsKey(VETH));
        assertFalse(Files.exists(records.resolve(VETH + ".json")));
        assertEquals(0, restarted.finishInterruptedDeletes(), "nothing left to finish");
    }

    @Test
    void aStoppingDaemonRunsTheDelBeforeReplying() throws Exception {
        assertEquals(0, run(service, "ADD").exitCode());
        tails.shutdown();
        assertEquals(0, run(service, "DEL").exitCode());
        assertEquals(List.of("c0ffee/eth0"), leases.released);
        assertFalse(node.vethMaster.containsKey(VETH));
        assertFalse(Files.exists(records.resolve(VETH + ".json")));
    }

    @Test
    void aRecordThatCannotBeWrittenMeansTheDelRunsBeforeReplying() throws Exception {
        Files.writeString(records, "not a directory");
        assertEquals(0, run(service, "ADD").exitCode());
        assertEquals(0, run(service, "DEL").exitCode());
        assertEquals(List.of("c0ffee/eth0"), leases.released);
        assertFalse(node.vethMaster.containsKey(VETH));
        assertEquals(0, tails.queued.size());
    }

    private static int lastIndexStarting(List<String> lines, String prefix) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** An executor that holds tasks until the test runs them. */
    static final class HeldTails extends AbstractExecutorService {
        final ArrayDeque<Runnable> queued = new ArrayDeque<>();
        private boolean shutdown;

        synchronized void runAll() {
            Runnable r;
            while ((r = queued.poll()) != null) {
                r.run();
            }
        }

        @Override
        public synchronized void execute(Runnable command) {
            if (shutdown) {
                throw new java.util.concurrent.RejectedExecutionException("stopping");
            }
            queued.add(command);
        }

        @Override
        public synchronized void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown();
            return List.of();
        }

        @Override
        public synchronized boolean isShutdown() {
            return shutdown;
        }

        @Override
        public synchronized boolean isTerminated() {
            return shutdown && queued.isEmpty();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return isTerminated();
        }
    }
}
