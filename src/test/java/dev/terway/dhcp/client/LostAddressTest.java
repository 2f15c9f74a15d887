package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.at;
import static dev.terway.dhcp.client.ClientFixtures.ack;
import static dev.terway.dhcp.client.ClientFixtures.nak;
import static dev.terway.dhcp.client.ClientFixtures.offer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.ClientFixtures.FakeTransport;
import dev.terway.dhcp.client.ClientFixtures.ScriptedRandom;
import dev.terway.dhcp.client.ClientFixtures.Sent;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

/**
 * Issue 13, item 3: a lease lost while held (a server that lost its database NAKs the renewal) must not
 * silently change the pod's address. The DISCOVER after the loss asks for the old address (option 50);
 * a server that gives it back changes nothing; one that gives another address meets the policy.
 */
class LostAddressTest {

    static final Ipv4 OTHER = Ipv4.parse("192.168.50.77");

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final LeaseListener listener = mock(LeaseListener.class);
    DhcpClient client;

    DhcpClient client(AddressChangePolicy policy) {
        client = new DhcpClient(DhcpClientTest.config().onAddressChange(policy).build(), transport, listener, clock,
                new ScriptedRandom(0x1001, 0x1002, 0x1003, 0x1004, 0x1005, 0x1006));
        return client;
    }

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    Lease bind() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        return client.lease().orElseThrow();
    }

    /** Holds a lease in {@code where} and answers the REQUEST there with a NAK; returns the lost lease. */
    Lease nakIn(ClientState where) {
        Lease held;
        if (where == ClientState.REBOOTING) {
            held = DhcpClientTest.restoredLease(T0.minusSeconds(5));
            client.reboot(held);
        } else {
            held = bind();
            runUntil(where == ClientState.RENEWING ? at(10) : at(20));
        }
        assertEquals(where, client.state());
        client.onPacket(nak(transport.last().message(), SERVER, "lease not found"));
        return held;
    }

    /** The DISCOVER after the loss, answered with an OFFER of {@code address} and the ACK of it. */
    DhcpMessage serverGives(Ipv4 address) {
        Sent discover = transport.last();
        assertEquals(MessageType.DISCOVER, discover.type());
        client.onPacket(offer(discover.message(), address, SERVER));
        DhcpMessage request = transport.last().message();
        assertEquals(Optional.of(address), request.requestedAddress());
        client.onPacket(ack(request, address, SERVER));
        return discover.message();
    }

    @ParameterizedTest
    @EnumSource(value = ClientState.class, names = {"RENEWING", "REBINDING", "REBOOTING"})
    void theDiscoverAfterANakAsksForTheOldAddress(ClientState where) {
        client(AddressChangePolicy.FOLLOW);
        Lease held = nakIn(where);
        Sent discover = transport.last();
        assertEquals(MessageType.DISCOVER, discover.type());
        assertEquals(Optional.of(held.address()), discover.message().requestedAddress(), "option 50: the old address");
        assertEquals(List.of(53, 61, 50, 12, 55), DhcpClientTest.codes(discover.message()));
        // and its retransmissions too
        int before = transport.sent.indexOf(discover);
        runUntil(clock.instant().plusSeconds(2));
        List<Sent> discovers = transport.sent.subList(before, transport.sent.size()).stream()
                .filter(s -> s.type() == MessageType.DISCOVER).toList();
        assertTrue(discovers.size() >= 2, "retransmitted: " + discovers);
        discovers.forEach(d -> assertEquals(Optional.of(ADDRESS), d.message().requestedAddress()));
    }

    @ParameterizedTest
    @EnumSource(value = ClientState.class, names = {"RENEWING", "REBINDING", "REBOOTING"})
    void theServerGivingTheOldAddressBackIsNoChange(ClientState where) {
        client(AddressChangePolicy.FOLLOW);
        Lease held = nakIn(where);
        serverGives(ADDRESS);
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(ADDRESS, client.lease().orElseThrow().address());
        verify(listener, never()).addressChanged(any());
        InOrder order = inOrder(listener);
        order.verify(listener).lost(eq(held), any());
        order.verify(listener).bound(client.lease().orElseThrow());
    }

    @Test
    void anotherAddressIsFollowedAndReportedUnderFollow() {
        client(AddressChangePolicy.FOLLOW);
        Lease held = nakIn(ClientState.RENEWING);
        serverGives(OTHER);
        assertEquals(ClientState.BOUND, client.state());
        Lease now = client.lease().orElseThrow();
        assertEquals(OTHER, now.address());
        ArgumentCaptor<AddressChange> change = ArgumentCaptor.forClass(AddressChange.class);
        InOrder order = inOrder(listener);
        order.verify(listener).lost(eq(held), any());
        order.verify(listener).addressChanged(change.capture());
        order.verify(listener).bound(now);
        assertEquals(ADDRESS, change.getValue().previous());
        assertEquals(now, change.getValue().current());
        assertEquals(AddressChangePolicy.FOLLOW, change.getValue().policy());
        assertEquals(new LeaseLoss(LeaseLoss.Reason.NAK, ClientState.RENEWING, Optional.of(SERVER),
                Optional.of("lease not found")), change.getValue().cause());
        assertEquals("192.168.50.23 -> 192.168.50.77 (server 192.168.50.1 sent DHCPNAK in RENEWING: \"lease not"
                + " found\")", change.getValue().describe());
        // renewed as usual from then on
        assertEquals(Optional.of(now.renewAt()), client.nextDeadline());
    }

    @Test
    void anotherAddressIsReleasedAndThePodLeftWithoutUnderRemove() {
        client(AddressChangePolicy.REMOVE);
        Lease held = nakIn(ClientState.REBINDING);
        serverGives(OTHER);
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.empty(), client.lease());
        assertEquals(Optional.empty(), client.nextDeadline(), "nothing more to do");
        Sent release = transport.last();
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(Optional.of(SERVER), release.unicastTo());
        assertEquals(OTHER, release.message().ciaddr(), "the new lease goes back to the server");
        assertEquals(Optional.of(SERVER), release.message().serverId());
        ArgumentCaptor<AddressChange> change = ArgumentCaptor.forClass(AddressChange.class);
        verify(listener).addressChanged(change.capture());
        assertEquals(AddressChangePolicy.REMOVE, change.getValue().policy());
        assertEquals(ADDRESS, change.getValue().previous());
        assertEquals(OTHER, change.getValue().current().address());
        verify(listener).bound(held); // the first bind only
        verify(listener, never()).bound(change.getValue().current());
        verify(listener, never()).failed(any());
    }

    @Test
    void theOldAddressBackIsNoChangeUnderRemoveEither() {
        client(AddressChangePolicy.REMOVE);
        nakIn(ClientState.RENEWING);
        serverGives(ADDRESS);
        assertEquals(ClientState.BOUND, client.state());
        verify(listener, never()).addressChanged(any());
    }

    @Test
    void expiryAsksForTheOldAddressToo() {
        client(AddressChangePolicy.FOLLOW);
        Lease held = bind();
        runUntil(held.expiresAt());
        Sent discover = transport.last();
        assertEquals(MessageType.DISCOVER, discover.type());
        assertEquals(Optional.of(ADDRESS), discover.message().requestedAddress());
        serverGives(OTHER);
        ArgumentCaptor<AddressChange> change = ArgumentCaptor.forClass(AddressChange.class);
        verify(listener).addressChanged(change.capture());
        assertEquals(LeaseLoss.Reason.EXPIRED, change.getValue().cause().reason());
    }

    @Test
    void aFailedReacquisitionKeepsAskingForTheOldAddressWhenStartedAgain() {
        client(AddressChangePolicy.REMOVE);
        nakIn(ClientState.RENEWING);
        runUntil(clock.instant().plusSeconds(60)); // nobody answers: the acquisition fails
        verify(listener).failed(any());
        assertEquals(ClientState.STOPPED, client.state());
        transport.sent.clear();
        client.start(); // the owner's retry
        assertEquals(Optional.of(ADDRESS), transport.last().message().requestedAddress());
        serverGives(OTHER);
        verify(listener).addressChanged(any());
        assertEquals(ClientState.STOPPED, client.state());
    }

    @Test
    void anAckForAnotherAddressWhileRenewingMeetsThePolicy() {
        client(AddressChangePolicy.REMOVE);
        Lease held = bind();
        runUntil(at(10));
        client.onPacket(ack(transport.last().message(), OTHER, SERVER));
        verify(listener).lost(eq(held), eq(new LeaseLoss(LeaseLoss.Reason.ADDRESS_CHANGED, ClientState.RENEWING,
                Optional.of(SERVER), Optional.empty())));
        ArgumentCaptor<AddressChange> change = ArgumentCaptor.forClass(AddressChange.class);
        verify(listener).addressChanged(change.capture());
        assertEquals(OTHER, change.getValue().current().address());
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(MessageType.RELEASE, transport.last().type());
        assertEquals(OTHER, transport.last().message().ciaddr());
    }

    @Test
    void aReleasedLeaseIsNotAskedForByTheNextStart() throws Exception {
        client(AddressChangePolicy.FOLLOW);
        Lease held = bind();
        runUntil(held.expiresAt()); // lost, acquiring again with option 50
        client.release();
        client.start();
        assertEquals(MessageType.DISCOVER, transport.last().type());
        assertEquals(Optional.empty(), transport.last().message().requestedAddress());
    }

    @Test
    void theFirstAcquisitionIsNeverAChange() {
        client(AddressChangePolicy.REMOVE);
        client.start();
        assertEquals(Optional.empty(), transport.last().message().requestedAddress());
        serverGives(OTHER);
        assertEquals(ClientState.BOUND, client.state());
        verify(listener, never()).addressChanged(any());
        assertEquals(Duration.ofSeconds(120), client.lease().orElseThrow().leaseTime());
    }

    // ---- with the ARP probe (issue 13, item 2) in the way ----

    DhcpClient probingClient(AddressChangePolicy policy, ClientFixtures.FakeProbe probe) {
        client = new DhcpClient(DhcpClientTest.config().arpProbe(Duration.ofMillis(200), 3).onAddressChange(policy)
                .build(), transport, probe, listener, clock, new ScriptedRandom(0x1001, 0x1002, 0x1003, 0x1004));
        return client;
    }

    @Test
    void theOldAddressBackIsProbedAndThenNoChange() {
        probingClient(AddressChangePolicy.REMOVE, new ClientFixtures.FakeProbe(clock));
        Lease held = DhcpClientTest.restoredLease(T0.minusSeconds(5));
        client.reboot(held);
        client.onPacket(nak(transport.last().message(), SERVER, "lease not found"));
        serverGives(ADDRESS);
        assertEquals(ClientState.PROBING, client.state());
        runUntil(clock.instant().plusSeconds(1));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(ADDRESS, client.lease().orElseThrow().address());
        verify(listener, never()).addressChanged(any());
    }

    @Test
    void anotherAddressIsJudgedOnlyOnceTheProbeHasPassed() {
        probingClient(AddressChangePolicy.FOLLOW, new ClientFixtures.FakeProbe(clock));
        Lease held = DhcpClientTest.restoredLease(T0.minusSeconds(5));
        client.reboot(held);
        client.onPacket(nak(transport.last().message(), SERVER, "lease not found"));
        serverGives(OTHER);
        verify(listener, never()).addressChanged(any());
        runUntil(clock.instant().plusSeconds(1));
        verify(listener).addressChanged(any());
        assertEquals(OTHER, client.lease().orElseThrow().address());
    }

    @Test
    void theOldAddressFoundInUseIsDeclinedAndNotAskedForAgain() {
        probingClient(AddressChangePolicy.FOLLOW, new ClientFixtures.FakeProbe(clock));
        Lease held = DhcpClientTest.restoredLease(T0.minusSeconds(5));
        client.reboot(held);
        client.onPacket(nak(transport.last().message(), SERVER, "lease not found"));
        serverGives(ADDRESS);
        client.onArp(new dev.terway.dhcp.codec.ArpPacket(dev.terway.dhcp.codec.ArpPacket.REPLY,
                dev.terway.dhcp.codec.HardwareAddress.parse("02:00:5e:00:00:99"), ADDRESS, DhcpClientTest.MAC,
                Ipv4.ANY));
        assertEquals(MessageType.DECLINE, transport.last().type());
        runUntil(clock.instant().plusSeconds(10));
        Sent again = transport.last();
        assertEquals(MessageType.DISCOVER, again.type());
        assertEquals(Optional.empty(), again.message().requestedAddress(), "a declined address is not asked for");
    }
}
