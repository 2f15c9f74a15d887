package dev.terway.dhcp6.codec;

import dev.terway.dhcp.codec.DhcpParseException;
import dev.terway.dhcp.codec.DomainNameList;
import dev.terway.dhcp.codec.DomainNames;
import dev.terway.dhcp.codec.WireReader;
import dev.terway.dhcp.codec.WireWriter;
import dev.terway.dhcp6.codec.Dhcp6Option.ClientId;
import dev.terway.dhcp6.codec.Dhcp6Option.DnsServers;
import dev.terway.dhcp6.codec.Dhcp6Option.DomainList;
import dev.terway.dhcp6.codec.Dhcp6Option.ElapsedTime;
import dev.terway.dhcp6.codec.Dhcp6Option.IaAddress;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.Dhcp6Option.OptionRequest;
import dev.terway.dhcp6.codec.Dhcp6Option.Preference;
import dev.terway.dhcp6.codec.Dhcp6Option.RapidCommit;
import dev.terway.dhcp6.codec.Dhcp6Option.Raw;
import dev.terway.dhcp6.codec.Dhcp6Option.ServerId;
import dev.terway.dhcp6.codec.Dhcp6Option.ServerUnicast;
import dev.terway.net.Ipv6;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and writes the options of a message, of an IA_NA and of an IAADDR (RFC 8415 §21: code, length,
 * value, nested options inside the value of the IA options). Strict: a length that runs past its
 * enclosing option, a fixed-size option of the wrong size, a repeated option that may appear once, an
 * IAADDR outside an IA_NA or a compressed domain name (§10 forbids them) is a {@link DhcpParseException}
 * that names the option and the offset.
 */
public final class Dhcp6Options {

    /** Options that may appear at most once in their place (§21.1 and each option's text). */
    private static final Set<Integer> SINGLE = Set.of(Dhcp6Option.CLIENTID, Dhcp6Option.SERVERID, Dhcp6Option.ORO,
            Dhcp6Option.PREFERENCE, Dhcp6Option.ELAPSED_TIME, Dhcp6Option.UNICAST, Dhcp6Option.STATUS_CODE,
            Dhcp6Option.RAPID_COMMIT, Dhcp6Option.DNS_SERVERS, Dhcp6Option.DOMAIN_LIST);

    private Dhcp6Options() {
    }

    /** Where an option area is: names it in errors and decides what may stand in it. */
    enum Area {
        MESSAGE("message"), IA_NA("IA_NA"), IAADDR("IAADDR");

        final String text;

        Area(String text) {
            this.text = text;
        }
    }

    /** Decodes every option up to the end of {@code in}. */
    static List<Dhcp6Option> decodeAll(WireReader in, Area area, int baseOffset) throws DhcpParseException {
        List<Dhcp6Option> options = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        while (in.hasRemaining()) {
            int at = baseOffset + in.position();
            int code = in.u16("option code in " + area.text);
            int length = in.u16("length of option " + code + " in " + area.text);
            if (length > in.remaining()) {
                throw new DhcpParseException("option " + code + " at offset " + at + " in " + area.text + " claims "
                        + length + " bytes, only " + in.remaining() + " left");
            }
            byte[] value = in.bytes(length, "option " + code);
            if (SINGLE.contains(code) && !seen.add(code)) {
                throw new DhcpParseException("option " + code + " appears twice in " + area.text + " (offset " + at
                        + ")");
            }
            try {
                options.add(decode(code, value, area, at + 4));
            } catch (DhcpParseException e) {
                throw new DhcpParseException("option " + code + " at offset " + at + " in " + area.text + ": "
                        + e.getMessage());
            }
        }
        return List.copyOf(options);
    }

    private static Dhcp6Option decode(int code, byte[] value, Area area, int valueOffset) throws DhcpParseException {
        WireReader in = new WireReader(value);
        if (area != Area.MESSAGE && code != Dhcp6Option.IAADDR && code != Dhcp6Option.STATUS_CODE
                && code != Dhcp6Option.IA_NA) {
            return new Raw(code, value); // what an IA or an address carries besides addresses and status
        }
        Dhcp6Option option = switch (code) {
            case Dhcp6Option.CLIENTID -> new ClientId(Duid.parse(value));
            case Dhcp6Option.SERVERID -> new ServerId(Duid.parse(value));
            case Dhcp6Option.IA_NA -> {
                if (area != Area.MESSAGE) {
                    throw new DhcpParseException("an IA_NA inside an " + area.text);
                }
                yield iaNa(in, valueOffset);
            }
            case Dhcp6Option.IAADDR -> {
                if (area != Area.IA_NA) {
                    throw new DhcpParseException("an IAADDR outside an IA_NA");
                }
                yield iaAddress(in, valueOffset);
            }
            case Dhcp6Option.ORO -> {
                if (value.length % 2 != 0) {
                    throw new DhcpParseException("option request of odd length " + value.length);
                }
                List<Integer> codes = new ArrayList<>();
                while (in.hasRemaining()) {
                    codes.add(in.u16("requested option"));
                }
                yield new OptionRequest(codes);
            }
            case Dhcp6Option.PREFERENCE -> new Preference(exactly(in, 1, "preference").u8("preference"));
            case Dhcp6Option.ELAPSED_TIME -> new ElapsedTime(exactly(in, 2, "elapsed time").u16("elapsed time"));
            case Dhcp6Option.RAPID_COMMIT -> {
                exactly(in, 0, "rapid commit");
                yield new RapidCommit();
            }
            case Dhcp6Option.UNICAST -> new ServerUnicast(Ipv6.fromBytes(exactly(in, 16, "server unicast")
                    .bytes(16, "server unicast address")));
            case Dhcp6Option.STATUS_CODE -> statusCode(in);
            case Dhcp6Option.DNS_SERVERS -> {
                if (value.length == 0 || value.length % 16 != 0) {
                    throw new DhcpParseException("DNS servers of " + value.length
                            + " bytes (a non-zero multiple of 16)");
                }
                List<Ipv6> servers = new ArrayList<>();
                while (in.hasRemaining()) {
                    servers.add(Ipv6.fromBytes(in.bytes(16, "DNS server")));
                }
                yield new DnsServers(servers);
            }
            // RFC 3646 §4 / RFC 8415 §10: names in RFC 1035 wire format, uncompressed, one after the other;
            // the labels must pass DomainNames like DHCPv4's option 119: they end up in resolv.conf.
            case Dhcp6Option.DOMAIN_LIST -> new DomainList(DomainNameList.decode(value, "domain list",
                    DomainNameList.Compression.REFUSED));
            default -> null;
        };
        return option != null ? option : new Raw(code, value);
    }

