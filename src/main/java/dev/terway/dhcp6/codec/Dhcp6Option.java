package dev.terway.dhcp6.codec;

import dev.terway.net.Ipv6;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One DHCPv6 option (RFC 8415 §21) as a typed value; {@link Dhcp6Options} reads and writes them. An option
 * the codec has no type for is a {@link Raw}.
 */
public sealed interface Dhcp6Option permits Dhcp6Option.ClientId, Dhcp6Option.ServerId, Dhcp6Option.IaNa,
        Dhcp6Option.IaAddress, Dhcp6Option.OptionRequest, Dhcp6Option.Preference, Dhcp6Option.ElapsedTime,
        StatusCode, Dhcp6Option.RapidCommit, Dhcp6Option.ServerUnicast, Dhcp6Option.DnsServers,
        Dhcp6Option.DomainList, Dhcp6Option.Raw {

    int CLIENTID = 1;
    int SERVERID = 2;
    int IA_NA = 3;
    int IAADDR = 5;
    int ORO = 6;
    int PREFERENCE = 7;
    int ELAPSED_TIME = 8;
    int UNICAST = 12;
    int STATUS_CODE = 13;
    int RAPID_COMMIT = 14;
    int DNS_SERVERS = 23;
    int DOMAIN_LIST = 24;
    /** A lifetime or T1/T2 of all ones: for ever (RFC 8415 §7.7). */
    long INFINITY = 0xffffffffL;

    /** The option's code on the wire. */
    int optionCode();

    record ClientId(Duid duid) implements Dhcp6Option {
        public ClientId {
            Objects.requireNonNull(duid, "duid");
        }

        @Override
        public int optionCode() {
            return CLIENTID;
        }
    }

    record ServerId(Duid duid) implements Dhcp6Option {
        public ServerId {
            Objects.requireNonNull(duid, "duid");
        }

        @Override
        public int optionCode() {
            return SERVERID;
        }
    }

    /**
     * An Identity Association for Non-temporary Addresses (§21.4): the IAID, T1 and T2 in seconds, its
     * addresses, an optional status about the IA, and any other option it carried, kept as sent.
     */
    record IaNa(long iaid, long t1, long t2, List<IaAddress> addresses, Optional<StatusCode> status,
                List<Raw> others) implements Dhcp6Option {
        public IaNa {
            requireU32(iaid, "IAID");
            requireU32(t1, "T1");
            requireU32(t2, "T2");
            addresses = List.copyOf(addresses);
            Objects.requireNonNull(status, "status");
            others = List.copyOf(others);
        }

        /** What a client puts in SOLICIT, REQUEST, RENEW…: the IAID, T1 and T2 zero, the addresses it asks for. */
        public static IaNa asking(long iaid, List<IaAddress> addresses) {
            return new IaNa(iaid, 0, 0, addresses, Optional.empty(), List.of());
        }

        /** The IA's status code, Success when it has none (§21.13: no status means success). */
        public int statusCode() {
            return status.map(StatusCode::code).orElse(StatusCode.SUCCESS);
        }

        @Override
        public int optionCode() {
            return IA_NA;
        }
    }

    /** An address of an IA_NA (§21.6) with its preferred and valid lifetimes in seconds. */
    record IaAddress(Ipv6 address, long preferredLifetime, long validLifetime, Optional<StatusCode> status,
                     List<Raw> others) implements Dhcp6Option {
        public IaAddress {
            Objects.requireNonNull(address, "address");
            requireU32(preferredLifetime, "preferred lifetime");
            requireU32(validLifetime, "valid lifetime");
            Objects.requireNonNull(status, "status");
            others = List.copyOf(others);
        }

        public static IaAddress of(Ipv6 address, long preferred, long valid) {
            return new IaAddress(address, preferred, valid, Optional.empty(), List.of());
        }

        @Override
        public int optionCode() {
            return IAADDR;
        }
    }

    /** The Option Request Option (§21.7): the codes the client wants. */
    record OptionRequest(List<Integer> codes) implements Dhcp6Option {
        public OptionRequest {
            codes = List.copyOf(codes);
            codes.forEach(c -> requireU16(c, "requested option code"));
        }

        @Override
        public int optionCode() {
            return ORO;
        }
    }

    /** The server's preference 0..255 (§21.8); 255 makes a client take the ADVERTISE at once. */
    record Preference(int value) implements Dhcp6Option {
        public Preference {
            if (value < 0 || value > 255) {
                throw new IllegalArgumentException("preference out of range 0..255: " + value);
            }
        }

        @Override
        public int optionCode() {
            return PREFERENCE;
        }
    }

    /** Time since the client began the exchange, in hundredths of a second, 0xffff at most (§21.9). */
    record ElapsedTime(int hundredths) implements Dhcp6Option {
        public ElapsedTime {
            requireU16(hundredths, "elapsed time");
        }

        @Override
        public int optionCode() {
            return ELAPSED_TIME;
        }
    }

    /** Rapid Commit (§21.14): empty. */
    record RapidCommit() implements Dhcp6Option {
        @Override
        public int optionCode() {
            return RAPID_COMMIT;
        }
    }

    /** Server Unicast (§21.12): the address the client may send RENEW and RELEASE to directly. */
    record ServerUnicast(Ipv6 address) implements Dhcp6Option {
        public ServerUnicast {
            Objects.requireNonNull(address, "address");
        }

        @Override
        public int optionCode() {
            return UNICAST;
        }
    }

    /** Recursive DNS servers (RFC 3646 §3), at least one. */
    record DnsServers(List<Ipv6> servers) implements Dhcp6Option {
        public DnsServers {
            servers = List.copyOf(servers);
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("a DNS servers option needs at least one address");
            }
        }

        @Override
        public int optionCode() {
            return DNS_SERVERS;
        }
    }

    /** Domain search list (RFC 3646 §4), at least one name, without a trailing dot. */
    record DomainList(List<String> names) implements Dhcp6Option {
        public DomainList {
            names = List.copyOf(names);
            if (names.isEmpty()) {
                throw new IllegalArgumentException("a domain list needs at least one name");
            }
        }

        @Override
        public int optionCode() {
            return DOMAIN_LIST;
        }
    }

    /** Any other option: its code and value bytes as received. */
    record Raw(int code, byte[] value) implements Dhcp6Option {
        public Raw {
            requireU16(code, "option code");
            value = value.clone();
            if (value.length > 0xffff) {
                throw new IllegalArgumentException("option " + code + " value of " + value.length + " bytes");
            }
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public int optionCode() {
            return code;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Raw r && r.code == code && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return 31 * code + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Raw[code=" + code + ", value=" + HexFormat.of().formatHex(value) + "]";
        }
    }

    private static void requireU32(long value, String what) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException(what + " out of range 0..4294967295: " + value);
        }
    }

    private static void requireU16(int value, String what) {
        if (value < 0 || value > 0xffff) {
            throw new IllegalArgumentException(what + " out of range 0..65535: " + value);
        }
    }
}
