package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.daemon.AcquireRequest;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseException;
import dev.terway.dhcp.daemon.LeaseService;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DaemonLeaseGatewayTest {

    private static LeaseService failingWith(LeaseException failure) {
        return new LeaseService() {
            @Override
            public HeldLease acquire(AcquireRequest request) throws LeaseException {
                throw failure;
            }

            @Override
            public boolean release(String containerId, String ifname) {
                return false;
            }

            @Override
            public List<HeldLease> list() {
                return List.of();
            }
        };
    }

    private static final LeaseRequest REQUEST = new LeaseRequest("c1", Path.of("/run/netns/p1"), "eth0",
            Optional.of("default"), Optional.of("web-0"), Optional.empty(), Duration.ofSeconds(30));

    @Test
    void anAddAfterDeclinedAddressesNamesThemInTheMessageItself() {
        String report = "no DHCP lease on eth0 ... declined 192.0.2.100 (in use: 02:00:5e:00:00:99 answered for it"
                + " with an ARP reply) with DHCPDECLINE; sent 3 DISCOVERs and 1 REQUEST";
        CniException e = assertThrows(CniException.class, () -> new DaemonLeaseGateway(failingWith(
                new LeaseException(report, List.of("192.0.2.100 (in use: 02:00:5e:00:00:99 answered for it with an"
                        + " ARP reply)"))), Clock.systemUTC()).acquire(REQUEST));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, e.code());
        assertEquals("no DHCP lease for eth0 of container c1 within 30 s: declined 192.0.2.100 (in use:"
                + " 02:00:5e:00:00:99 answered for it with an ARP reply) and no free address came in time; try again"
                + " later", e.getMessage());
        assertEquals(report, e.details());
    }

    @Test
    void otherFailuresKeepTheirShortMessage() {
        CniException e = assertThrows(CniException.class, () -> new DaemonLeaseGateway(failingWith(
                new LeaseException("no server replied")), Clock.systemUTC()).acquire(REQUEST));
        assertEquals("no DHCP lease for eth0 of container c1 within 30 s; try again later", e.getMessage());
        assertEquals("no server replied", e.details());
    }
}
