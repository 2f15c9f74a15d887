package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.PodAddress;
import dev.terway.net.Ipv6;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingReleasesTest {

    @Test
    void queuedReleasesAreDrainedThroughTheDaemon(@TempDir Path dir) throws Exception {
        PendingReleases pending = PendingReleases.besideSocket(dir.resolve("dhcp.sock"));
        assertEquals(dir.resolve("pending-release"), pending.dir());
        QueuedReleaseGateway queued = new QueuedReleaseGateway(pending);
        // the fallback DEL's log must not claim a release that has not happened yet
        assertEquals("lease release (DHCP and DHCPv6) queued for the daemon", queued.describeRelease(queued.release("c1", "eth0")));
        pending.mark("c2", "net1");
        pending.mark("c1", "eth0"); // a repeated DEL queues it once
        Files.writeString(pending.dir().resolve("tw0000000000000.json"), "{broken");
        List<String> released = new ArrayList<>();
        List<String> log = new ArrayList<>();
        LeaseGateway daemon = new LeaseGateway() {
            @Override
            public PodAddress acquire(LeaseRequest request) {
                throw new AssertionError();
            }

            @Override
            public boolean release(String containerId, String ifname) {
                released.add(containerId + "/" + ifname);
                return true;
            }

            @Override
            public Optional<Set<Attachment>> held() {
                return Optional.empty();
            }
        };
        assertEquals(2, pending.drain(daemon, e -> log.add(e.message())));
        released.sort(null);
        assertEquals(List.of("c1/eth0", "c2/net1"), released);
        assertTrue(log.stream().anyMatch(l -> l.contains("unreadable")), log.toString());
        assertEquals(0, pending.drain(daemon, e -> log.add(e.message())));
    }

    @Test
    void aQueuedReleaseGivesBackTheDhcpv6LeaseToo(@TempDir Path dir) {
        PendingReleases pending = PendingReleases.besideSocket(dir.resolve("dhcp.sock"));
        new QueuedReleaseGateway(pending).release("c6", "eth0");
        List<String> released = new ArrayList<>();
        List<String> log = new ArrayList<>();
        LeaseGateway v4 = new LeaseGateway() {
            @Override
            public PodAddress acquire(LeaseRequest request) {
                throw new AssertionError();
            }

            @Override
            public boolean release(String containerId, String ifname) {
                released.add("v4 " + containerId + "/" + ifname);
                return false; // an IPv6-only pod
            }

            @Override
            public Optional<Set<Attachment>> held() {
                return Optional.empty();
            }
        };
        Dhcp6Gateway v6 = new Dhcp6Gateway() {
            @Override
            public Dhcp6Lease acquire(Dhcp6Request request) {
                throw new AssertionError();
            }

            @Override
            public Dhcp6Lease decline(Dhcp6Request request, Ipv6 address, Set<Ipv6> declined, String why) {
                throw new AssertionError();
            }

            @Override
            public boolean release(String containerId, String ifname) {
                released.add("v6 " + containerId + "/" + ifname);
                return true;
            }

            @Override
            public Optional<Set<LeaseGateway.Attachment>> held() {
                return Optional.empty();
            }
        };
        assertEquals(1, pending.drain(v4, Optional.of(v6), e -> log.add(e.message())));
        assertEquals(List.of("v4 c6/eth0", "v6 c6/eth0"), released);
        assertEquals(List.of("pending release of c6/eth0: no lease was held, DHCPv6 lease released"), log);
        assertEquals(0, pending.drain(v4, Optional.of(v6), e -> log.add(e.message())), "done once");
    }

    @Test
    void nothingQueuedWhenTheDirectoryIsMissing(@TempDir Path dir) {
        assertEquals(0, new PendingReleases(dir.resolve("none")).pending(s -> { }).size());
    }
}
