package dev.terway.dhcp.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Option 119 (RFC 3397): a sequence of DNS names in RFC 1035 wire format, compressed with pointers
 * whose offsets count from the start of the (concatenated) option value.
 *
 * <p>Decoding is safe against hostile pointers: a pointer must point before the start of the name
 * being read, and each further pointer of the same name before the previous target. Offsets therefore
 * strictly decrease and no loop can form; work per name is bounded by the value length.
 *
 * <p>The names end up in resolv.conf, so labels must pass {@link DomainNames}: anything else (dots
 * inside labels, spaces, newlines) is rejected rather than passed on.
 */
final class DomainSearchCodec implements OptionCodec<List<String>> {

    private static final int MAX_NAME_OCTETS = DomainNames.MAX_NAME_OCTETS;
    private static final int MAX_POINTER = 0x3fff;

    @Override
    public List<String> decode(WireReader in) throws DhcpParseException {
        byte[] data = in.bytes(in.remaining(), "search list");
        if (data.length == 0) {
            throw new DhcpParseException("empty search list");
        }
        List<String> names = new ArrayList<>();
        int position = 0;
        while (position < data.length) {
            int[] next = new int[1];
            names.add(readName(data, position, next, names.size() + 1));
            position = next[0];
        }
        return List.copyOf(names);
    }

    /** Reads the name starting at {@code start}; stores in {@code next[0]} where the following name starts. */
    private static String readName(byte[] data, int start, int[] next, int index) throws DhcpParseException {
        StringBuilder name = new StringBuilder();
        int position = start;
        int limit = start;          // the next pointer must point strictly below this
        int resume = -1;            // where the linear stream continues once this name is read
        int octets = 0;
        while (true) {
            if (position >= data.length) {
                throw new DhcpParseException("name " + index + " runs past the end of the search list");
            }
            int length = data[position] & 0xff;
            if (length == 0) {
                if (resume < 0) {
                    resume = position + 1;
                }
                break;
            }
            int kind = length & 0xc0;
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
                throw new DhcpParseException("name " + index + " has a label running past the end of the search list");
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

    /** Writes every name, replacing any suffix that was written before with a pointer to it. */
    @Override
    public void encode(List<String> names, WireWriter out) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a search list needs at least one name");
        }
        int base = out.size();
        Map<String, Integer> suffixOffsets = new HashMap<>();
        for (String name : names) {
            String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            String[] labels = trimmed.split("\\.", -1);
            int octets = 1;
            for (String label : labels) {
                String problem = DomainNames.labelProblem(label);
                if (problem != null) {
                    throw new IllegalArgumentException("search domain \"" + name + "\" " + problem);
                }
                octets += label.length() + 1;
            }
            if (octets > MAX_NAME_OCTETS) {
                throw new IllegalArgumentException("search domain \"" + name + "\" is longer than "
                        + MAX_NAME_OCTETS + " octets");
            }
            boolean pointed = false;
            for (int i = 0; i < labels.length; i++) {
                String suffix = String.join(".", List.of(labels).subList(i, labels.length));
                Integer earlier = suffixOffsets.get(suffix);
                if (earlier != null) {
                    out.u16(0xc000 | earlier);
                    pointed = true;
                    break;
                }
                int offset = out.size() - base;
                if (offset <= MAX_POINTER) {
                    suffixOffsets.put(suffix, offset);
                }
                byte[] label = labels[i].getBytes(StandardCharsets.US_ASCII);
                out.u8(label.length).bytes(label);
            }
            if (!pointed) {
                out.u8(0);
            }
        }
    }
}
