package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.OTHER_SERVER;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.ack;
import static dev.terway.dhcp.client.ClientFixtures.nak;
import static dev.terway.dhcp.client.ClientFixtures.offer;
import static dev.terway.dhcp.client.ClientFixtures.reply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.contains;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.ClientFixtures.FakeTransport;
import dev.terway.dhcp.client.ClientFixtures.ScriptedRandom;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A hostile or broken LAN: replies for other transactions or other clients, a second server that
 * answers renewals it was not asked, and routes through routers the pod cannot reach. Each is ignored or
 * refused with a warning, and the pod keeps its lease and usable routes.
 */
class RogueDhcpTest {

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final LeaseListener listener = mock(LeaseListener.class);
    final DhcpClient client = new DhcpClient(DhcpClientTest.config().build(), transport, listener, clock,
            new ScriptedRandom(0x1001, 0x1002, 0x1003, 0x1004, 0x1005));

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    Lease bind() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        return client.lease().orElseThrow();
    }

    @Test
    void repliesWithAnotherXidOrHardwareAddressNeverTouchAHeldLease() {
        Lease held = bind();
        runUntil(T0.plusSeconds(10));
        assertEquals(ClientState.RENEWING, client.state());
        DhcpMessage request = transport.last().message();
        DhcpMessage otherXid = nak(request, SERVER, "x").toBuilder().xid(request.xid() ^ 1).build();
        DhcpMessage otherMac = nak(request, SERVER, "x").toBuilder()
                .chaddr(HardwareAddress.parse("02:00:00:00:00:99")).build();
        client.onPacket(otherXid);
        client.onPacket(otherMac);
        client.onPacket(ack(request, Ipv4.parse("192.168.50.99"), SERVER).toBuilder().xid(request.xid() + 7).build());
        assertEquals(ClientState.RENEWING, client.state());
        assertEquals(Optional.of(held), client.lease());
        verify(listener, never()).lost(any(), any());

        client.onPacket(ack(request, ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        verify(listener).renewed(client.lease().orElseThrow());
    }

    @Test
    void aSecondServerAnsweringARenewalIsIgnoredAndLogged() {
        Lease held = bind();
        runUntil(T0.plusSeconds(10));
        DhcpMessage request = transport.last().message();
        assertEquals(Optional.of(SERVER), transport.last().unicastTo());

        client.onPacket(nak(request, OTHER_SERVER, "go away"));
        client.onPacket(ack(request, Ipv4.parse("192.168.50.66"), OTHER_SERVER));
        assertEquals(ClientState.RENEWING, client.state(), "the rogue's NAK and ACK changed nothing");
        assertEquals(Optional.of(held), client.lease());
        verify(listener, never()).lost(any(), any());
        verify(listener).warning("NAK from 192.168.50.2 while renewing with 192.168.50.1: only the server that"
                + " granted the lease answers a renewal (on eth0)");
        verify(listener).warning(contains("ACK from 192.168.50.2 while renewing with 192.168.50.1"));

        client.onPacket(ack(request, ADDRESS, SERVER));
        assertEquals(ADDRESS, client.lease().orElseThrow().address());
        verify(listener).renewed(any());
    }

    @Test
    void theGrantingServersNakWhileRenewingStillEndsTheLease() {
        Lease held = bind();
        runUntil(T0.plusSeconds(10));
        client.onPacket(nak(transport.last().message(), SERVER, "moved"));
        verify(listener).lost(org.mockito.ArgumentMatchers.eq(held), any());
        assertEquals(ClientState.SELECTING, client.state(), "discovering again");
    }

    @Test
    void whileRebindingAnyServerMayAnswerAsTheRfcSays() {
        Lease held = bind();
        runUntil(T0.plusSeconds(20));
        assertEquals(ClientState.REBINDING, client.state());
        client.onPacket(ack(transport.last().message(), ADDRESS, OTHER_SERVER));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(OTHER_SERVER, client.lease().orElseThrow().serverId());
        assertEquals(held.address(), client.lease().orElseThrow().address());
    }

    @Test
    void routesThroughRoutersOffTheLeasedSubnetAreLeftOutWithAWarning() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(reply(transport.last().message(), MessageType.ACK, ADDRESS, SERVER,
                ClientFixtures.STANDARD.andThen(b -> b
                        .put(DhcpOptions.ROUTERS, List.of(Ipv4.parse("203.0.113.1"), SERVER))
                        .put(DhcpOptions.CLASSLESS_ROUTES, List.of(
                                ClasslessRoute.of("10.0.0.0/8", "198.51.100.7"),
                                ClasslessRoute.of("172.16.0.0/12", "192.168.50.254"),
                                ClasslessRoute.of("0.0.0.0/0", "203.0.113.1"),
                                ClasslessRoute.of("0.0.0.0/0", "192.168.50.1"))))));
        Lease lease = client.lease().orElseThrow();
        assertEquals(ClientState.BOUND, client.state(), "the lease itself is good");
        assertEquals(List.of(SERVER), lease.routers());
        assertEquals(List.of(ClasslessRoute.of("172.16.0.0/12", "192.168.50.254"),
                ClasslessRoute.of("0.0.0.0/0", "192.168.50.1")), lease.classlessRoutes(),
                "the pod keeps the routes it can use, its default route among them");
        verify(listener).warning("ignoring router 203.0.113.1 (option 3) from 192.168.50.1: it is outside the leased"
                + " subnet 192.168.50.0/24 and every on-link route (on eth0)");
        verify(listener).warning(contains("ignoring classless route 10.0.0.0/8 via 198.51.100.7 (option 121)"));
        verify(listener).warning(contains("ignoring classless route 0.0.0.0/0 via 203.0.113.1 (option 121)"));
    }

    @Test
    void aRouterMadeReachableByAnOnLinkRouteIsKeptAsSlash32LeasesNeedIt() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        List<ClasslessRoute> routes = List.of(ClasslessRoute.of("10.128.0.1/32", "0.0.0.0"),
                ClasslessRoute.of("0.0.0.0/0", "10.128.0.1"));
        client.onPacket(reply(transport.last().message(), MessageType.ACK, ADDRESS, SERVER,
                ClientFixtures.STANDARD.andThen(b -> b.put(DhcpOptions.SUBNET_MASK, Ipv4.parse("255.255.255.255"))
                        .put(DhcpOptions.CLASSLESS_ROUTES, routes))));
        Lease lease = client.lease().orElseThrow();
        assertEquals(32, lease.prefixLength());
        assertEquals(routes, lease.classlessRoutes());
        verify(listener, never()).warning(contains("classless route"));
    }
}
