package dev.terway.dhcp6.client;

import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.at;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.ADDRESS;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.CLIENT;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.DNS;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.IAID;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.OTHER_ADDRESS;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.OTHER_SERVER;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.SERVER;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.advertise;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.answer;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.grant;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.contains;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp6.client.Dhcp6Fixtures.FakeTransport;
import dev.terway.dhcp6.client.Dhcp6Fixtures.Sent;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Dhcp6Option;
import dev.terway.dhcp6.codec.Dhcp6Option.IaAddress;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.StatusCode;
import dev.terway.net.Ipv6;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class Dhcp6ClientTest {

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final Dhcp6Listener listener = mock(Dhcp6Listener.class);
    Dhcp6Client client;

    Dhcp6Client client(Dhcp6ClientConfig config) {
        client = new Dhcp6Client(config, transport, listener, clock, new Random(42));
        return client;
    }

    Dhcp6Client client() {
        return client(Dhcp6ClientConfig.of("eth0", CLIENT, IAID, Duration.ofSeconds(30)));
    }

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    Dhcp6Message last() {
        return transport.last().message();
    }

    /** SOLICIT, ADVERTISE at once, the first wait, REQUEST, REPLY: bound at about 1 s. */
    IaNaLease bind(Dhcp6Option... extra) {
        client.start();
        client.onMessage(advertise(last(), SERVER, ADDRESS, extra));
        runUntil(client.nextDeadline().orElseThrow());
        assertEquals(Dhcp6MessageType.REQUEST, transport.last().type());
        client.onMessage(grant(last(), SERVER, ADDRESS, extra));
        assertEquals(Dhcp6ClientState.BOUND, client.state());
        return client.lease().orElseThrow();
    }

    static List<Integer> codes(Dhcp6Message m) {
        return m.options().stream().map(Dhcp6Option::optionCode).toList();
    }

    // ---- SOLICIT ----

    @Test
    void solicitCarriesClientIdElapsedTimeOptionRequestAndAnEmptyIaNaWithoutRapidCommit() {
        client().start();
        Sent solicit = transport.last();
        assertEquals(Dhcp6MessageType.SOLICIT, solicit.type());
        assertTrue(solicit.unicastTo().isEmpty(), "multicast");
        assertEquals(List.of(1, 8, 6, 3), codes(solicit.message()));
        assertEquals(Optional.of(CLIENT), solicit.message().clientId());
        assertEquals(new Dhcp6Option.OptionRequest(List.of(23, 24)),
                solicit.message().find(Dhcp6Option.OptionRequest.class).orElseThrow());
        assertEquals(IaNa.asking(IAID, List.of()), solicit.message().iaNa(IAID).orElseThrow());
        assertFalse(solicit.message().rapidCommit());
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
    }

    @Test
    void solicitRetransmitsWithRfc8415Timing() {
        client().start();
        runUntil(at(29.9));
        List<Instant> times = transport.of(Dhcp6MessageType.SOLICIT).stream().map(Sent::at).toList();
        double previous = 0;
        for (int i = 1; i < times.size(); i++) {
            double rt = Duration.between(times.get(i - 1), times.get(i)).toNanos() / 1e9;
            if (i == 1) {
                assertTrue(rt > 1.0 && rt <= 1.1, "first RT strictly above IRT, at most 1.1 IRT: " + rt);
            } else {
                assertTrue(rt >= previous * 1.9 - 1e-6 && rt <= previous * 2.1 + 1e-6,
                        "RT " + rt + " is 2·RTprev ± 10% of " + previous);
            }
            previous = rt;
        }
        assertEquals(5, times.size(), "0, ~1, ~3, ~7, ~15 s within 30 s: " + times);
        List<Integer> elapsed = transport.of(Dhcp6MessageType.SOLICIT).stream()
                .map(s -> s.message().find(Dhcp6Option.ElapsedTime.class).orElseThrow().hundredths()).toList();
        assertEquals(0, elapsed.get(0));
        assertEquals((int) (Duration.between(T0, times.get(1)).toMillis() / 10), (int) elapsed.get(1));
    }

    @Test
    void retransmissionIsCappedAtMrtPlusOrMinusTenPercent() {
        Retransmission r = new Retransmission(Duration.ofSeconds(1), Duration.ofSeconds(4), 0, Duration.ZERO);
        Random random = new Random(3);
        Duration rt = r.first(random, false);
        for (int i = 0; i < 20; i++) {
            rt = r.next(rt, random);
            assertTrue(rt.toMillis() <= 4400 && rt.toMillis() >= 1800, "RT " + rt);
        }
        assertTrue(rt.toMillis() >= 3600, "settled around MRT: " + rt);
    }

    @Test
    void noAnswerFailsAtTheAcquireTimeoutWithAReport() {
        client().start();
        runUntil(at(31));
        ArgumentCaptor<String> report = ArgumentCaptor.forClass(String.class);
        verify(listener).failed(report.capture());
        assertTrue(report.getValue().startsWith("no DHCPv6 lease for eth0: acquire timeout of 30 s passed after 30 s;"
                + " sent 5 SOLICITs and 0 REQUESTs; no server answered"), report.getValue());
        assertEquals(Dhcp6ClientState.STOPPED, client.state());
        assertTrue(client.nextDeadline().isEmpty());
    }

    // ---- ADVERTISE selection ----

    @Test
    void advertisesAreCollectedForTheFirstWaitAndTheHighestPreferenceIsRequested() {
        client().start();
        Dhcp6Message solicit = last();
        client.onMessage(advertise(solicit, OTHER_SERVER, OTHER_ADDRESS, new Dhcp6Option.Preference(5)));
        client.onMessage(advertise(solicit, SERVER, ADDRESS, new Dhcp6Option.Preference(20)));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state(), "still collecting");
        Instant firstWaitEnds = client.nextDeadline().orElseThrow();
        assertTrue(firstWaitEnds.isAfter(at(1.0)) && !firstWaitEnds.isAfter(at(1.1)), "" + firstWaitEnds);
        runUntil(firstWaitEnds);
        Sent request = transport.last();
        assertEquals(Dhcp6MessageType.REQUEST, request.type());
        assertEquals(Optional.of(Dhcp6Fixtures.SERVER), request.message().serverId());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))),
                request.message().iaNa(IAID).orElseThrow());
        assertEquals(List.of(1, 2, 8, 6, 3), codes(request.message()));
        assertTrue(request.unicastTo().isEmpty());
        assertEquals(1, transport.of(Dhcp6MessageType.SOLICIT).size());
    }

    @Test
    void preference255IsRequestedAtOnce() {
        client().start();
        client.onMessage(advertise(last(), SERVER, ADDRESS, new Dhcp6Option.Preference(255)));
        assertEquals(Dhcp6ClientState.REQUESTING, client.state());
        assertEquals(T0, transport.last().at());
    }

    @Test
    void anAdvertiseAfterTheFirstWaitIsActedOnAtOnce() {
        client().start();
        runUntil(at(2));
        client.onMessage(advertise(last(), SERVER, ADDRESS));
        assertEquals(Dhcp6ClientState.REQUESTING, client.state());
        assertEquals(at(2), transport.last().at());
    }

    @Test
    void advertisesWithoutAddressesAreIgnoredAndNamedInTheFailure() {
        client().start();
        client.onMessage(status(last(), Dhcp6MessageType.ADVERTISE, SERVER, StatusCode.NO_ADDRS_AVAIL, false));
        runUntil(at(5));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
        client.onMessage(status(last(), Dhcp6MessageType.ADVERTISE, SERVER, StatusCode.NO_ADDRS_AVAIL, true));
        runUntil(at(31));
        ArgumentCaptor<String> report = ArgumentCaptor.forClass(String.class);
        verify(listener).failed(report.capture());
        assertTrue(report.getValue().contains("answers: ADVERTISE NoAddrsAvail \"from the test\" from " + SERVER
                + " (x2)"), report.getValue());
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.SOLICIT,
                Dhcp6ExchangeOutcome.Result.NO_ADDRS_AVAIL));
        verify(listener, never()).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.SOLICIT,
                Dhcp6ExchangeOutcome.Result.TIMEOUT));
    }

    @Test
    void repliesOfOtherTransactionsOrClientsAreDropped() {
        client().start();
        Dhcp6Message solicit = last();
        Dhcp6Message wrongXid = new Dhcp6Message(Dhcp6MessageType.ADVERTISE, solicit.transactionId() ^ 1,
                advertise(solicit, SERVER, ADDRESS, new Dhcp6Option.Preference(255)).options());
        client.onMessage(wrongXid);
        Dhcp6Message otherClient = new Dhcp6Message(Dhcp6MessageType.ADVERTISE, solicit.transactionId(),
                List.of(new Dhcp6Option.ClientId(Dhcp6Fixtures.OTHER_SERVER), new Dhcp6Option.ServerId(SERVER),
                        new Dhcp6Option.Preference(255), IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 1, 2)))));
        client.onMessage(otherClient);
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
        client.onDatagram(new byte[] {2, 0}, 0, 2);
        verify(listener).warning(contains("malformed DHCPv6 message"));
    }

    // ---- REQUEST ----

    @Test
    void replyToRequestBindsWithEveryLeaseParameter() {
        client();
        IaNaLease lease = bind();
        assertEquals(ADDRESS, lease.address());
        assertEquals(SERVER, lease.server());
        assertEquals(Duration.ofSeconds(60), lease.renewal());
        assertEquals(Duration.ofSeconds(105), lease.rebinding());
        assertEquals(Duration.ofSeconds(120), lease.preferred());
        assertEquals(Duration.ofSeconds(180), lease.valid());
        assertEquals(List.of(DNS), lease.dnsServers());
        assertEquals(List.of("lan.local"), lease.domainSearch());
        assertEquals(transport.of(Dhcp6MessageType.REQUEST).get(0).at(), lease.acquiredAt(),
                "counted from the REQUEST");
        verify(listener).bound(lease);
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.SOLICIT,
                Dhcp6ExchangeOutcome.Result.ADVERTISE));
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.REQUEST, Dhcp6ExchangeOutcome.Result.REPLY));
        verify(listener, times(2)).exchanged(any());
    }

    @Test
    void zeroT1AndT2AreTheClientsChoiceOfHalfAndFourFifthsOfThePreferredLifetime() {
        client().start();
        client.onMessage(answer(last(), Dhcp6MessageType.ADVERTISE, SERVER, ADDRESS, 0, 0, 100, 300,
                new Dhcp6Option.Preference(255)));
        client.onMessage(answer(last(), Dhcp6MessageType.REPLY, SERVER, ADDRESS, 0, 0, 100, 300));
        IaNaLease lease = client.lease().orElseThrow();
        assertEquals(Duration.ofSeconds(50), lease.renewal());
        assertEquals(Duration.ofSeconds(80), lease.rebinding());
    }

    @Test
    void anIaWhoseT1ExceedsT2IsDiscarded() {
        client().start();
        client.onMessage(answer(last(), Dhcp6MessageType.ADVERTISE, SERVER, ADDRESS, 90, 60, 120, 180,
                new Dhcp6Option.Preference(255)));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
        verify(listener).warning(contains("T1 90 above T2 60"));
    }

    @Test
    void noAddrsAvailToRequestTriesTheNextAdvertiseThenSolicitsAgain() {
        client().start();
        Dhcp6Message solicit = last();
        client.onMessage(advertise(solicit, SERVER, ADDRESS, new Dhcp6Option.Preference(9)));
        client.onMessage(advertise(solicit, OTHER_SERVER, OTHER_ADDRESS, new Dhcp6Option.Preference(1)));
        runUntil(client.nextDeadline().orElseThrow());
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.NO_ADDRS_AVAIL, true));
        assertEquals(Optional.of(OTHER_SERVER), last().serverId(), "the next ADVERTISE's server");
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, OTHER_SERVER, StatusCode.NO_ADDRS_AVAIL, true));
        assertEquals(Dhcp6MessageType.SOLICIT, transport.last().type());
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
        verify(listener, times(2)).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.REQUEST,
                Dhcp6ExchangeOutcome.Result.NO_ADDRS_AVAIL));
        verify(listener, times(1)).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.SOLICIT,
                Dhcp6ExchangeOutcome.Result.ADVERTISE));
    }

    @Test
    void notOnLinkToRequestSolicitsAgainWithoutAHint() {
        client().start();
        client.onMessage(advertise(last(), SERVER, ADDRESS, new Dhcp6Option.Preference(255)));
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.NOT_ON_LINK, false));
        assertEquals(Dhcp6MessageType.SOLICIT, transport.last().type());
        assertEquals(IaNa.asking(IAID, List.of()), last().iaNa(IAID).orElseThrow());
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.REQUEST,
                Dhcp6ExchangeOutcome.Result.NOT_ON_LINK));
    }

    @Test
    void tenUnansweredRequestsSolicitAgain() {
        client(Dhcp6ClientConfig.of("eth0", CLIENT, IAID, Duration.ofSeconds(30)).withTimings(Retransmission.SOLICIT,
                new Retransmission(Duration.ofMillis(100), Duration.ofSeconds(1), 10, Duration.ZERO))).start();
        client.onMessage(advertise(last(), SERVER, ADDRESS, new Dhcp6Option.Preference(255)));
        runUntil(at(15));
        assertEquals(10, transport.of(Dhcp6MessageType.REQUEST).size(), "REQ_MAX_RC");
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.REQUEST, Dhcp6ExchangeOutcome.Result.TIMEOUT));
        assertTrue(transport.of(Dhcp6MessageType.SOLICIT).size() >= 2);
    }

    @Test
    void rapidCommitIsAskedForOnlyWhenConfiguredAndItsReplyBinds() {
        client(Dhcp6ClientConfig.of("eth0", CLIENT, IAID, Duration.ofSeconds(30)).withRapidCommit(true)).start();
        assertTrue(last().rapidCommit());
        client.onMessage(grant(last(), SERVER, ADDRESS, new Dhcp6Option.RapidCommit()));
        assertEquals(Dhcp6ClientState.BOUND, client.state());
        assertTrue(transport.of(Dhcp6MessageType.REQUEST).isEmpty());
    }

    @Test
    void aReplyToSolicitWithoutRapidCommitAskedForIsIgnored() {
        client().start();
        client.onMessage(grant(last(), SERVER, ADDRESS, new Dhcp6Option.RapidCommit()));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
    }

    // ---- RENEW, REBIND, expiry ----

    @Test
    void renewGoesToTheServerAtT1AndItsReplyExtendsTheLifetimes() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.renewAt());
        Sent renew = transport.last();
        assertEquals(Dhcp6MessageType.RENEW, renew.type());
        assertTrue(renew.unicastTo().isEmpty(), "multicast without the Server Unicast option");
        assertEquals(Optional.of(SERVER), renew.message().serverId());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))), renew.message().iaNa(IAID).orElseThrow());
        assertEquals(Dhcp6ClientState.RENEWING, client.state());
        client.onMessage(answer(renew.message(), Dhcp6MessageType.REPLY, SERVER, ADDRESS, 60, 105, 300, 600));
        IaNaLease renewed = client.lease().orElseThrow();
        assertEquals(Duration.ofSeconds(600), renewed.valid());
        assertEquals(renew.at(), renewed.acquiredAt());
        verify(listener).renewed(renewed);
        assertEquals(Dhcp6ClientState.BOUND, client.state());
    }

    @Test
    void renewRetransmitsFromTenSecondsAndStopsAtT2WhereRebindBegins() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.rebindAt().minusMillis(1));
        List<Sent> renews = transport.of(Dhcp6MessageType.RENEW);
        assertEquals(3, renews.size(), "T1, ~+10 s, ~+30 s before T2 at +45 s: " + renews);
        double first = Duration.between(renews.get(0).at(), renews.get(1).at()).toMillis() / 1000.0;
        assertTrue(first >= 9 && first <= 11, "REN_TIMEOUT 10 s ± 10%: " + first);
        runUntil(lease.rebindAt());
        Sent rebind = transport.last();
        assertEquals(Dhcp6MessageType.REBIND, rebind.type());
        assertTrue(rebind.message().serverId().isEmpty(), "REBIND names no server");
        assertEquals(Dhcp6ClientState.REBINDING, client.state());
        client.onMessage(grant(rebind.message(), OTHER_SERVER, ADDRESS));
        assertEquals(OTHER_SERVER, client.lease().orElseThrow().server(), "any server may answer a REBIND");
        verify(listener).renewed(any());
    }

    @Test
    void renewUsesTheServerUnicastAddressUntilUseMulticast() {
        client();
        Ipv6 unicast = Ipv6.parse("fd00:db8:1::1");
        IaNaLease lease = bind(new Dhcp6Option.ServerUnicast(unicast));
        assertEquals(Optional.of(unicast), lease.serverUnicast());
        runUntil(lease.renewAt());
        assertEquals(Optional.of(unicast), transport.last().unicastTo());
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.USE_MULTICAST, false));
        assertEquals(Dhcp6MessageType.RENEW, transport.last().type());
        assertTrue(transport.last().unicastTo().isEmpty(), "resent by multicast");
    }

    @Test
    void aRenewReplyFromAnotherServerIsIgnored() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.renewAt());
        client.onMessage(grant(last(), OTHER_SERVER, OTHER_ADDRESS));
        assertEquals(Dhcp6ClientState.RENEWING, client.state());
        verify(listener, never()).renewed(any());
    }

    @Test
    void theFirstRequestOfAnAcquisitionIsAnnouncedBeforeItGoesOut() {
        client().start();
        client.onMessage(advertise(last(), SERVER, ADDRESS, new Dhcp6Option.Preference(255)));
        verify(listener).requesting(SERVER, ADDRESS);
        assertEquals(Dhcp6MessageType.REQUEST, transport.last().type());
    }

    @Test
    void noBindingMakesTheClientRequestTheBindingAgainWhileKeepingTheLease() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.renewAt());
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.NO_BINDING, true));
        Sent request = transport.last();
        assertEquals(Dhcp6MessageType.REQUEST, request.type());
        assertEquals(Optional.of(SERVER), request.message().serverId());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))),
                request.message().iaNa(IAID).orElseThrow());
        assertEquals(Optional.of(lease), client.lease(), "still held");
        client.onMessage(grant(request.message(), SERVER, ADDRESS));
        verify(listener).renewed(any());
        verify(listener, never()).lost(any(), any(), anyString());
        verify(listener).requesting(any(), any()); // the acquisition's only: a lease was held meanwhile
        verify(listener).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.RENEW,
                Dhcp6ExchangeOutcome.Result.NO_BINDING));
        verify(listener, times(2)).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.REQUEST,
                Dhcp6ExchangeOutcome.Result.REPLY));
    }

    @Test
    void notOnLinkOnRebindLosesTheLeaseAndSolicitsForTheSameAddress() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.rebindAt());
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.NOT_ON_LINK, false));
        verify(listener).lost(eq(lease), eq(Dhcp6LossReason.NOT_ON_LINK), contains("NotOnLink"));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.RENEW,
                Dhcp6ExchangeOutcome.Result.TIMEOUT));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.REBIND,
                Dhcp6ExchangeOutcome.Result.NOT_ON_LINK));
        assertEquals(Dhcp6MessageType.SOLICIT, transport.last().type());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))), last().iaNa(IAID).orElseThrow());
    }

    @Test
    void anAddressReturnedWithValidLifetimeZeroIsLost() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.renewAt());
        client.onMessage(answer(last(), Dhcp6MessageType.REPLY, SERVER, ADDRESS, 0, 0, 0, 0));
        verify(listener).lost(eq(lease), eq(Dhcp6LossReason.WITHDRAWN), contains("withdrew it"));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.RENEW,
                Dhcp6ExchangeOutcome.Result.WITHDRAWN));
    }

    @Test
    void theLeaseIsLostWhenItsValidLifetimeEnds() {
        client();
        IaNaLease lease = bind();
        runUntil(lease.expiresAt());
        verify(listener).lost(eq(lease), eq(Dhcp6LossReason.EXPIRED), contains("valid lifetime ended"));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.REBIND,
                Dhcp6ExchangeOutcome.Result.TIMEOUT));
        assertTrue(transport.of(Dhcp6MessageType.REBIND).size() >= 2);
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
        client.onMessage(advertise(last(), SERVER, OTHER_ADDRESS, new Dhcp6Option.Preference(255)));
        client.onMessage(grant(last(), SERVER, OTHER_ADDRESS));
        verify(listener).bound(client.lease().orElseThrow());
    }

    // ---- RELEASE ----

    @Test
    void releaseSendsOneReleaseNamingTheServerAndStops() throws Exception {
        client();
        bind();
        assertEquals(Optional.of(ADDRESS), client.release().map(IaNaLease::address));
        Sent release = transport.last();
        assertEquals(Dhcp6MessageType.RELEASE, release.type());
        assertEquals(Optional.of(SERVER), release.message().serverId());
        assertEquals(Optional.of(CLIENT), release.message().clientId());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))),
                release.message().iaNa(IAID).orElseThrow());
        assertEquals(Dhcp6ClientState.STOPPED, client.state());
        assertTrue(client.nextDeadline().isEmpty());
        assertEquals(Optional.empty(), client.release(), "nothing held any more");
        verify(listener, times(1)).exchanged(outcome(Dhcp6ExchangeOutcome.Exchange.RELEASE,
                Dhcp6ExchangeOutcome.Result.SENT));
    }

    @Test
    void everyOutcomeTheClientReportsIsAPossibleOneAndNoOtherCanBeMade() {
        assertThrows(IllegalArgumentException.class, () -> outcome(Dhcp6ExchangeOutcome.Exchange.RELEASE,
                Dhcp6ExchangeOutcome.Result.REPLY));
        assertThrows(IllegalArgumentException.class, () -> outcome(Dhcp6ExchangeOutcome.Exchange.SOLICIT,
                Dhcp6ExchangeOutcome.Result.NOT_ON_LINK));
        assertThrows(IllegalArgumentException.class, () -> outcome(Dhcp6ExchangeOutcome.Exchange.CONFIRM,
                Dhcp6ExchangeOutcome.Result.NO_BINDING));
        assertEquals(Dhcp6ExchangeOutcome.Result.TIMEOUT,
                outcome(Dhcp6ExchangeOutcome.Exchange.RENEW, Dhcp6ExchangeOutcome.Result.TIMEOUT).result());
    }

    private static Dhcp6ExchangeOutcome outcome(Dhcp6ExchangeOutcome.Exchange exchange,
                                                Dhcp6ExchangeOutcome.Result result) {
        return new Dhcp6ExchangeOutcome(exchange, result);
    }

    @Test
    void releaseGoesToTheServerUnicastAddressWhenGiven() throws Exception {
        client();
        Ipv6 unicast = Ipv6.parse("fd00:db8:1::1");
        bind(new Dhcp6Option.ServerUnicast(unicast));
        client.release();
        assertEquals(Optional.of(unicast), transport.last().unicastTo());
    }

    // ---- DECLINE (the pod's duplicate address detection failed) ----

    @Test
    void declineSendsOneDeclineOfTheAddressToAllServersStopsAndNeverTakesItAgain() throws Exception {
        client();
        bind();
        assertEquals(Optional.of(ADDRESS), client.decline().map(IaNaLease::address));
        Sent decline = transport.last();
        assertEquals(Dhcp6MessageType.DECLINE, decline.type());
        assertTrue(decline.unicastTo().isEmpty(), "multicast to All_DHCP_Relay_Agents_and_Servers");
        assertEquals(Optional.of(SERVER), decline.message().serverId());
        assertEquals(Optional.of(CLIENT), decline.message().clientId());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))),
                decline.message().iaNa(IAID).orElseThrow());
        assertEquals(Dhcp6ClientState.STOPPED, client.state());
        assertTrue(client.nextDeadline().isEmpty(), "no timer after a DECLINE");
        assertEquals(1, transport.of(Dhcp6MessageType.DECLINE).size(), "one DECLINE, not retransmitted");

        // Soliciting again: a server that offers the declined address again is not taken up on it.
        clock.set(at(5));
        client.start();
        client.onMessage(advertise(last(), SERVER, ADDRESS));
        runUntil(at(7));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state(), "the declined address is not requested");
        assertTrue(transport.of(Dhcp6MessageType.REQUEST).size() == 1, "only the first acquisition's REQUEST");
        client.onMessage(advertise(last(), SERVER, OTHER_ADDRESS));
        runUntil(client.nextDeadline().orElseThrow());
        assertEquals(Dhcp6MessageType.REQUEST, transport.last().type());
        client.onMessage(grant(last(), SERVER, OTHER_ADDRESS));
        assertEquals(Optional.of(OTHER_ADDRESS), client.lease().map(IaNaLease::address));
    }

    @Test
    void anAvoidedAddressIsNotTakenFromAReplyEither() {
        client();
        client.avoid(ADDRESS);
        client.start();
        client.onMessage(advertise(last(), SERVER, ADDRESS));
        runUntil(at(3));
        assertTrue(transport.of(Dhcp6MessageType.REQUEST).isEmpty(), "an ADVERTISE of only " + ADDRESS + " is unusable");
        verify(listener).warning(contains("which this pod declined"));
        assertEquals(Optional.empty(), client.lease());
    }

    @Test
    void declineWithNothingHeldSendsNothing() throws Exception {
        client();
        assertEquals(Optional.empty(), client.decline());
        assertTrue(transport.of(Dhcp6MessageType.DECLINE).isEmpty());
    }

    // ---- restore after a restart ----

    IaNaLease stored(Instant acquiredAt) {
        return IaNaLease.of(ADDRESS, IAID, SERVER, Optional.empty(), 60, 105, 120, 180, List.of(DNS),
                List.of("lan.local"), acquiredAt);
    }

    @Test
    void aRestoredLeaseBeforeT1IsConfirmedAndBoundOnSuccess() {
        client();
        IaNaLease lease = stored(T0.minusSeconds(30));
        client.restore(lease);
        Sent confirm = transport.last();
        assertEquals(Dhcp6MessageType.CONFIRM, confirm.type());
        assertTrue(confirm.message().serverId().isEmpty());
        assertEquals(IaNa.asking(IAID, List.of(IaAddress.of(ADDRESS, 0, 0))),
                confirm.message().iaNa(IAID).orElseThrow());
        assertEquals(Dhcp6ClientState.CONFIRMING, client.state());
        client.onMessage(status(confirm.message(), Dhcp6MessageType.REPLY, SERVER, StatusCode.SUCCESS, false));
        assertEquals(Dhcp6ClientState.BOUND, client.state());
        verify(listener).bound(lease);
        assertEquals(lease.renewAt(), client.nextDeadline().orElseThrow(), "Confirm does not extend lifetimes");
    }

    @Test
    void aConfirmAnsweredNotOnLinkLosesTheLease() {
        client();
        IaNaLease lease = stored(T0.minusSeconds(30));
        client.restore(lease);
        client.onMessage(status(last(), Dhcp6MessageType.REPLY, SERVER, StatusCode.NOT_ON_LINK, false));
        verify(listener).lost(eq(lease), eq(Dhcp6LossReason.NOT_ON_LINK), contains("NotOnLink"));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.CONFIRM,
                Dhcp6ExchangeOutcome.Result.NOT_ON_LINK));
        assertEquals(Dhcp6MessageType.SOLICIT, transport.last().type());
    }

    @Test
    void anUnansweredConfirmKeepsTheLeaseAfterCnfMaxRd() {
        client();
        IaNaLease lease = stored(T0.minusSeconds(10));
        client.restore(lease);
        runUntil(at(9.9));
        verify(listener, never()).bound(any());
        runUntil(at(10));
        verify(listener).bound(lease);
        verify(listener).warning(contains("keeping the restored lease"));
        verify(listener).exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.CONFIRM,
                Dhcp6ExchangeOutcome.Result.TIMEOUT));
        List<Sent> confirms = transport.of(Dhcp6MessageType.CONFIRM);
        assertTrue(confirms.size() >= 3 && confirms.size() <= 5, "CNF_TIMEOUT 1 s, CNF_MAX_RT 4 s: " + confirms.size());
    }

    @Test
    void aRestoredLeasePastT1IsReboundAndReportedBound() {
        client();
        IaNaLease lease = stored(T0.minusSeconds(70));
        client.restore(lease);
        assertEquals(Dhcp6MessageType.REBIND, transport.last().type());
        client.onMessage(grant(last(), SERVER, ADDRESS));
        ArgumentCaptor<IaNaLease> bound = ArgumentCaptor.forClass(IaNaLease.class);
        verify(listener).bound(bound.capture());
        assertEquals(T0, bound.getValue().acquiredAt());
        verify(listener, never()).renewed(any());
    }

    @Test
    void anExpiredRestoredLeaseIsLostAtOnce() {
        client();
        IaNaLease lease = stored(T0.minusSeconds(181));
        client.restore(lease);
        verify(listener).lost(eq(lease), eq(Dhcp6LossReason.EXPIRED), contains("while the daemon was down"));
        assertEquals(Dhcp6MessageType.SOLICIT, transport.last().type());
    }

    // ---- misuse ----

    @Test
    void aListenerCallingBackIntoTheClientIsRefused() {
        client();
        doAnswer(invocation -> {
            client.stop();
            return null;
        }).when(listener).bound(any());
        assertThrows(IllegalStateException.class, this::bind);
    }

    @Test
    void startTwiceIsRefused() {
        client().start();
        assertThrows(IllegalStateException.class, client::start);
    }

    @Test
    void sendFailuresAreWarningsAndTheClientCarriesOn() {
        client();
        transport.failWith = "Network is unreachable";
        client.start();
        verify(listener).warning(contains("sending SOLICIT on eth0 failed: Network is unreachable"));
        assertEquals(Dhcp6ClientState.SOLICITING, client.state());
    }
}
