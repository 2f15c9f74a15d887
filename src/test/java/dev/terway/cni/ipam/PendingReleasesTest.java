package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.PodAddress;
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
        assertEquals("lease release queued for the daemon", queued.describeRelease(queued.release("c1", "eth0")));
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
    void nothingQueuedWhenTheDirectoryIsMissing(@TempDir Path dir) {
        assertEquals(0, new PendingReleases(dir.resolve("none")).pending(s -> { }).size());
    }
}
