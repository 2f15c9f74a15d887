package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.at;
import static dev.terway.dhcp.client.ClientFixtures.ack;
import static dev.terway.dhcp.client.ClientFixtures.nak;
import static dev.terway.dhcp.client.ClientFixtures.offer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.ClientFixtures.FakeProbe;
import dev.terway.dhcp.client.ClientFixtures.FakeTransport;
import dev.terway.dhcp.client.ClientFixtures.ScriptedRandom;
import dev.terway.dhcp.client.ExchangeOutcome.Exchange;
import dev.terway.dhcp.client.ExchangeOutcome.Result;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one report per exchange that the daemon counts ({@link LeaseListener#exchanged}), on fakes. */
class ExchangeOutcomeTest {

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final FakeProbe probe = new FakeProbe(clock);
    final List<ExchangeOutcome> reported = new ArrayList<>();
    final LeaseListener listener = new LeaseListener() {
        @Override
        public void bound(Lease lease) {
        }

        @Override
        public void renewed(Lease lease) {
        }

        @Override
        public void lost(Lease lease, LeaseLoss loss) {
        }

        @Override
        public void failed(AcquireFailure failure) {
        }

        @Override
        public void exchanged(ExchangeOutcome outcome) {
            reported.add(outcome);
        }
    };
    DhcpClient client;

    void client(DhcpClientConfig.Builder config) {
        client = new DhcpClient(config.build(), transport, probe, listener, clock,
                new ScriptedRandom(0x3001, 0x3002, 0x3003, 0x3004, 0x3005));
    }

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    void bind() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
    }

    static ExchangeOutcome outcome(Exchange exchange, Result result) {
        return new ExchangeOutcome(exchange, result);
    }

    @Test
    void aLeaseAcquiredAndRenewedIsThreeExchanges() {
        client(DhcpClientTest.config());
        bind();
        runUntil(at(10));
        clock.set(at(10.1));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        assertEquals(List.of(outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.ACK),
                outcome(Exchange.RENEW, Result.ACK)), reported);
    }

    @Test
    void aSilentServerMakesTheRenewalAndTheRebindTimeOutBeforeExpiry() {
        client(DhcpClientTest.config());
        bind();
        reported.clear();
        runUntil(at(119.9));
        assertEquals(List.of(outcome(Exchange.RENEW, Result.TIMEOUT)), reported,
                "T2 without an answer: the renewal is missed, once, whatever the retries");
        runUntil(at(120));
        assertEquals(List.of(outcome(Exchange.RENEW, Result.TIMEOUT), outcome(Exchange.REBIND, Result.TIMEOUT)),
                reported);
    }

    @Test
    void aNakIsReportedForTheExchangeItAnswered() {
        client(DhcpClientTest.config());
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(nak(transport.last().message(), SERVER, "taken"));
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        runUntil(at(20));
        clock.set(at(20.1));
        client.onPacket(nak(transport.last().message(), SERVER, "wrong network"));
        assertEquals(List.of(outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.NAK),
                outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.ACK),
                outcome(Exchange.RENEW, Result.TIMEOUT), outcome(Exchange.REBIND, Result.NAK)), reported);
    }

    @Test
    void unansweredDiscoversAndRequestsTimeOut() {
        client(DhcpClientTest.config().maxRequests(3));
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        runUntil(at(7));
        assertEquals(List.of(outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.TIMEOUT)),
                reported, "three REQUESTs unanswered: the client discovers again");
        runUntil(at(31));
        assertEquals(outcome(Exchange.DISCOVER, Result.TIMEOUT), reported.get(reported.size() - 1),
                "the acquisition's deadline passed while selecting");
        assertEquals(ClientState.STOPPED, client.state());
    }

    @Test
    void aRestoredLeaseIsConfirmedOrKeptAfterTheRebootExchange() {
        client(DhcpClientTest.config());
        client.reboot(DhcpClientTest.restoredLease(T0.minusSeconds(5)));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        assertEquals(List.of(outcome(Exchange.REBOOT, Result.ACK)), reported);

        reported.clear();
        client(DhcpClientTest.config());
        client.reboot(DhcpClientTest.restoredLease(T0.minusSeconds(5)));
        runUntil(at(15));
        assertEquals(List.of(outcome(Exchange.REBOOT, Result.TIMEOUT)), reported,
                "no answer to the tries: the lease is kept until it expires, and the exchange timed out");
    }

    @Test
    void anAddressFoundInUseByTheProbeIsDeclinedNotAcknowledged() {
        client(DhcpClientTest.config().arpProbe(Duration.ofMillis(200), 3));
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        assertEquals(List.of(outcome(Exchange.DISCOVER, Result.OFFER)), reported, "no verdict while probing");
        HardwareAddress squatter = HardwareAddress.parse("02:00:5e:00:00:99");
        client.onArp(new ArpPacket(ArpPacket.REPLY, squatter, ADDRESS, DhcpClientTest.MAC, Ipv4.ANY));
        assertEquals(outcome(Exchange.REQUEST, Result.DECLINED), reported.get(1));

        runUntil(at(10));
        client.onPacket(offer(transport.last().message(), Ipv4.parse("192.168.50.24"), SERVER));
        client.onPacket(ack(transport.last().message(), Ipv4.parse("192.168.50.24"), SERVER));
        runUntil(at(10.3));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(List.of(outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.DECLINED),
                outcome(Exchange.DISCOVER, Result.OFFER), outcome(Exchange.REQUEST, Result.ACK)), reported);
    }

    @Test
    void aReleaseMidExchangeReportsNothing() throws Exception {
        client(DhcpClientTest.config());
        bind();
        runUntil(at(10));
        reported.clear();
        client.release();
        assertEquals(List.of(), reported);
    }

    @Test
    void anOfferAnswersOnlyADiscover() {
        assertThrows(IllegalArgumentException.class, () -> outcome(Exchange.RENEW, Result.OFFER));
        assertThrows(IllegalArgumentException.class, () -> outcome(Exchange.DISCOVER, Result.ACK));
        assertThrows(IllegalArgumentException.class, () -> outcome(Exchange.RENEW, Result.DECLINED));
        assertEquals("rebind", Exchange.REBIND.label());
        assertEquals("declined", Result.DECLINED.label());
    }
}
