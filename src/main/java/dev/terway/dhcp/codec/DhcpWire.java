package dev.terway.dhcp.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Wire layout of {@link DhcpMessage}: RFC 2131 section 2 header, RFC 2132 options, RFC 3396 splitting. */
final class DhcpWire {

    private static final int MAX_INSTANCE = 255;
    private static final int OVERLOAD_FILE = 1;
    private static final int OVERLOAD_SNAME = 2;

    private DhcpWire() {
    }

    // ---- decoding ----

    static DhcpMessage decode(byte[] data, int offset, int length) throws DhcpParseException {
        WireReader in = new WireReader(data, offset, length);
        if (length < DhcpMessage.OPTIONS_OFFSET) {
            throw new DhcpParseException("message of " + length + " bytes is shorter than the "
                    + DhcpMessage.OPTIONS_OFFSET + "-byte BOOTP header and magic cookie");
        }
        int op = in.u8("op");
        if (op != DhcpMessage.BOOTREQUEST && op != DhcpMessage.BOOTREPLY) {
            throw new DhcpParseException("op " + op + " is neither BOOTREQUEST (1) nor BOOTREPLY (2)");
        }
        int htype = in.u8("htype");
        int hlen = in.u8("hlen");
        if (hlen > HardwareAddress.MAX_LENGTH) {
            throw new DhcpParseException("hlen " + hlen + " exceeds the 16-byte chaddr field");
        }
        DhcpMessage.Builder b = DhcpMessage.builder().op(op).htype(htype)
                .hops(in.u8("hops"))
                .xid(in.u32("xid"))
                .secs(in.u16("secs"))
                .flags(in.u16("flags"))
                .ciaddr(in.ipv4("ciaddr"))
                .yiaddr(in.ipv4("yiaddr"))
                .siaddr(in.ipv4("siaddr"))
                .giaddr(in.ipv4("giaddr"));
        byte[] chaddr = in.bytes(HardwareAddress.MAX_LENGTH, "chaddr");
        b.chaddr(HardwareAddress.of(Arrays.copyOf(chaddr, hlen)));
        int snameStart = offset + in.position();
        in.skip(DhcpMessage.SNAME_LENGTH, "sname");
        int fileStart = offset + in.position();
        in.skip(DhcpMessage.FILE_LENGTH, "file");
        int cookie = in.u32("magic cookie");
        if (cookie != DhcpMessage.MAGIC_COOKIE) {
            throw new DhcpParseException(String.format(
                    "missing DHCP magic cookie 99.130.83.99 (found 0x%08x): a plain BOOTP packet", cookie));
        }

        Fragments fragments = new Fragments();
        int optionsStart = offset + in.position();
        parseArea(data, optionsStart, offset + length, "options field", true, fragments);
        int overload = fragments.overload();
        // RFC 2131 section 4.1: options field first, then file, then sname.
        if ((overload & OVERLOAD_FILE) != 0) {
            parseArea(data, fileStart, fileStart + DhcpMessage.FILE_LENGTH, "file field", false, fragments);
        } else {
            b.file(cString(data, fileStart, DhcpMessage.FILE_LENGTH));
        }
        if ((overload & OVERLOAD_SNAME) != 0) {
            parseArea(data, snameStart, snameStart + DhcpMessage.SNAME_LENGTH, "sname field", false, fragments);
        } else {
            b.sname(cString(data, snameStart, DhcpMessage.SNAME_LENGTH));
        }
        for (Map.Entry<Integer, WireWriter> entry : fragments.values.entrySet()) {
            byte[] value = entry.getValue().toByteArray();
            DhcpOptions.validate(entry.getKey(), value);
            b.putDecoded(new DhcpOption(entry.getKey(), value));
        }
        return b.build();
    }

    /** Option instances of one code, concatenated in the order met (RFC 3396 section 5). */
    private static final class Fragments {
        final Map<Integer, WireWriter> values = new LinkedHashMap<>();
        WireWriter overload;

        int overload() throws DhcpParseException {
            if (overload == null) {
                return 0;
            }
            byte[] value = overload.toByteArray();
            if (value.length != 1 || value[0] < 1 || value[0] > 3) {
                throw new DhcpParseException("option 52 (option overload) must be one byte 1, 2 or 3");
            }
            return value[0];
        }
    }

    private static void parseArea(byte[] data, int start, int end, String area, boolean optionsField,
                                  Fragments fragments) throws DhcpParseException {
        int position = start;
        while (position < end) {
            int code = data[position] & 0xff;
            if (code == DhcpOptions.END) {
                return;
            }
            if (code == DhcpOptions.PAD) {
                position++;
                continue;
            }
            if (position + 1 >= end) {
                throw new DhcpParseException(DhcpOptions.name(code) + " in the " + area
                        + " is cut off before its length octet");
            }
            int length = data[position + 1] & 0xff;
            if (position + 2 + length > end) {
                throw new DhcpParseException(DhcpOptions.name(code) + " in the " + area + " claims " + length
                        + " bytes but only " + (end - position - 2) + " remain");
            }
            WireWriter target;
            if (code == DhcpOptions.OVERLOAD) {
                if (!optionsField) {
                    throw new DhcpParseException("option 52 (option overload) may only appear in the options field, "
                            + "found in the " + area);
                }
                if (fragments.overload == null) {
                    fragments.overload = new WireWriter();
                }
                target = fragments.overload;
            } else {
                target = fragments.values.computeIfAbsent(code, c -> new WireWriter());
            }
            target.bytes(data, position + 2, length);
            position += 2 + length;
        }
        // Reaching the end of an area without an END option is tolerated: the data is complete.
    }

