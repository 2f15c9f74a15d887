package dev.terway.dhcp6.client;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.RecordingTransport;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Dhcp6Option;
import dev.terway.dhcp6.codec.Dhcp6Option.IaAddress;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.dhcp6.codec.StatusCode;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A recording transport and a scripted DHCPv6 server for the client tests. */
final class Dhcp6Fixtures {

    static final Duid CLIENT = Duid.forAttachment("c0ffee", "eth0");
    static final Duid SERVER = Duid.fromHex("000100012c4f5a100242ac110002");
    static final Duid OTHER_SERVER = Duid.fromHex("0003000102420a000009");
    static final Ipv6 ADDRESS = Ipv6.parse("fd00:db8:1::123");
    static final Ipv6 OTHER_ADDRESS = Ipv6.parse("fd00:db8:1::1aa");
    static final Ipv6 DNS = Ipv6.parse("fd00:db8:1::1");
    static final long IAID = 7;

    private Dhcp6Fixtures() {
    }

    record Sent(Instant at, Dhcp6Message message, Optional<Ipv6> unicastTo) {
        Dhcp6MessageType type() {
            return message.type();
        }
    }

    /** Records every message; can be told to fail sends. */
    static final class FakeTransport extends RecordingTransport<Dhcp6Message, Ipv6, Sent> implements Dhcp6Transport {

        FakeTransport(FakeClock clock) {
            super(clock);
        }

        @Override
        protected Sent recordOf(Instant at, Dhcp6Message message, Optional<Ipv6> unicastTo) {
            return new Sent(at, message, unicastTo);
        }

        @Override
        public void multicast(Dhcp6Message message) throws IOException {
            record(message, Optional.empty());
        }

        @Override
        public void unicast(Dhcp6Message message, Ipv6 server) throws IOException {
            record(message, Optional.of(server));
        }

        List<Sent> of(Dhcp6MessageType type) {
            return sent.stream().filter(s -> s.type() == type).toList();
        }
    }

    /** An answer to {@code request} from {@code server} granting {@code address} with these times. */
    static Dhcp6Message answer(Dhcp6Message request, Dhcp6MessageType type, Duid server, Ipv6 address, long t1,
                               long t2, long preferred, long valid, Dhcp6Option... extra) {
        IaNa ia = new IaNa(IAID, t1, t2, List.of(IaAddress.of(address, preferred, valid)), Optional.empty(), List.of());
        return reply(request, type, server, ia, extra);
    }

    static Dhcp6Message reply(Dhcp6Message request, Dhcp6MessageType type, Duid server, IaNa ia,
                              Dhcp6Option... extra) {
        List<Dhcp6Option> options = new ArrayList<>();
        options.add(new Dhcp6Option.ClientId(request.clientId().orElseThrow()));
        options.add(new Dhcp6Option.ServerId(server));
        if (ia != null) {
            options.add(ia);
        }
        options.addAll(List.of(extra));
        options.add(new Dhcp6Option.DnsServers(List.of(DNS)));
        options.add(new Dhcp6Option.DomainList(List.of("lan.local")));
        return new Dhcp6Message(type, request.transactionId(), options);
    }

    /** The standard grant: T1 60, T2 105, preferred 120, valid 180. */
    static Dhcp6Message advertise(Dhcp6Message solicit, Duid server, Ipv6 address, Dhcp6Option... extra) {
        return answer(solicit, Dhcp6MessageType.ADVERTISE, server, address, 60, 105, 120, 180, extra);
    }

    static Dhcp6Message grant(Dhcp6Message request, Duid server, Ipv6 address, Dhcp6Option... extra) {
        return answer(request, Dhcp6MessageType.REPLY, server, address, 60, 105, 120, 180, extra);
    }

    /** A REPLY whose IA_NA (or, with {@code inIa} false, the message) carries only a status. */
    static Dhcp6Message status(Dhcp6Message request, Dhcp6MessageType type, Duid server, int code, boolean inIa) {
        if (inIa) {
            return reply(request, type, server, new IaNa(IAID, 0, 0, List.of(), Optional.of(new StatusCode(code,
                    "from the test")), List.of()));
        }
        return reply(request, type, server, null, new StatusCode(code, "from the test"));
    }
}
