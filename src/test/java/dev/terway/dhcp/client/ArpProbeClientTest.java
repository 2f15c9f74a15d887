package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.at;
import static dev.terway.dhcp.client.ClientFixtures.ack;
import static dev.terway.dhcp.client.ClientFixtures.offer;
import static dev.terway.dhcp.client.DhcpClientTest.MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.ClientFixtures.FakeProbe;
import dev.terway.dhcp.client.ClientFixtures.FakeTransport;
import dev.terway.dhcp.client.ClientFixtures.ScriptedRandom;
import dev.terway.dhcp.client.ClientFixtures.Sent;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

/** The ARP probe between ACK and BOUND (RFC 2131 4.4.1, RFC 5227 2.1.1) and DHCPDECLINE, on fakes. */
class ArpProbeClientTest {

    static final HardwareAddress SQUATTER = HardwareAddress.parse("02:00:5e:00:00:99");
    static final Ipv4 FREE = Ipv4.parse("192.168.50.24");

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final FakeProbe probe = new FakeProbe(clock);
    final LeaseListener listener = mock(LeaseListener.class);
    DhcpClient client;

    /** 200 ms, 3 probes: one every 50 ms, the verdict 100 ms after the last. */
    DhcpClient client(DhcpClientConfig.Builder config) {
        client = new DhcpClient(config.build(), transport, probe, listener, clock,
                new ScriptedRandom(0x2001, 0x2002, 0x2003, 0x2004));
        return client;
    }

    static DhcpClientConfig.Builder probing() {
        return DhcpClientTest.config().arpProbe(Duration.ofMillis(200), 3);
    }

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    /** DISCOVER at 0, OFFER of {@code address} at 0.3 (REQUEST), ACK at 0.4: from there the client probes. */
    void acknowledge(Ipv4 address, double offerAt) {
        clock.set(at(offerAt));
        client.onPacket(offer(transport.last().message(), address, SERVER));
        clock.set(at(offerAt + 0.1));
        client.onPacket(ack(transport.last().message(), address, SERVER));
    }

    static ArpPacket reply(HardwareAddress from, Ipv4 address, HardwareAddress to) {
        return new ArpPacket(ArpPacket.REPLY, from, address, to, Ipv4.ANY);
    }

