package dev.terway.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseStatus;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.daemon.ServersSeen;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.dhcp6.daemon.HeldLease6;
import dev.terway.dhcp6.daemon.Lease6Status;
import dev.terway.log.DaemonLog;
import dev.terway.log.LogFormat;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv6;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's status answer: what it gathers, computed at its own now, and read back by the CLI as it was. */
class StatusOpTest {

    private static final Instant NOW = Instant.parse("2026-12-05T02:00:00Z");
    private static final Ipv4 SERVER = Ipv4.parse("192.0.2.254", "server");

    @TempDir
    Path tmp;

    private static PodIdentity pod(String id, String name) {
        return new PodIdentity(id, "eth0", Path.of("/run/netns/" + id), Optional.of("default"), Optional.of(name));
    }

    private static HeldLease held(PodIdentity pod, Instant boundAt) {
        Lease lease = new Lease(Ipv4.parse("192.0.2.100", "a"), 24, List.of(Ipv4.parse("192.0.2.1", "r")), SERVER,
                List.of(), Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.empty(),
                Duration.ofSeconds(600), Duration.ofSeconds(300), Duration.ofSeconds(525), boundAt);
        return new HeldLease(pod, "02:00:00:00:00:01", "terway/x", Optional.empty(), AddressChangePolicy.FOLLOW,
                Optional.empty(), lease);
    }

    @Test
    void theAnswerHasEveryLeaseServerAttachmentAndProblemAndReadsBack() throws Exception {
        AttachmentRecords records = new AttachmentRecords(tmp.resolve("attachments"));
        records.put(AttachmentRecord.of("c1", "eth0", Path.of("/run/netns/c1"), "mybr0", true)
                .withAddress(Optional.of("192.0.2.100/24")));
        Files.writeString(tmp.resolve("attachments").resolve("tw0000000000001.json"), "{not json");
        DaemonLog log = new DaemonLog(new PrintWriter(new StringWriter()), Clock.fixed(NOW.minusSeconds(5),
                ZoneOffset.UTC), LogFormat.TEXT, 20);
        log.info("lease.acquired", pod("c1", "web-1").logPod(), "acquired");
        log.error("pod.upkeep_failed", pod("c1", "web-1").logPod(), "upkeep of default/web-1 eth0 failed: x");
        List<LeaseStatus> leases = List.of(
                new LeaseStatus(pod("c1", "web-1"), "bound", Optional.of(held(pod("c1", "web-1"), NOW.minusSeconds(100))),
                        false, Optional.empty(), Optional.empty()),
                new LeaseStatus(pod("c2", "web-2"), "selecting", Optional.empty(), true,
                        Optional.of(Ipv4.parse("192.0.2.101", "a")), Optional.of("no answer")));
        StatusOp op = new StatusOp("1.2.3", NOW.minusSeconds(7380), Clock.fixed(NOW, ZoneOffset.UTC), () -> leases,
                () -> List.of(new ServersSeen.Server(SERVER, NOW.minusSeconds(100), 2)), records, log::recentProblems);

        Response answer = op.registerOn(RequestHandlers.builder()).build().handler(StatusOp.OP).orElseThrow()
                .handle(DaemonStatus.MAPPER.readTree("{\"op\":\"status\"}"));
        assertEquals(0, answer.status(), answer.body());
        DaemonStatus status = DaemonStatus.parse(answer.body());
        assertEquals(op.status(), status, "what the CLI reads is what the daemon made");
        assertEquals(7380, status.uptimeSeconds());
        assertEquals("1.2.3", status.version());

        DaemonStatus.Lease bound = status.leases().get(0);
        assertEquals(Optional.of("192.0.2.100/24"), bound.address());
        assertEquals(Optional.of(200L), bound.renewInSeconds(), "T1 300 s after a bind 100 s ago");
        assertEquals(Optional.of(500L), bound.expiresInSeconds());
        assertFalse(bound.lost());
        DaemonStatus.Lease lost = status.leases().get(1);
        assertTrue(lost.lost());
        assertEquals(Optional.of("192.0.2.101"), lost.lostAddress());
        assertEquals(Optional.empty(), lost.expiresInSeconds());
        assertEquals(Optional.of("no answer"), lost.lastFailure());

        assertEquals(List.of(new DaemonStatus.Server("192.0.2.254", NOW.minusSeconds(100), 2)), status.servers());
        assertEquals(List.of(new DaemonStatus.Attachment("c1", "eth0", AttachmentRecord.of("c1", "eth0",
                Path.of("/run/netns/c1"), "mybr0", true).hostVeth(), "mybr0", Optional.of("192.0.2.100/24"))),
                status.attachments());
        assertEquals(List.of("pod.upkeep_failed", "attachment.record_unreadable"),
                status.problems().stream().map(DaemonStatus.Problem::event).toList(), "info lines are not kept");
        assertEquals(Optional.of("c1"), status.problems().get(0).containerId());
    }

    @Test
    void dhcp6LeasesAreListedWithTheirStateAddressAndTimes() throws Exception {
        PodIdentity pod = pod("c6", "web-6");
        IaNaLease lease = IaNaLease.of(Ipv6.parse("fd00:db8::1bd"), 1, Duid.forAttachment("c6", "eth0"),
                Optional.empty(), 60, 105, 120, 180, List.of(), List.of(), NOW.minusSeconds(110));
        List<Lease6Status> leases6 = List.of(new Lease6Status(pod, "rebinding",
                Optional.of(new HeldLease6(pod, Duid.forAttachment("c6", "eth0"), lease)), false, Optional.empty(),
                Optional.empty()));
        StatusOp op = new StatusOp("1.2.3", NOW.minusSeconds(60), Clock.fixed(NOW, ZoneOffset.UTC), List::of,
                List::of, new AttachmentRecords(tmp.resolve("attachments")), List::of, () -> leases6);
        DaemonStatus status = DaemonStatus.parse(op.status().toJson().toString());
        DaemonStatus.Lease v6 = status.leases().get(0);
        assertEquals(Optional.of("fd00:db8::1bd"), v6.address());
        assertEquals(Optional.of(Duid.forAttachment("c6", "eth0").toString()), v6.server(), "the server's DUID");
        assertEquals(Optional.of(70L), v6.expiresInSeconds(), "valid 180 s from 110 s ago");
        assertEquals("rebinding", v6.state(), "what NodeHealth reports as LEASE_REBINDING");
        assertEquals("ipv6", v6.family());
    }
}
