package dev.terway.dhcp.codec;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Option 119 (RFC 3397): a sequence of DNS names in RFC 1035 wire format, compressed with pointers
 * whose offsets count from the start of the (concatenated) option value. {@link DomainNameList} decodes
 * it, as it does DHCPv6's uncompressed domain list; encoding writes the pointers.
 *
 * <p>The names end up in resolv.conf, so labels must pass {@link DomainNames}: anything else (dots
 * inside labels, spaces, newlines) is rejected rather than passed on.
 */
final class DomainSearchCodec implements OptionCodec<List<String>> {

    private static final int MAX_NAME_OCTETS = DomainNames.MAX_NAME_OCTETS;
    private static final int MAX_POINTER = 0x3fff;

    @Override
    public List<String> decode(WireReader in) throws DhcpParseException {
        return DomainNameList.decode(in.bytes(in.remaining(), "search list"), "search list",
                DomainNameList.Compression.ALLOWED);
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