    private static WireReader exactly(WireReader in, int length, String what) throws DhcpParseException {
        if (in.remaining() != length) {
            throw new DhcpParseException(what + " of " + in.remaining() + " bytes (it has " + length + ")");
        }
        return in;
    }

    private static IaNa iaNa(WireReader in, int valueOffset) throws DhcpParseException {
        long iaid = u32(in, "IAID");
        long t1 = u32(in, "T1");
        long t2 = u32(in, "T2");
        List<IaAddress> addresses = new ArrayList<>();
        Optional<StatusCode> status = Optional.empty();
        List<Raw> others = new ArrayList<>();
        for (Dhcp6Option o : decodeAll(rest(in), Area.IA_NA, valueOffset + 12)) {
            if (o instanceof IaAddress a) {
                addresses.add(a);
            } else if (o instanceof StatusCode s) {
                status = Optional.of(s);
            } else {
                others.add((Raw) o);
            }
        }
        return new IaNa(iaid, t1, t2, addresses, status, others);
    }

    private static IaAddress iaAddress(WireReader in, int valueOffset) throws DhcpParseException {
        Ipv6 address = Ipv6.fromBytes(in.bytes(16, "IAADDR address"));
        long preferred = u32(in, "preferred lifetime");
        long valid = u32(in, "valid lifetime");
        Optional<StatusCode> status = Optional.empty();
        List<Raw> others = new ArrayList<>();
        for (Dhcp6Option o : decodeAll(rest(in), Area.IAADDR, valueOffset + 24)) {
            if (o instanceof StatusCode s) {
                status = Optional.of(s);
            } else {
                others.add((Raw) o);
            }
        }
        return new IaAddress(address, preferred, valid, status, others);
    }

    private static StatusCode statusCode(WireReader in) throws DhcpParseException {
        int code = in.u16("status code");
        byte[] text = in.bytes(in.remaining(), "status message");
        try {
            String message = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(text)).toString();
            return new StatusCode(code, message);
        } catch (CharacterCodingException e) {
            throw new DhcpParseException("status message is not UTF-8");
        }
    }

    private static long u32(WireReader in, String what) throws DhcpParseException {
        return in.u32(what) & 0xffffffffL;
    }

    private static WireReader rest(WireReader in) throws DhcpParseException {
        return new WireReader(in.bytes(in.remaining(), "nested options"));
    }

    // ---- encoding ----

    static void encodeAll(List<? extends Dhcp6Option> options, WireWriter out) {
        for (Dhcp6Option option : options) {
            encode(option, out);
        }
    }

    static void encode(Dhcp6Option option, WireWriter out) {
        WireWriter value = new WireWriter();
        if (option instanceof ClientId c) {
            value.bytes(c.duid().bytes());
        } else if (option instanceof ServerId s) {
            value.bytes(s.duid().bytes());
        } else if (option instanceof IaNa ia) {
            value.u32((int) ia.iaid()).u32((int) ia.t1()).u32((int) ia.t2());
            encodeAll(ia.addresses(), value);
            ia.status().ifPresent(s -> encode(s, value));
            encodeAll(ia.others(), value);
        } else if (option instanceof IaAddress a) {
            value.bytes(a.address().toBytes()).u32((int) a.preferredLifetime()).u32((int) a.validLifetime());
            a.status().ifPresent(s -> encode(s, value));
            encodeAll(a.others(), value);
        } else if (option instanceof OptionRequest o) {
            o.codes().forEach(value::u16);
        } else if (option instanceof Preference p) {
            value.u8(p.value());
        } else if (option instanceof ElapsedTime e) {
            value.u16(e.hundredths());
        } else if (option instanceof ServerUnicast u) {
            value.bytes(u.address().toBytes());
        } else if (option instanceof StatusCode s) {
            value.u16(s.code()).bytes(s.message().getBytes(StandardCharsets.UTF_8));
        } else if (option instanceof DnsServers d) {
            d.servers().forEach(a -> value.bytes(a.toBytes()));
        } else if (option instanceof DomainList l) {
            for (String name : l.names()) {
                for (String label : DomainNames.canonical(name).split("\\.", -1)) {
                    String problem = DomainNames.labelProblem(label);
                    if (problem != null) {
                        throw new IllegalArgumentException("domain \"" + name + "\" " + problem);
                    }
                    byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
                    value.u8(bytes.length).bytes(bytes);
                }
                value.u8(0);
            }
        } else if (option instanceof Raw r) {
            value.bytes(r.value());
        }
        // RapidCommit: no value
        if (value.size() > 0xffff) {
            throw new IllegalArgumentException("option " + option.optionCode() + " value of " + value.size()
                    + " bytes does not fit its 16-bit length");
        }
        out.u16(option.optionCode()).u16(value.size()).bytes(value.toByteArray());
    }
}
