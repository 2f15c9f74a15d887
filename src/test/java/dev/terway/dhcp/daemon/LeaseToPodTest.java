package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.terway.cni.ipam.DaemonLeaseGateway;
import dev.terway.cni.pod.PodAddress;
import dev.terway.dhcp.client.Lease;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** From the client's lease to the pod's address: nothing the pod is configured with is lost on the way. */
class LeaseToPodTest {

    @Test
    void theClientsLeaseReachesThePodWithItsMtuRoutesAndDns() {
        HeldLease held = Leases.sample("c1", "192.0.2.20");
        Lease client = held.lease();
        assertEquals(Optional.of(1450), client.mtu());

        PodAddress pod = DaemonLeaseGateway.toPodAddress(held,
                Clock.fixed(Leases.BOUND.plusSeconds(20), ZoneOffset.UTC));

        assertEquals(new Ipv4Cidr(Ipv4.parse("192.0.2.20"), 24), pod.cidr());
        assertEquals(Optional.of(Ipv4.parse("192.0.2.1")), pod.router());
        assertEquals(List.of(
                new PodAddress.SourceRoute(new Ipv4Cidr(Ipv4.parse("0.0.0.0"), 0), Optional.of(Ipv4.parse("192.0.2.1"))),
                new PodAddress.SourceRoute(new Ipv4Cidr(Ipv4.parse("198.51.100.0"), 24), Optional.empty())),
                pod.routes());
        assertEquals(List.of("192.0.2.53"), pod.dns().nameservers());
        assertEquals(Optional.of("example.org"), pod.dns().domain());
        assertEquals(List.of("example.org"), pod.dns().search());
        assertEquals(OptionalLong.of(100), pod.lifetime());
        assertEquals(OptionalInt.of(1450), pod.mtu(), "option 26 reaches the pod");
    }

    @Test
    void aLeaseWithoutOption26LeavesThePodsMtuAlone() {
        HeldLease held = Leases.minimal("c2", "192.0.2.21");
        assertEquals(OptionalInt.empty(), DaemonLeaseGateway.toPodAddress(held,
                Clock.fixed(Leases.BOUND, ZoneOffset.UTC)).mtu());
    }
}
