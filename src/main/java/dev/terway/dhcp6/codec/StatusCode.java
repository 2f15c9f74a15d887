package dev.terway.dhcp6.codec;

/**
 * OPTION_STATUS_CODE (RFC 8415 §21.13): a code and a UTF-8 message for people. It may stand in the message
 * (about the whole exchange), in an IA_NA (about that IA) or in an IAADDR (about that address).
 */
public record StatusCode(int code, String message) implements Dhcp6Option {

    public static final int SUCCESS = 0;
    public static final int UNSPEC_FAIL = 1;
    public static final int NO_ADDRS_AVAIL = 2;
    public static final int NO_BINDING = 3;
    public static final int NOT_ON_LINK = 4;
    public static final int USE_MULTICAST = 5;
    public static final int NO_PREFIX_AVAIL = 6;

    public StatusCode {
        if (code < 0 || code > 0xffff) {
            throw new IllegalArgumentException("status code out of range 0..65535: " + code);
        }
        message = message == null ? "" : message;
    }

    public static StatusCode of(int code) {
        return new StatusCode(code, "");
    }

    public boolean success() {
        return code == SUCCESS;
    }

    public static String name(int code) {
        return switch (code) {
            case SUCCESS -> "Success";
            case UNSPEC_FAIL -> "UnspecFail";
            case NO_ADDRS_AVAIL -> "NoAddrsAvail";
            case NO_BINDING -> "NoBinding";
            case NOT_ON_LINK -> "NotOnLink";
            case USE_MULTICAST -> "UseMulticast";
            case NO_PREFIX_AVAIL -> "NoPrefixAvail";
            default -> "status " + code;
        };
    }

    /** "NoAddrsAvail \"pool exhausted\"", control characters shown as '?' (the text goes into log lines). */
    public String describe() {
        if (message.isEmpty()) {
            return name(code);
        }
        StringBuilder text = new StringBuilder(name(code)).append(" \"");
        message.codePoints().forEach(c -> text.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return text.append('"').toString();
    }

    @Override
    public int optionCode() {
        return Dhcp6Option.STATUS_CODE;
    }
}
