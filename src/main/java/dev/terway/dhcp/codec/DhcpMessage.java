package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An immutable BOOTP/DHCP message (RFC 2131 section 2): the fixed header fields and the options in
 * order, each code at most once with its complete value. The wire details — pad octets, the end
 * option, 255-byte instances of long options (RFC 3396) and option overload into the file and sname
 * fields (option 52) — exist only in {@link #encode()} and {@link #decode}.
 */
public final class DhcpMessage {

    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    public static final int HTYPE_ETHERNET = 1;
    /** The one flag RFC 2131 defines: "reply by broadcast, I cannot receive unicast yet". */
    public static final int FLAG_BROADCAST = 0x8000;
    public static final int MAGIC_COOKIE = 0x63825363;
    /** BOOTP relays and old servers drop anything shorter (RFC 1542 section 2.1). */
    public static final int MIN_SIZE = 300;

    static final int SNAME_LENGTH = 64;
    static final int FILE_LENGTH = 128;
    /** op .. file, before the magic cookie. */
    static final int HEADER_LENGTH = 236;
    static final int OPTIONS_OFFSET = HEADER_LENGTH + 4;

    private final int op;
    private final int htype;
    private final int hops;
    private final int xid;
    private final int secs;
    private final int flags;
    private final Ipv4 ciaddr;
    private final Ipv4 yiaddr;
    private final Ipv4 siaddr;
    private final Ipv4 giaddr;
    private final HardwareAddress chaddr;
    private final String sname;
    private final String file;
    private final List<DhcpOption> options;

    private DhcpMessage(Builder b) {
        this.op = b.op;
        this.htype = b.htype;
        this.hops = b.hops;
        this.xid = b.xid;
        this.secs = b.secs;
        this.flags = b.flags;
        this.ciaddr = b.ciaddr;
        this.yiaddr = b.yiaddr;
        this.siaddr = b.siaddr;
        this.giaddr = b.giaddr;
        this.chaddr = b.chaddr;
        this.sname = b.sname;
        this.file = b.file;
        this.options = List.copyOf(b.options.values());
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().op(op).htype(htype).hops(hops).xid(xid).secs(secs).flags(flags)
                .ciaddr(ciaddr).yiaddr(yiaddr).siaddr(siaddr).giaddr(giaddr).chaddr(chaddr).sname(sname).file(file);
        options.forEach(o -> b.options.put(o.code(), o));
        return b;
    }

    public int op() {
        return op;
    }

    public int htype() {
        return htype;
    }

    public int hlen() {
        return chaddr.length();
    }

    public int hops() {
        return hops;
    }

    public int xid() {
        return xid;
    }

    public int secs() {
        return secs;
    }

    public int flags() {
        return flags;
    }

    public boolean broadcast() {
        return (flags & FLAG_BROADCAST) != 0;
    }

    public Ipv4 ciaddr() {
        return ciaddr;
    }

    public Ipv4 yiaddr() {
        return yiaddr;
    }

    public Ipv4 siaddr() {
        return siaddr;
    }

    public Ipv4 giaddr() {
        return giaddr;
    }

    public HardwareAddress chaddr() {
        return chaddr;
    }

    public String sname() {
        return sname;
    }

    public String file() {
        return file;
    }

    public List<DhcpOption> options() {
        return options;
    }

    public Optional<DhcpOption> option(int code) {
        for (DhcpOption option : options) {
            if (option.code() == code) {
                return Optional.of(option);
            }
        }
        return Optional.empty();
    }

    /** The typed value of a registered option, if present. Cannot fail: values are checked on construction. */
    public <T> Optional<T> get(OptionKey<T> key) {
        Optional<DhcpOption> raw = option(key.code());
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(key.decode(raw.get().valueNoCopy()));
        } catch (DhcpParseException e) {
            throw new IllegalStateException("option checked when the message was made no longer decodes", e);
        }
    }

    public Optional<MessageType> messageType() {
        return get(DhcpOptions.MESSAGE_TYPE);
    }

    public Optional<Ipv4> serverId() {
        return get(DhcpOptions.SERVER_ID);
    }

    public Optional<Ipv4> subnetMask() {
        return get(DhcpOptions.SUBNET_MASK);
    }

    public List<Ipv4> routers() {
        return get(DhcpOptions.ROUTERS).orElse(List.of());
    }

    public List<Ipv4> dnsServers() {
        return get(DhcpOptions.DNS_SERVERS).orElse(List.of());
    }

    public Optional<String> hostName() {
        return get(DhcpOptions.HOST_NAME);
    }

    public Optional<String> domainName() {
        return get(DhcpOptions.DOMAIN_NAME);
    }

    public Optional<Integer> mtu() {
        return get(DhcpOptions.INTERFACE_MTU);
    }

    public Optional<Ipv4> broadcastAddress() {
        return get(DhcpOptions.BROADCAST_ADDRESS);
    }

    public Optional<Ipv4> requestedAddress() {
        return get(DhcpOptions.REQUESTED_ADDRESS);
    }

    public Optional<Long> leaseTime() {
        return get(DhcpOptions.LEASE_TIME);
    }

    public Optional<Long> renewalTime() {
        return get(DhcpOptions.RENEWAL_TIME);
    }

    public Optional<Long> rebindingTime() {
        return get(DhcpOptions.REBINDING_TIME);
    }

    public Optional<ClientIdentifier> clientId() {
        return get(DhcpOptions.CLIENT_ID);
    }

    public List<Integer> parameterRequestList() {
        return get(DhcpOptions.PARAMETER_REQUEST_LIST).orElse(List.of());
    }

    public List<String> domainSearch() {
        return get(DhcpOptions.DOMAIN_SEARCH).orElse(List.of());
    }

    public List<ClasslessRoute> classlessRoutes() {
        return get(DhcpOptions.CLASSLESS_ROUTES).orElse(List.of());
    }

    public Optional<String> message() {
        return get(DhcpOptions.MESSAGE);
    }

    /** The wire form with every option in the options field, padded to {@link #MIN_SIZE}. */
    public byte[] encode() {
        return DhcpWire.encode(this, Integer.MAX_VALUE);
    }

    /**
     * The wire form in at most {@code maxMessageSize} bytes: options that do not fit the options field
     * continue in the file, then the sname field (option 52), which must be empty for that.
     *
     * @throws IllegalArgumentException when the options do not fit even so
     */
    public byte[] encode(int maxMessageSize) {
        return DhcpWire.encode(this, maxMessageSize);
    }

    public static DhcpMessage decode(byte[] data) throws DhcpParseException {
        return decode(data, 0, data.length);
    }

    /**
     * Parses one message from {@code data[offset, offset+length)}. Any malformed, truncated or hostile
     * content gives a {@link DhcpParseException}; work is linear in {@code length}.
     *
     * @throws IllegalArgumentException only when the window itself lies outside {@code data}
     */
    public static DhcpMessage decode(byte[] data, int offset, int length) throws DhcpParseException {
        return DhcpWire.decode(data, offset, length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DhcpMessage m && op == m.op && htype == m.htype && hops == m.hops && xid == m.xid
                && secs == m.secs && flags == m.flags && ciaddr.equals(m.ciaddr) && yiaddr.equals(m.yiaddr)
                && siaddr.equals(m.siaddr) && giaddr.equals(m.giaddr) && chaddr.equals(m.chaddr)
                && sname.equals(m.sname) && file.equals(m.file) && options.equals(m.options);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, htype, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file,
                options);
    }

    @Override
    public String toString() {
        String type = messageType().map(Enum::name).orElse(op == BOOTREQUEST ? "BOOTREQUEST" : "BOOTREPLY");
        return "DHCP " + type + " xid=0x" + String.format("%08x", xid) + " chaddr=" + chaddr
                + (broadcast() ? " broadcast" : "") + " ciaddr=" + ciaddr + " yiaddr=" + yiaddr
                + " siaddr=" + siaddr + " giaddr=" + giaddr + " options="
                + options.stream().map(DhcpOption::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Collects fields and options; {@link #build()} checks them. Defaults: a BOOTREQUEST on Ethernet. */
    public static final class Builder {
        private int op = BOOTREQUEST;
        private int htype = HTYPE_ETHERNET;
        private int hops;
        private int xid;
        private int secs;
        private int flags;
        private Ipv4 ciaddr = Ipv4.ANY;
        private Ipv4 yiaddr = Ipv4.ANY;
        private Ipv4 siaddr = Ipv4.ANY;
        private Ipv4 giaddr = Ipv4.ANY;
        private HardwareAddress chaddr = HardwareAddress.of(new byte[0]);
        private String sname = "";
        private String file = "";
        private final Map<Integer, DhcpOption> options = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder op(int op) {
            if (op != BOOTREQUEST && op != BOOTREPLY) {
                throw new IllegalArgumentException("op must be 1 (BOOTREQUEST) or 2 (BOOTREPLY): " + op);
            }
            this.op = op;
            return this;
        }

        public Builder htype(int htype) {
            this.htype = octet("htype", htype);
            return this;
        }

        public Builder hops(int hops) {
            this.hops = octet("hops", hops);
            return this;
        }

        public Builder xid(int xid) {
            this.xid = xid;
            return this;
        }

        public Builder secs(int secs) {
            this.secs = unsignedShort("secs", secs);
            return this;
        }

        public Builder flags(int flags) {
            this.flags = unsignedShort("flags", flags);
            return this;
        }

        public Builder broadcast(boolean broadcast) {
            this.flags = broadcast ? flags | FLAG_BROADCAST : flags & ~FLAG_BROADCAST;
            return this;
        }

        public Builder ciaddr(Ipv4 address) {
            this.ciaddr = Objects.requireNonNull(address);
            return this;
        }

        public Builder yiaddr(Ipv4 address) {
            this.yiaddr = Objects.requireNonNull(address);
            return this;
        }

        public Builder siaddr(Ipv4 address) {
            this.siaddr = Objects.requireNonNull(address);
            return this;
        }

        public Builder giaddr(Ipv4 address) {
            this.giaddr = Objects.requireNonNull(address);
            return this;
        }

        public Builder chaddr(HardwareAddress address) {
            this.chaddr = Objects.requireNonNull(address);
            return this;
        }

        public Builder sname(String sname) {
            this.sname = field("sname", sname, SNAME_LENGTH);
            return this;
        }

        public Builder file(String file) {
            this.file = field("file", file, FILE_LENGTH);
            return this;
        }

        /** Sets a registered option, replacing an earlier value of the same code in its place. */
        public <T> Builder put(OptionKey<T> key, T value) {
            return putRaw(key.code(), key.encode(value));
        }

        /**
         * Sets an option from its value bytes. A registered code must carry a valid value; option 52 is
         * refused because the encoder decides on overload.
         */
        public Builder putRaw(int code, byte[] value) {
            if (code == DhcpOptions.OVERLOAD) {
                throw new IllegalArgumentException("option 52 (option overload) is chosen by the encoder");
            }
            DhcpOption option = new DhcpOption(code, value);
            try {
                DhcpOptions.validate(code, option.valueNoCopy());
            } catch (DhcpParseException e) {
                throw new IllegalArgumentException("invalid value for " + e.getMessage(), e);
            }
            options.put(code, option);
            return this;
        }

        public Builder put(DhcpOption option) {
            return putRaw(option.code(), option.valueNoCopy());
        }

        public Builder remove(int code) {
            options.remove(code);
            return this;
        }

        public DhcpMessage build() {
            return new DhcpMessage(this);
        }

        /** Adds an option already checked by the decoder, keeping concatenated values as they came. */
        Builder putDecoded(DhcpOption option) {
            options.put(option.code(), option);
            return this;
        }

        private static int octet(String name, int value) {
            if (value < 0 || value > 255) {
                throw new IllegalArgumentException(name + " out of range 0..255: " + value);
            }
            return value;
        }

        private static int unsignedShort(String name, int value) {
            if (value < 0 || value > 0xffff) {
                throw new IllegalArgumentException(name + " out of range 0..65535: " + value);
            }
            return value;
        }

        private static String field(String name, String value, int size) {
            if (value.length() > size || !StandardCharsets.ISO_8859_1.newEncoder().canEncode(value)
                    || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(name + " must be at most " + size
                        + " Latin-1 characters without NUL: \"" + value + "\"");
            }
            return value;
        }
    }
}
