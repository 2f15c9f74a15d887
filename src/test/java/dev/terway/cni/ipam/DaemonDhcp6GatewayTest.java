package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.log.DaemonLog;
import dev.terway.dhcp.daemon.FakeLan;
import dev.terway.dhcp.store.LeaseStore;
import dev.terway.dhcp6.daemon.Dhcp6LeaseEvents;
import dev.terway.dhcp6.daemon.Dhcp6LeaseService;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's Dhcp6Gateway: failures become "try again later" (11) with the service's words. */
class DaemonDhcp6GatewayTest {

    @TempDir
    Path dir;

    @Test
    void aLeaseThatCannotBeHadIsTryAgainLaterNamingWhy() throws Exception {
        FakeLan.MutableClock clock = new FakeLan.MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        ExecutorService receivers = Executors.newCachedThreadPool();
        try {
            Dhcp6LeaseService service = new Dhcp6LeaseService(Dhcp6LeaseService.Settings.lan(Duration.ofSeconds(5)),
                    LeaseStore.openDhcp6(dir.resolve("state"), w -> { }), (netns, ifname, wait) -> {
                        throw new IOException("bind to the link-local address of " + ifname + " in " + netns
                                + " failed: Cannot assign requested address (the interface has no link-local address)");
                    }, Dhcp6LeaseEvents.NONE, Runnable::run, receivers, new FakeLan.FakeTimer(clock), clock,
                    new DaemonLog(new PrintWriter(new StringWriter()), clock));
            DaemonDhcp6Gateway gateway = new DaemonDhcp6Gateway(service, clock);
            Path netns = Files.createFile(dir.resolve("pod"));
            CniException e = assertThrows(CniException.class, () -> gateway.acquire(new Dhcp6Gateway.Dhcp6Request(
                    "c1", netns, "eth0", Optional.empty(), Optional.empty(), Duration.ofSeconds(3))));
            assertEquals(CniErrorCode.TRY_AGAIN_LATER, e.code());
            assertTrue(e.getMessage().contains("cannot acquire a DHCPv6 lease for eth0 in netns " + netns)
                    && e.getMessage().contains("no link-local address"), e.getMessage());
            assertEquals(Optional.of(Set.of()), gateway.held());
            assertFalse(gateway.release("c1", "eth0"));
        } finally {
            receivers.shutdownNow();
        }
    }
}
