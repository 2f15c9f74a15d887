package dev.terway.dhcp6.client;

import static dev.terway.dhcp6.client.Dhcp6Fixtures.ADDRESS;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.CLIENT;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.IAID;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.SERVER;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.advertise;
import static dev.terway.dhcp6.client.Dhcp6Fixtures.grant;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp6.client.Dhcp6Fixtures.FakeTransport;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6Option;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile or broken servers against the client in every state: mutated ADVERTISEs and REPLYs of the client's
 * own transaction (so they get past the transaction and DUID checks often) and random bytes. The client may
 * only warn, move between states, bind or lose; it must never throw, and it must always have a next deadline
 * unless STOPPED, so its owner's timer keeps it going.
 */
class Dhcp6ClientFuzzTest {

    private static final Dhcp6Listener QUIET = new Dhcp6Listener() {
        @Override
        public void bound(IaNaLease lease) {
        }

        @Override
        public void renewed(IaNaLease lease) {
        }

        @Override
        public void lost(IaNaLease lease, Dhcp6LossReason reason, String why) {
        }

        @Override
        public void failed(String report) {
        }
    };

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void noReplyMakesTheClientThrowOrStall() {
        Random random = new Random(0x6c1e);
        Set<Dhcp6ClientState> reached = EnumSet.noneOf(Dhcp6ClientState.class);
        int fed = 0;
        for (int round = 0; round < 300; round++) {
            FakeClock clock = new FakeClock();
            FakeTransport transport = new FakeTransport(clock);
            Dhcp6Client client = new Dhcp6Client(Dhcp6ClientConfig.of("eth0", CLIENT, IAID, Duration.ofSeconds(30)),
                    transport, QUIET, clock, new Random(round));
            client.start();
            // reach a state at random: stay SOLICITING, REQUESTING, BOUND, RENEWING or REBINDING
            int goal = random.nextInt(5);
            if (goal >= 1) {
                client.onMessage(advertise(transport.last().message(), SERVER, ADDRESS,
                        new Dhcp6Option.Preference(255)));
            }
            if (goal >= 2) {
                client.onMessage(grant(transport.last().message(), SERVER, ADDRESS));
            }
            if (goal >= 3) {
                advance(client, clock, Duration.ofSeconds(goal == 3 ? 61 : 106));
            }
            for (int i = 0; i < 40; i++) {
                Dhcp6Message base = transport.last().message();
                byte[] wire = (random.nextBoolean() ? grant(base, SERVER, ADDRESS)
                        : advertise(base, SERVER, ADDRESS)).encode();
                int edits = random.nextInt(6);
                for (int e = 0; e < edits; e++) {
                    int at = 4 + random.nextInt(wire.length - 4); // keep msg-type and transaction id mostly
                    wire[at] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256)
                            : wire[at] ^ (1 << random.nextInt(8)));
                }
                if (random.nextInt(10) == 0) {
                    wire = new byte[random.nextInt(64)];
                    random.nextBytes(wire);
                }
                try {
                    client.onDatagram(wire, 0, wire.length);
                    if (random.nextInt(8) == 0) {
                        advance(client, clock, Duration.ofSeconds(random.nextInt(120)));
                    }
                } catch (RuntimeException e) {
                    throw new AssertionError("client in " + client.state() + " threw " + e, e);
                }
                fed++;
                reached.add(client.state());
                assertTrue(client.state() == Dhcp6ClientState.STOPPED || client.nextDeadline().isPresent(),
                        "no deadline in " + client.state());
            }
        }
        System.out.printf("dhcp6 client fuzz: %d datagrams, states reached %s%n", fed, reached);
        assertTrue(reached.containsAll(EnumSet.of(Dhcp6ClientState.SOLICITING, Dhcp6ClientState.REQUESTING,
                Dhcp6ClientState.BOUND, Dhcp6ClientState.RENEWING, Dhcp6ClientState.REBINDING)), reached.toString());
    }

    private static void advance(Dhcp6Client client, FakeClock clock, Duration by) {
        var until = clock.instant().plus(by);
        var due = client.nextDeadline();
        while (due.isPresent() && !due.get().isAfter(until)) {
            clock.set(due.get());
            client.onTimer();
            due = client.nextDeadline();
        }
        clock.set(until);
    }
}
