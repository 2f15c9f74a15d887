package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry of options this codec understands, keyed by code. A code missing here is an unknown
 * option: it is carried as raw bytes and never interpreted.
 */
public final class DhcpOptions {

    /** Framing octets: never stored as options. */
    public static final int PAD = 0;
    public static final int END = 255;
    /** Option 52 says the file and/or sname fields hold options too; the encoder alone decides on it. */
    public static final int OVERLOAD = 52;

    private static final Map<Integer, OptionKey<?>> REGISTRY = new TreeMap<>();

    public static final OptionKey<Ipv4> SUBNET_MASK = register(1, "subnet mask", new AddressCodec());
    public static final OptionKey<List<Ipv4>> ROUTERS = register(3, "routers", new AddressListCodec());
    public static final OptionKey<List<Ipv4>> DNS_SERVERS = register(6, "domain name servers", new AddressListCodec());
    public static final OptionKey<String> HOST_NAME = register(12, "host name", new TextCodec());
    public static final OptionKey<String> DOMAIN_NAME = register(15, "domain name", new TextCodec());
    public static final OptionKey<Integer> INTERFACE_MTU = register(26, "interface MTU", new UnsignedShortCodec(68));
    public static final OptionKey<Ipv4> BROADCAST_ADDRESS = register(28, "broadcast address", new AddressCodec());
    public static final OptionKey<Ipv4> REQUESTED_ADDRESS = register(50, "requested IP address", new AddressCodec());
    /** Seconds; {@link #INFINITE_LEASE} means forever. */
    public static final OptionKey<Long> LEASE_TIME = register(51, "lease time", new SecondsCodec());
    public static final OptionKey<MessageType> MESSAGE_TYPE = register(53, "DHCP message type", new MessageTypeCodec());
    public static final OptionKey<Ipv4> SERVER_ID = register(54, "server identifier", new AddressCodec());
    public static final OptionKey<List<Integer>> PARAMETER_REQUEST_LIST =
            register(55, "parameter request list", new OctetListCodec());
    /** Free text a server explains a NAK with (RFC 2132 section 9.9). */
    public static final OptionKey<String> MESSAGE = register(56, "message", new TextCodec());
    public static final OptionKey<Integer> MAX_MESSAGE_SIZE =
            register(57, "maximum DHCP message size", new UnsignedShortCodec(576));
    public static final OptionKey<Long> RENEWAL_TIME = register(58, "renewal (T1) time", new SecondsCodec());
    public static final OptionKey<Long> REBINDING_TIME = register(59, "rebinding (T2) time", new SecondsCodec());
    public static final OptionKey<ClientIdentifier> CLIENT_ID = register(61, "client identifier", new ClientIdCodec());
    public static final OptionKey<List<String>> DOMAIN_SEARCH = register(119, "domain search", new DomainSearchCodec());
    public static final OptionKey<List<ClasslessRoute>> CLASSLESS_ROUTES =
            register(121, "classless static routes", new ClasslessRoutesCodec());

    public static final long INFINITE_LEASE = 0xffffffffL;

    private DhcpOptions() {
    }

    private static <T> OptionKey<T> register(int code, String name, OptionCodec<T> codec) {
        OptionKey<T> key = new OptionKey<>(code, name, codec);
        REGISTRY.put(code, key);
        return key;
    }

    public static Optional<OptionKey<?>> lookup(int code) {
        return Optional.ofNullable(REGISTRY.get(code));
    }

    public static List<OptionKey<?>> all() {
        return Collections.unmodifiableList(new ArrayList<>(REGISTRY.values()));
    }

    /** Name for messages: "option 3 (routers)" or "option 224" for unknown codes. */
    public static String name(int code) {
        return lookup(code).map(OptionKey::describe).orElse(switch (code) {
            case PAD -> "option 0 (pad)";
            case OVERLOAD -> "option 52 (option overload)";
            case END -> "option 255 (end)";
            default -> "option " + code;
        });
    }

    /** Checks that a raw value of a registered option decodes; unknown codes are always fine. */
    static void validate(int code, byte[] value) throws DhcpParseException {
        OptionKey<?> key = REGISTRY.get(code);
        if (key != null) {
            key.decode(value);
        }
    }

    private static final class AddressCodec implements OptionCodec<Ipv4> {
        @Override
        public Ipv4 decode(WireReader in) throws DhcpParseException {
            if (in.remaining() != 4) {
                throw new DhcpParseException("length " + in.remaining() + ", must be 4");
            }
            return in.ipv4("address");
        }

        @Override
        public void encode(Ipv4 value, WireWriter out) {
            out.ipv4(value);
        }
    }

