package dev.terway.cni.json;

import java.math.BigDecimal;

/**
 * A JSON number kept as its text. Converting only on demand means a hostile number such as 1e999999999
 * costs nothing until someone asks for it, and then only fails for the field that wanted a number.
 */
public final class JsonNumber {

    private final String text;

    JsonNumber(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** True when the number is written without fraction or exponent, as an integer field expects. */
    public boolean isIntegral() {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.' || c == 'e' || c == 'E') {
                return false;
            }
        }
        return true;
    }

    /** The value as a long, or throws NumberFormatException when it is not an integer in long range. */
    public long longValueExact() {
        if (!isIntegral()) {
            throw new NumberFormatException("not an integer: " + text);
        }
        return Long.parseLong(text);
    }

    public BigDecimal decimalValue() {
        return new BigDecimal(text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonNumber n && n.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