    @Test
    void anAddressNobodyClaimsIsBoundWhenTheProbeTimeIsOver() {
        client(probing());
        client.start();
        acknowledge(ADDRESS, 0.3);
        assertEquals(ClientState.PROBING, client.state());
        assertEquals(Optional.empty(), client.lease(), "not the pod's before the probe is over");
        verify(listener, never()).bound(any());
        assertEquals(List.of(new FakeProbe.Probe(at(0.4), ADDRESS)), probe.probes, "the first probe goes at once");

        runUntil(at(0.599));
        assertEquals(List.of(at(0.4), at(0.45), at(0.5)), probe.times());
        assertEquals(ClientState.PROBING, client.state());
        // ARP that claims nothing changes nothing: other addresses, our own frames, requests for it from a host
        // with an address (someone resolving it, not a probe)
        Ipv4 other = Ipv4.parse("192.168.50.77");
        client.onArp(reply(SQUATTER, other, MAC));
        client.onArp(ArpPacket.probe(SQUATTER, other));
        client.onArp(ArpPacket.probe(MAC, ADDRESS));
        client.onArp(new ArpPacket(ArpPacket.REQUEST, MAC, ADDRESS, HardwareAddress.parse("00:00:00:00:00:00"),
                ADDRESS));
        client.onArp(new ArpPacket(ArpPacket.REQUEST, SQUATTER, other, HardwareAddress.parse("00:00:00:00:00:00"),
                ADDRESS));
        assertEquals(ClientState.PROBING, client.state());

        runUntil(at(0.6));
        assertEquals(ClientState.BOUND, client.state());
        ArgumentCaptor<Lease> bound = ArgumentCaptor.forClass(Lease.class);
        verify(listener).bound(bound.capture());
        assertEquals(ADDRESS, bound.getValue().address());
        assertEquals(at(0.3), bound.getValue().acquiredAt(), "the lease still counts from the REQUEST");
        assertEquals(3, probe.probes.size());
        assertEquals(List.of(MessageType.DISCOVER, MessageType.REQUEST),
                transport.sent.stream().map(Sent::type).toList(), "no DECLINE");
        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.REQUESTING, ClientState.PROBING);
        order.verify(listener).stateChanged(ClientState.PROBING, ClientState.BOUND);
        verify(listener, never()).declined(any());
        // the probe is for new acquisitions only: a renewal binds as before
        runUntil(at(10.3));
        assertEquals(ClientState.RENEWING, client.state());
        assertEquals(3, probe.probes.size());
    }

    @Test
    void aConflictIsDeclinedWithTheRightOptionsAndAFreeAddressIsAcquiredAfterTheWait() {
        client(probing().requestedAddress(ADDRESS));
        client.start();
        assertEquals(Optional.of(ADDRESS), transport.last().message().requestedAddress());
        acknowledge(ADDRESS, 0.3);
        DhcpMessage request = transport.last().message();
        clock.set(at(0.401));
        client.onArp(reply(SQUATTER, ADDRESS, MAC));

        assertEquals(ClientState.INIT, client.state());
        assertEquals(Optional.empty(), client.lease());
        Sent decline = transport.last();
        assertEquals(MessageType.DECLINE, decline.type());
        assertTrue(decline.broadcast(), "the client has no address to send from");
        assertEquals(at(0.401), decline.at());
        DhcpMessage d = decline.message();
        assertEquals(List.of(53, 61, 50, 54, 56), DhcpClientTest.codes(d),
                "RFC 2131 table 5: 50 and 54 MUST, client id MAY, message SHOULD, no 51, 55, 12");
        assertEquals(Optional.of(ADDRESS), d.requestedAddress());
        assertEquals(Optional.of(SERVER), d.serverId());
        assertEquals(Optional.of("address in use: 02:00:5e:00:00:99 answered for it with an ARP reply"), d.message());
        assertEquals(Ipv4.ANY, d.ciaddr());
        assertEquals(Ipv4.ANY, d.yiaddr());
        assertEquals(MAC, d.chaddr());
        assertEquals(request.xid(), d.xid());
        assertEquals(DhcpMessage.BOOTREQUEST, d.op());

        ArgumentCaptor<AddressConflict> conflict = ArgumentCaptor.forClass(AddressConflict.class);
        verify(listener).declined(conflict.capture());
        assertEquals(new AddressConflict(ADDRESS, SQUATTER, ArpPacket.Claim.REPLY, SERVER, at(0.401)),
                conflict.getValue());
        assertEquals("192.168.50.23 (in use: 02:00:5e:00:00:99 answered for it with an ARP reply)",
                conflict.getValue().describe());
        verify(listener, never()).bound(any());

        // RFC 2131 3.1 step 5: at least ten seconds before starting over
        assertEquals(Optional.of(at(10.401)), client.nextDeadline());
        runUntil(at(10.4));
        assertEquals(MessageType.DECLINE, transport.last().type(), "nothing during the wait");
        runUntil(at(10.401));
        assertEquals(ClientState.SELECTING, client.state());
        DhcpMessage discover = transport.last().message();
        assertEquals(MessageType.DISCOVER, discover.messageType().orElseThrow());
        assertEquals(0x2002, discover.xid(), "a new transaction");
        assertEquals(Optional.empty(), discover.requestedAddress(), "the declined address is not asked for again");

        // the server offers a free address: probed and bound
        clock.set(at(10.5));
        client.onPacket(offer(discover, FREE, SERVER));
        assertEquals(ClientState.REQUESTING, client.state());
        clock.set(at(10.6));
        client.onPacket(ack(transport.last().message(), FREE, SERVER));
        assertEquals(ClientState.PROBING, client.state());
        runUntil(at(10.8));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(FREE, client.lease().orElseThrow().address());
        assertEquals(List.of(ADDRESS, FREE, FREE, FREE), probe.probes.stream().map(FakeProbe.Probe::address).toList(),
                "one probe of the taken address answered at once, three of the free one");
        verify(listener).bound(client.lease().orElseThrow());
        verify(listener, never()).failed(any());
        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.REQUESTING, ClientState.PROBING);
        order.verify(listener).stateChanged(ClientState.PROBING, ClientState.INIT);
        order.verify(listener).declined(any());
        order.verify(listener).stateChanged(ClientState.INIT, ClientState.SELECTING);
        order.verify(listener).stateChanged(ClientState.PROBING, ClientState.BOUND);
    }

    @Test
    void everyKindOfClaimCountsAsAConflict() {
        record Case(ArpPacket packet, ArpPacket.Claim claim) {
        }
        HardwareAddress zero = HardwareAddress.parse("00:00:00:00:00:00");
        List<Case> cases = List.of(
                new Case(reply(SQUATTER, ADDRESS, MAC), ArpPacket.Claim.REPLY),
                // a gratuitous ARP / announcement, or the host asking for someone else from that address
                new Case(new ArpPacket(ArpPacket.REQUEST, SQUATTER, ADDRESS, zero, ADDRESS), ArpPacket.Claim.REQUEST),
                new Case(new ArpPacket(ArpPacket.REQUEST, SQUATTER, ADDRESS, zero, Ipv4.parse("192.168.50.1")),
                        ArpPacket.Claim.REQUEST),
                // another host probing for the same address right now
                new Case(ArpPacket.probe(SQUATTER, ADDRESS), ArpPacket.Claim.PROBE));
        for (Case c : cases) {
            clock.set(T0);
            transport.sent.clear();
            client(probing());
            client.start();
            acknowledge(ADDRESS, 0.3);
            client.onArp(c.packet());
            assertEquals(ClientState.INIT, client.state(), c.toString());
            assertEquals(MessageType.DECLINE, transport.last().type(), c.toString());
            ArgumentCaptor<AddressConflict> conflict = ArgumentCaptor.forClass(AddressConflict.class);
            verify(listener).declined(conflict.capture());
            assertEquals(c.claim(), conflict.getValue().claim(), c.toString());
            org.mockito.Mockito.reset(listener);
        }
    }

    @Test
    void withTheProbeOffTheAckBindsAtOnceAndNothingIsProbed() {
        client(DhcpClientTest.config().arpProbe(Duration.ZERO, 3));
        client.start();
        acknowledge(ADDRESS, 0.3);
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(List.of(), probe.probes);
        verify(listener, never()).stateChanged(any(), org.mockito.ArgumentMatchers.eq(ClientState.PROBING));
        // ARP claiming the address after binding is not the client's business any more (no DECLINE of a bound lease)
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(2, transport.sent.size());
    }

    @Test
    void aClientWithoutAProbeCannotBeConfiguredToProbe() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DhcpClient(
                probing().build(), transport, listener, clock, new ScriptedRandom()));
        assertTrue(e.getMessage().contains("no AddressProbe"), e.getMessage());
    }

    @Test
    void whenTheWaitWouldOutlastTheTimeoutTheAcquisitionFailsAtOnceNamingTheDeclinedAddress() {
        client(probing().acquireTimeout(Duration.ofSeconds(8)));
        client.start();
        acknowledge(ADDRESS, 0.3);
        clock.set(at(0.45));
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(MessageType.DECLINE, transport.last().type(), "declined before giving up");
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        assertEquals(List.of(new AddressConflict(ADDRESS, SQUATTER, ArpPacket.Claim.REPLY, SERVER, at(0.45))),
                failure.getValue().declined());
        assertEquals("no DHCP lease on eth0 after 0.450s (acquire timeout of 8s would pass in the 10s wait before"
                + " discovering again): declined 192.168.50.23 (in use: 02:00:5e:00:00:99 answered for it with an ARP"
                + " reply) with DHCPDECLINE; sent 1 DISCOVER and 1 REQUEST; replies: OFFER of 192.168.50.23 from"
                + " 192.168.50.1, ACK of 192.168.50.23 from 192.168.50.1", failure.getValue().message());
        assertEquals(Optional.empty(), client.nextDeadline());
    }

    @Test
    void aShorterConfiguredWaitRestartsSoonerAndATimeoutAfterDeclinesNamesEveryOne() {
        client(probing().declineWait(Duration.ofSeconds(1)).acquireTimeout(Duration.ofSeconds(5)));
        client.start();
        acknowledge(ADDRESS, 0.3);
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(Optional.of(at(1.4)), client.nextDeadline());
        runUntil(at(1.4));
        assertEquals(MessageType.DISCOVER, transport.last().type());
        acknowledge(FREE, 1.5);
        HardwareAddress second = HardwareAddress.parse("02:00:5e:00:00:98");
        client.onArp(ArpPacket.probe(second, FREE));
        // the pool is empty now: nothing answers until the timeout
        runUntil(at(5));
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        assertEquals(List.of(ADDRESS, FREE), failure.getValue().declined().stream().map(AddressConflict::address)
                .toList());
        String message = failure.getValue().message();
        assertTrue(message.startsWith("no DHCP lease on eth0 after 5s (acquire timeout of 5s passed): declined"
                + " 192.168.50.23 (in use: 02:00:5e:00:00:99 answered for it with an ARP reply), 192.168.50.24 (in"
                + " use: 02:00:5e:00:00:98 is probing for it at the same time) with DHCPDECLINE; sent "), message);
        assertEquals(2, transport.sent.stream().filter(s -> s.type() == MessageType.DECLINE).count());
    }

    @Test
    void aProbeThatCannotBeSentBindsTheAddressUncheckedAndSaysWhy() {
        client(probing());
        probe.failWith = "create a packet socket in /run/netns/p failed: Operation not permitted";
        client.start();
        acknowledge(ADDRESS, 0.3);
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(ADDRESS, client.lease().orElseThrow().address());
        verify(listener).unprobed(client.lease().orElseThrow(), "sending an ARP probe for 192.168.50.23 on eth0"
                + " failed: create a packet socket in /run/netns/p failed: Operation not permitted");
        verify(listener).bound(client.lease().orElseThrow());
    }

    @Test
    void theProbeRunsItsFullTimeEvenPastTheAcquisitionsDeadline() {
        client(probing().acquireTimeout(Duration.ofMillis(500)));
        client.start();
        acknowledge(ADDRESS, 0.3);
        runUntil(at(0.599));
        assertEquals(ClientState.PROBING, client.state(), "a probe cut short would check nothing");
        assertEquals(List.of(at(0.4), at(0.45), at(0.5)), probe.times());
        runUntil(at(0.6));
        assertEquals(ClientState.BOUND, client.state());
        verify(listener, never()).failed(any());
    }

    @Test
    void aServerThatOffersTheDeclinedAddressAgainHasItProbedAndDeclinedAgain() {
        // dnsmasq answers a DECLINE by moving the client's next pick, which in a small pool may land on the same
        // address; the squatter may also have gone meanwhile, so the offer is checked again like any other
        client(probing().declineWait(Duration.ofSeconds(2)).acquireTimeout(Duration.ofSeconds(4)));
        client.start();
        acknowledge(ADDRESS, 0.3);
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        runUntil(at(2.4));
        assertEquals(ClientState.SELECTING, client.state());
        acknowledge(ADDRESS, 2.5);
        assertEquals(ClientState.PROBING, client.state());
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(2, transport.sent.stream().filter(s -> s.type() == MessageType.DECLINE).count());
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        assertEquals(List.of("192.168.50.23 (in use: 02:00:5e:00:00:99 answered for it with an ARP reply) (x2)"),
                failure.getValue().declinedDescriptions());
        assertTrue(failure.getValue().message().contains("(acquire timeout of 4s would pass in the 2s wait before"
                + " discovering again): declined 192.168.50.23 (in use: 02:00:5e:00:00:99 answered for it with an ARP"
                + " reply) (x2) with DHCPDECLINE; sent 2 DISCOVERs and 2 REQUESTs"), failure.getValue().message());

        // once it is free, the same address is bound after a clean probe
        transport.sent.clear();
        org.mockito.Mockito.reset(listener);
        clock.set(T0);
        client(probing().declineWait(Duration.ofSeconds(2)));
        client.start();
        acknowledge(ADDRESS, 0.3);
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        runUntil(at(2.4));
        acknowledge(ADDRESS, 2.5);
        runUntil(at(2.8));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(ADDRESS, client.lease().orElseThrow().address());
    }

    @Test
    void releaseWhileProbingReleasesTheAcknowledgedAddress() throws Exception {
        client(probing());
        client.start();
        acknowledge(ADDRESS, 0.3);
        Optional<Lease> released = client.release();
        assertEquals(Optional.of(ADDRESS), released.map(Lease::address), "the server has committed it");
        Sent release = transport.last();
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(Optional.of(SERVER), release.unicastTo());
        assertEquals(ADDRESS, release.message().ciaddr());
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.empty(), client.nextDeadline());
        // ARP that arrives afterwards is ignored
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(ClientState.STOPPED, client.state());
    }

    @Test
    void stopDuringTheWaitAfterADeclineCancelsTheRestart() {
        client(probing());
        client.start();
        acknowledge(ADDRESS, 0.3);
        client.onArp(reply(SQUATTER, ADDRESS, MAC));
        assertEquals(ClientState.INIT, client.state());
        client.stop();
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.empty(), client.nextDeadline());
        assertEquals(Optional.empty(), client.lease());
    }

    @Test
    void invalidProbeSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> probing().arpProbe(Duration.ofMillis(-1), 3).build());
        assertThrows(IllegalArgumentException.class, () -> probing().arpProbe(Duration.ofMillis(200), 0).build());
        assertThrows(IllegalArgumentException.class, () -> probing().declineWait(Duration.ofSeconds(-1)).build());
    }
}