    private static final class AddressListCodec implements OptionCodec<List<Ipv4>> {
        @Override
        public List<Ipv4> decode(WireReader in) throws DhcpParseException {
            if (in.remaining() == 0 || in.remaining() % 4 != 0) {
                throw new DhcpParseException("length " + in.remaining() + ", must be a positive multiple of 4");
            }
            List<Ipv4> addresses = new ArrayList<>();
            while (in.hasRemaining()) {
                addresses.add(in.ipv4("address"));
            }
            return List.copyOf(addresses);
        }

        @Override
        public void encode(List<Ipv4> value, WireWriter out) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("needs at least one address");
            }
            value.forEach(out::ipv4);
        }
    }

    /**
     * NVT ASCII text. Decoding is lossless (ISO-8859-1) and drops trailing NULs that some
     * implementations add; encoding accepts only printable ASCII.
     */
    private static final class TextCodec implements OptionCodec<String> {
        @Override
        public String decode(WireReader in) throws DhcpParseException {
            if (in.remaining() == 0) {
                throw new DhcpParseException("empty text");
            }
            byte[] bytes = in.bytes(in.remaining(), "text");
            int length = bytes.length;
            while (length > 0 && bytes[length - 1] == 0) {
                length--;
            }
            return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }

        @Override
        public void encode(String value, WireWriter out) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("text must not be empty");
            }
            if (value.length() > 255 * 255) {
                throw new IllegalArgumentException("text too long: " + value.length() + " characters");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c > 0x7e) {
                    throw new IllegalArgumentException("text may only hold printable ASCII, found 0x"
                            + Integer.toHexString(c) + " in \"" + value + "\"");
                }
            }
            out.bytes(value.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static final class UnsignedShortCodec implements OptionCodec<Integer> {
        private final int minimum;

        UnsignedShortCodec(int minimum) {
            this.minimum = minimum;
        }

        @Override
        public Integer decode(WireReader in) throws DhcpParseException {
            if (in.remaining() != 2) {
                throw new DhcpParseException("length " + in.remaining() + ", must be 2");
            }
            int value = in.u16("value");
            if (value < minimum) {
                throw new DhcpParseException("value " + value + " below the minimum " + minimum);
            }
            return value;
        }

        @Override
        public void encode(Integer value, WireWriter out) {
            if (value < minimum || value > 0xffff) {
                throw new IllegalArgumentException("value " + value + " outside " + minimum + "..65535");
            }
            out.u16(value);
        }
    }

    private static final class SecondsCodec implements OptionCodec<Long> {
        @Override
        public Long decode(WireReader in) throws DhcpParseException {
            if (in.remaining() != 4) {
                throw new DhcpParseException("length " + in.remaining() + ", must be 4");
            }
            return Integer.toUnsignedLong(in.u32("seconds"));
        }

        @Override
        public void encode(Long value, WireWriter out) {
            if (value < 0 || value > INFINITE_LEASE) {
                throw new IllegalArgumentException("seconds " + value + " outside 0..4294967295");
            }
            out.u32((int) (long) value);
        }
    }

    private static final class MessageTypeCodec implements OptionCodec<MessageType> {
        @Override
        public MessageType decode(WireReader in) throws DhcpParseException {
            if (in.remaining() != 1) {
                throw new DhcpParseException("length " + in.remaining() + ", must be 1");
            }
            int code = in.u8("message type");
            return MessageType.fromCode(code)
                    .orElseThrow(() -> new DhcpParseException("unknown message type " + code));
        }

        @Override
        public void encode(MessageType value, WireWriter out) {
            out.u8(value.code());
        }
    }

    private static final class OctetListCodec implements OptionCodec<List<Integer>> {
        @Override
        public List<Integer> decode(WireReader in) throws DhcpParseException {
            if (in.remaining() == 0) {
                throw new DhcpParseException("empty list");
            }
            List<Integer> codes = new ArrayList<>();
            while (in.hasRemaining()) {
                codes.add(in.u8("code"));
            }
            return List.copyOf(codes);
        }

        @Override
        public void encode(List<Integer> value, WireWriter out) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("needs at least one code");
            }
            for (int code : value) {
                if (code < 0 || code > 255) {
                    throw new IllegalArgumentException("code " + code + " outside 0..255");
                }
                out.u8(code);
            }
        }
    }

    private static final class ClientIdCodec implements OptionCodec<ClientIdentifier> {
        @Override
        public ClientIdentifier decode(WireReader in) throws DhcpParseException {
            if (in.remaining() < 2) {
                throw new DhcpParseException("length " + in.remaining() + ", must be at least 2");
            }
            int type = in.u8("type");
            return new ClientIdentifier(type, in.bytes(in.remaining(), "identifier"));
        }

        @Override
        public void encode(ClientIdentifier value, WireWriter out) {
            out.bytes(value.toBytes());
        }
    }
}
