package dev.terway.dhcp.codec;

import java.util.Optional;

/**
 * The names this codec lets through to callers that write them into resolv.conf: dotted labels of
 * letters, digits, '-' and '_', each 1..63 octets, 255 octets in all. Anything else — spaces,
 * newlines, empty labels — could inject configuration, so it is refused with a reason.
 */
public final class DomainNames {

    static final int MAX_NAME_OCTETS = 255;
    static final int MAX_LABEL = 63;

    private DomainNames() {
    }

    /** Why {@code name} (one trailing dot allowed) is unacceptable, or empty when it is fine. */
    public static Optional<String> problem(String name) {
        String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (trimmed.isEmpty()) {
            return Optional.of("is empty");
        }
        if (trimmed.length() + 2 > MAX_NAME_OCTETS) {
            return Optional.of("is longer than " + MAX_NAME_OCTETS + " octets");
        }
        for (String label : trimmed.split("\\.", -1)) {
            String problem = labelProblem(label);
            if (problem != null) {
                return Optional.of(problem);
            }
        }
        return Optional.empty();
    }

    /** {@code name} without its trailing dot. */
    public static String canonical(String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /** Why a label may not be used, or null when it is fine. */
    public static String labelProblem(String label) {
        if (label.isEmpty()) {
            return "has an empty label";
        }
        if (label.length() > MAX_LABEL) {
            return "has a label longer than " + MAX_LABEL + " octets";
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
            if (!ok) {
                return "has a label with character 0x" + Integer.toHexString(c) + " (only letters, digits, '-' and '_')";
            }
        }
        return null;
    }
}
