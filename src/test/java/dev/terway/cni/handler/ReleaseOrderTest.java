package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.ipam.LeaseRequest;
import dev.terway.cni.ipam.PendingReleases;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod's address goes back to the server only once the pod can no longer use it: DEL (in the daemon,
 * after its reply, and in the fallback), GC and the undo of a failed ADD delete the veth pair (which takes
 * the pod's address with it) before they release the lease. Released first, the server could hand the
 * address to another pod while this one still answered ARP for it, for the 10-40 ms a veth deletion takes.
 */
class ReleaseOrderTest {

    static final String VETH = VethNames.hostVeth("c0ffee", "eth0");

    @TempDir
    Path dir;
    Path netns;
    final FakeNode node = new FakeNode();
    final OrderedLeases leases = new OrderedLeases(node);
    final DeferredDeletesTest.HeldTails tails = new DeferredDeletesTest.HeldTails();

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        node.podMac = VethNames.podMac("c0ffee", "eth0");
    }

    CniService service(Optional<DeferredDeletes> deferred) {
        return new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), line -> { }, () -> { }, new AttachmentRecords(dir.resolve("attachments")),
                path -> Optional.empty(), deferred);
    }

    CniReply run(CniService service, String command, String conf) {
        return service.execute(new CniInvocation(FakeNode.env(command, netns.toString()), conf));
    }

    @Test
    void theDaemonsDelDeletesTheVethBeforeItReleasesTheLease() {
        CniService daemon = service(Optional.of(new DeferredDeletes(new PendingReleases(dir.resolve("del")), tails)));
        assertEquals(0, run(daemon, "ADD", CniServiceTest.CONF).exitCode());
        assertEquals(0, run(daemon, "DEL", CniServiceTest.CONF).exitCode());
        tails.runAll();
        assertEquals(List.of("c0ffee/eth0 released with the host veth gone"), leases.releases);
    }

    @Test
    void theFallbacksDelDeletesTheVethBeforeItReleasesTheLease() {
        CniService fallback = service(Optional.empty());
        assertEquals(0, run(fallback, "ADD", CniServiceTest.CONF).exitCode());
        assertEquals(0, run(fallback, "DEL", CniServiceTest.CONF).exitCode());
        assertEquals(List.of("c0ffee/eth0 released with the host veth gone"), leases.releases);
    }

    @Test
    void aVethThatCannotBeDeletedKeepsItsLeaseAndTheDelFails() {
        CniService fallback = service(Optional.empty());
        assertEquals(0, run(fallback, "ADD", CniServiceTest.CONF).exitCode());
        node.failOn = "ip link del";
        CniReply del = run(fallback, "DEL", CniServiceTest.CONF);
        assertNotEquals(0, del.exitCode());
        assertTrue(del.stdout().contains("its lease is kept until it is gone"), del.stdout());
        assertEquals(List.of(), leases.releases, "the pod still has the address");

        node.failOn = null;
        assertEquals(0, run(fallback, "DEL", CniServiceTest.CONF).exitCode(), "the runtime's retry");
        assertEquals(List.of("c0ffee/eth0 released with the host veth gone"), leases.releases);
    }

    @Test
    void aFailedAddDeletesItsVethBeforeItGivesTheAddressBack() {
        CniService daemon = service(Optional.empty());
        node.failOn = "nsenter --net=" + netns + " ip -4 route";
        CniReply add = run(daemon, "ADD", CniServiceTest.CONF);
        assertNotEquals(0, add.exitCode(), "the route step fails after the address was put on the pod");
        assertEquals(List.of("c0ffee/eth0 released with the host veth gone"), leases.releases);
    }

    @Test
    void gcDeletesAStaleVethBeforeItReleasesItsLease() {
        CniService daemon = service(Optional.empty());
        String v11 = CniServiceTest.CONF.replace("1.0.0", "1.1.0");
        assertEquals(0, run(daemon, "ADD", v11).exitCode());
        String gc = v11.substring(0, v11.length() - 1) + ",\"cni.dev/valid-attachments\":[]}";
        assertEquals(0, run(daemon, "GC", gc).exitCode());
        assertEquals(List.of("c0ffee/eth0 released with the host veth gone"), leases.releases);
    }

    /** The leases of {@link CniServiceTest.FakeLeases}, noting at each release whether the host veth was still there. */
    static final class OrderedLeases implements LeaseGateway {
        final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
        final List<String> releases = Collections.synchronizedList(new ArrayList<>());
        private final FakeNode node;

        OrderedLeases(FakeNode node) {
            this.node = node;
        }

        @Override
        public PodAddress acquire(LeaseRequest request) throws CniException {
            return leases.acquire(request);
        }

        @Override
        public boolean release(String containerId, String ifname) {
            boolean vethThere = node.vethMaster.containsKey(VethNames.hostVeth(containerId, ifname));
            boolean released = leases.release(containerId, ifname);
            if (released) {
                releases.add(containerId + "/" + ifname + " released with the host veth "
                        + (vethThere ? "still there" : "gone"));
            }
            return released;
        }

        @Override
        public Optional<Set<Attachment>> held() {
            return leases.held();
        }
    }
}