    private static String cString(byte[] data, int start, int size) {
        int end = start;
        while (end < start + size && data[end] != 0) {
            end++;
        }
        return new String(data, start, end - start, StandardCharsets.ISO_8859_1);
    }

    // ---- encoding ----

    static byte[] encode(DhcpMessage m, int maxMessageSize) {
        if (maxMessageSize < DhcpMessage.MIN_SIZE) {
            throw new IllegalArgumentException("maximum message size " + maxMessageSize + " is below the "
                    + DhcpMessage.MIN_SIZE + "-byte BOOTP minimum");
        }
        int optionBytes = 0;
        for (DhcpOption option : m.options()) {
            int instances = Math.max(1, (option.length() + MAX_INSTANCE - 1) / MAX_INSTANCE);
            optionBytes += option.length() + 2 * instances;
        }
        long plain = (long) DhcpMessage.OPTIONS_OFFSET + optionBytes + 1;
        WireWriter optionsField = new WireWriter();
        byte[] file = field(m.file(), DhcpMessage.FILE_LENGTH);
        byte[] sname = field(m.sname(), DhcpMessage.SNAME_LENGTH);
        if (plain <= maxMessageSize) {
            for (DhcpOption option : m.options()) {
                writeInstances(optionsField, option.code(), option.valueNoCopy(), 0, option.length());
            }
            optionsField.u8(DhcpOptions.END);
        } else {
            List<Area> areas = new ArrayList<>();
            Area options = new Area(maxMessageSize - DhcpMessage.OPTIONS_OFFSET - 3 - 1, 0);
            areas.add(options);
            Area fileArea = null;
            Area snameArea = null;
            if (m.file().isEmpty()) {
                fileArea = new Area(DhcpMessage.FILE_LENGTH - 1, OVERLOAD_FILE);
                areas.add(fileArea);
            }
            if (m.sname().isEmpty()) {
                snameArea = new Area(DhcpMessage.SNAME_LENGTH - 1, OVERLOAD_SNAME);
                areas.add(snameArea);
            }
            int used = pack(m.options(), areas, optionBytes, maxMessageSize);
            optionsField.u8(DhcpOptions.OVERLOAD).u8(1).u8(used);
            optionsField.bytes(options.out.toByteArray()).u8(DhcpOptions.END);
            if (fileArea != null && (used & OVERLOAD_FILE) != 0) {
                file = fileArea.finish(DhcpMessage.FILE_LENGTH);
            }
            if (snameArea != null && (used & OVERLOAD_SNAME) != 0) {
                sname = snameArea.finish(DhcpMessage.SNAME_LENGTH);
            }
        }

        WireWriter out = new WireWriter();
        out.u8(m.op()).u8(m.htype()).u8(m.hlen()).u8(m.hops()).u32(m.xid()).u16(m.secs()).u16(m.flags())
                .ipv4(m.ciaddr()).ipv4(m.yiaddr()).ipv4(m.siaddr()).ipv4(m.giaddr());
        byte[] chaddr = m.chaddr().toBytes();
        out.bytes(chaddr).zeros(HardwareAddress.MAX_LENGTH - chaddr.length);
        out.bytes(sname).bytes(file).u32(DhcpMessage.MAGIC_COOKIE);
        out.bytes(optionsField.toByteArray());
        if (out.size() < DhcpMessage.MIN_SIZE) {
            out.zeros(DhcpMessage.MIN_SIZE - out.size());
        }
        return out.toByteArray();
    }

    private static void writeInstances(WireWriter out, int code, byte[] value, int from, int length) {
        if (length == 0) {
            out.u8(code).u8(0);
            return;
        }
        int position = from;
        while (position < from + length) {
            int chunk = Math.min(MAX_INSTANCE, from + length - position);
            out.u8(code).u8(chunk).bytes(value, position, chunk);
            position += chunk;
        }
    }

    /** One place options may go, with room for {@code capacity} bytes before its END option. */
    private static final class Area {
        final int capacity;
        final int overloadBit;
        final WireWriter out = new WireWriter();

        Area(int capacity, int overloadBit) {
            this.capacity = capacity;
            this.overloadBit = overloadBit;
        }

        int free() {
            return capacity - out.size();
        }

        byte[] finish(int size) {
            out.u8(DhcpOptions.END);
            out.zeros(size - out.size());
            return out.toByteArray();
        }
    }

    /**
     * Streams the options through the areas in RFC order, splitting a value wherever an area fills
     * (RFC 3396 allows any split). Returns the overload bits of the spill areas used.
     */
    private static int pack(List<DhcpOption> options, List<Area> areas, int optionBytes, int maxMessageSize) {
        int index = 0;
        int used = 0;
        for (DhcpOption option : options) {
            byte[] value = option.valueNoCopy();
            int position = 0;
            do {
                Area area = areas.get(index);
                int need = value.length == 0 ? 2 : 3;
                while (area.free() < need) {
                    index++;
                    if (index == areas.size()) {
                        throw new IllegalArgumentException("options need " + optionBytes + " bytes, more than fit in "
                                + "a message of at most " + maxMessageSize + " bytes even with option overload");
                    }
                    area = areas.get(index);
                }
                used |= area.overloadBit;
                int chunk = Math.min(Math.min(MAX_INSTANCE, area.free() - 2), value.length - position);
                area.out.u8(option.code()).u8(chunk).bytes(value, position, chunk);
                position += chunk;
            } while (position < value.length);
        }
        return used;
    }

    private static byte[] field(String text, int size) {
        byte[] out = new byte[size];
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        return out;
    }
}
