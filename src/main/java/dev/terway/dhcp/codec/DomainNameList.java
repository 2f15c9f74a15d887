package dev.terway.dhcp.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a sequence of DNS names in RFC 1035 wire format, the value of DHCPv4 option 119 (RFC 3397) and of
 * DHCPv6 option 24 (RFC 3646 §4). The two differ only in compression: RFC 3397 allows pointers, whose offsets
 * count from the start of the option value; RFC 8415 §10 forbids them, so a DHCPv6 list refuses any pointer.
 *
 * <p>Decoding is safe against hostile pointers: a pointer must point before the start of the name being read,
 * and each further pointer of the same name before the previous target. Offsets therefore strictly decrease and
 * no loop can form; work per name is bounded by the value length.
 *
 * <p>The names end up in resolv.conf, so labels must pass {@link DomainNames}: anything else (dots inside
 * labels, spaces, newlines) is rejected rather than passed on.
 */
public final class DomainNameList {

    /** Whether the list may use RFC 1035 compression pointers. */
    public enum Compression {
        /** DHCPv4 option 119: pointers allowed. */
        ALLOWED,
        /** DHCPv6 option 24: names are never compressed. */
        REFUSED
    }

    private static final int MAX_NAME_OCTETS = DomainNames.MAX_NAME_OCTETS;

    private DomainNameList() {
    }

    /**
     * The names of {@code data}, at least one, in order.
     *
     * @param listName what the errors call the list, as its RFC names it ("search list", "domain list")
     */
    public static List<String> decode(byte[] data, String listName, Compression compression)
            throws DhcpParseException {
        if (data.length == 0) {
            throw new DhcpParseException("empty " + listName);
        }
        List<String> names = new ArrayList<>();
        int position = 0;
        while (position < data.length) {
            int[] next = new int[1];
            names.add(readName(data, position, next, names.size() + 1, listName, compression));
            position = next[0];
        }
        return List.copyOf(names);
    }

    /** Reads the name starting at {@code start}; stores in {@code next[0]} where the following name starts. */
    private static String readName(byte[] data, int start, int[] next, int index, String listName,
            Compression compression) throws DhcpParseException {
        StringBuilder name = new StringBuilder();
        int position = start;
        int limit = start;          // the next pointer must point strictly below this
        int resume = -1;            // where the linear stream continues once this name is read
        int octets = 0;
        while (true) {
            if (position >= data.length) {
                throw new DhcpParseException("name " + index + " runs past the end of the " + listName);
            }
            int length = data[position] & 0xff;
            if (length == 0) {
                if (resume < 0) {
                    resume = position + 1;
                }
                break;
            }
            int kind = length & 0xc0;
            if (kind != 0 && compression == Compression.REFUSED) {
                throw new DhcpParseException("name " + index + " has a compression pointer or reserved label"
                        + " type at offset " + position + " (DHCPv6 names are never compressed)");
            }
            if (kind == 0xc0) {
                if (position + 1 >= data.length) {
                    throw new DhcpParseException("name " + index + " has a truncated compression pointer");
                }
                int target = (length & 0x3f) << 8 | data[position + 1] & 0xff;
                if (target >= limit) {
                    throw new DhcpParseException("name " + index + " has a compression pointer to offset " + target
                            + " that does not point backwards (offset " + position + ")");
                }
                if (resume < 0) {
                    resume = position + 2;
                }
                limit = target;
                position = target;
                continue;
            }
            if (kind != 0) {
                throw new DhcpParseException("name " + index + " uses reserved label type 0x"
                        + Integer.toHexString(kind) + " at offset " + position);
            }
            if (position + 1 + length > data.length) {
                throw new DhcpParseException("name " + index + " has a label running past the end of the "
                        + listName);
            }
            octets += length + 1;
            if (octets + 1 > MAX_NAME_OCTETS) {
                throw new DhcpParseException("name " + index + " is longer than " + MAX_NAME_OCTETS + " octets");
            }
            String label = new String(data, position + 1, length, StandardCharsets.ISO_8859_1);
            String problem = DomainNames.labelProblem(label);
            if (problem != null) {
                throw new DhcpParseException("name " + index + " " + problem);
            }
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(label);
            position += 1 + length;
        }
        if (name.length() == 0) {
            throw new DhcpParseException("name " + index + " is the empty root name");
        }
        next[0] = resume;
        return name.toString();
    }
}
