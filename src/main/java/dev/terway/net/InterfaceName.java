package dev.terway.net;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The name of a network interface, valid by the kernel's rules: every place that takes a name from outside
 * (CNI_IFNAME, the network configuration's {@code bridge}, {@code terway setup --bridge}, the daemon's
 * requests, the native socket binding, stored records) checks it here, so they all agree.
 *
 * <p>The kernel's rule is {@code dev_valid_name()} in {@code net/core/dev.c}, applied by every path that
 * names a device (netlink's IFLA_IFNAME, {@code SIOCSIFNAME}, {@code SO_BINDTODEVICE} looks the name up):
 * <pre>
 * bool dev_valid_name(const char *name)
 * {
 *     if (*name == '\0')
 *         return false;
 *     if (strnlen(name, IFNAMSIZ) == IFNAMSIZ)
 *         return false;
 *     if (!strcmp(name, ".") || !strcmp(name, ".."))
 *         return false;
 *     while (*name) {
 *         if (*name == '/' || *name == ':' || isspace(*name))
 *             return false;
 *         name++;
 *     }
 *     return true;
 * }
 * </pre>
 * It works on bytes: 1 to 15 of them ({@code IFNAMSIZ} is 16, with the terminating NUL), here the name's
 * UTF-8, which is what {@code ip} and the native binding hand the kernel. The kernel's {@code isspace()}
 * ({@code lib/ctype.c}) is true for tab, newline, vertical tab, form feed, carriage return, space and the
 * byte 0xA0, so a character whose UTF-8 holds 0xA0 ({@code à} is C3 A0) is refused too (checked with
 * {@code ip link add} in a scratch namespace: "a\u00e0" is refused with EINVAL, "a\u2003" is taken).
 *
 * <p>Stricter than the kernel in one respect, on purpose: control characters (NUL, U+0001..U+001F,
 * U+007F..U+009F) and Unicode whitespace (U+2003, U+2028, …) are refused although the kernel would take
 * all but NUL. Such a name reads as two words or two lines in a log or in {@code ip link}, and no runtime
 * or operator picks one.
 *
 * <p>java.base only: the thin `cni-terway` client checks CNI_IFNAME with it on every call.
 */
public record InterfaceName(String value) {

    /** {@code IFNAMSIZ} (16) less the terminating NUL. */
    public static final int MAX_BYTES = 15;

    /** @throws IllegalArgumentException naming the name (escaped) and exactly what is wrong with it */
    public InterfaceName {
        Objects.requireNonNull(value, "interface name");
        String why = problem(value);
        if (why != null) {
            throw new IllegalArgumentException("interface name " + quoted(value) + " " + why);
        }
    }

    /** The name, checked. */
    public static InterfaceName of(String name) {
        return new InterfaceName(name);
    }

    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    /**
     * Why {@code name} cannot be an interface name, as a predicate to append to the name ("must not be
     * empty", "must be at most 15 bytes …"), or null when it can.
     */
    public static String problem(String name) {
        if (name == null) {
            return "must be given";
        }
        if (name.isEmpty()) {
            return "must not be empty";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "is not valid Unicode (an unpaired surrogate, " + codePoint(c) + ", at character " + (i + 1)
                        + ")";
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return "must be at most " + MAX_BYTES + " bytes long (IFNAMSIZ less the NUL); it is " + bytes
                    + (bytes == name.length() ? "" : " bytes in UTF-8");
        }
        if (name.equals(".") || name.equals("..")) {
            return "must not be \".\" or \"..\"";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            String refused = refused(cp);
            if (refused != null) {
                return "must not contain " + refused;
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    /** The name's bytes as the kernel gets them. */
    public byte[] utf8() {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** The name's bytes with the terminating NUL, for C. */
    public byte[] nulTerminated() {
        byte[] bytes = utf8();
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    @Override
    public String toString() {
        return value;
    }

    /** {@code text} in double quotes, control characters escaped, for messages about a refused name. */
    public static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\x%02x", (int) c));
            } else if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** What is wrong with one code point, or null when it may stand in a name. */
    private static String refused(int cp) {
        switch (cp) {
            case '/':
                return "'/'";
            case ':':
                return "':'";
            case 0:
                return "a NUL byte";
            case ' ':
                return "a space";
            case '\t':
                return "a tab (U+0009)";
            case '\n':
                return "a newline (U+000A)";
            case '\r':
                return "a carriage return (U+000D)";
            default:
                break;
        }
        if (cp == 0x0b || cp == 0x0c || (cp > 0x7f && (Character.isWhitespace(cp) || Character.isSpaceChar(cp)))) {
            return "whitespace (" + codePoint(cp) + ")";
        }
        if (Character.isISOControl(cp)) {
            return "a control character (" + codePoint(cp) + ")";
        }
        if (cp >= 0x80) {
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                if ((b & 0xff) == 0xa0) {
                    return "'" + new String(Character.toChars(cp)) + "' (" + codePoint(cp) + "): its UTF-8 has the"
                            + " byte 0xA0, which the kernel's isspace() takes for a space";
                }
            }
        }
        return null;
    }

    private static String codePoint(int cp) {
        return String.format("U+%04X", cp);
    }
}
