package dev.terway.cni.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON reader that needs nothing but java.base, so the short-lived `cni-terway`
 * client can look into its network configuration without loading a JSON library.
 *
 * <p>Values come back as {@code Map<String, Object>} (insertion ordered, unmodifiable),
 * {@code List<Object>} (unmodifiable), {@link String}, {@link JsonNumber}, {@link Boolean} and
 * {@link #NULL}. The reader is deliberately unforgiving, because the configuration comes from files an
 * operator edits and from runtimes that splice results into it: no comments, no trailing commas, no
 * duplicate member names (they make two readers disagree about the value), no unescaped control
 * characters, no lone surrogates, no byte-order mark, nothing after the value. Nesting depth and text
 * length are bounded so hostile input cannot exhaust the stack or the heap.
 *
 * <p>Why not Jackson, which the rest of terway uses (issue 12): jackson-core's streaming API doing this
 * job in the plugin (a JsonParser building these values, a JsonGenerator for what {@link JsonText} writes;
 * jackson-core on the class path and in the class-data archive, databind not loaded) costs every
 * `cni-terway` call about 5 ms: VERSION 23.9 → 28.3 ms wall, 23.1 → 27.7 ms CPU; a STATUS forwarded to the
 * daemon 28.7 → 34.2 ms wall, 23.4 → 29.0 ms CPU (medians of 150 interleaved calls, it/bench/startup.sh
 * --compare; over three rounds +4.4 to +5.6 ms wall and +4.6 to +5.6 ms CPU), some 120 more classes
 * loaded. A fifth of the call is more than the few ms the issue allowed. So this reader stays, confined to
 * CNI documents: the network configuration with its prevResult, results and errors, an IPAM plugin's
 * answer. The plugin must read them without a library, and the daemon reads the same documents by the same
 * rules (InvocationValidator, ConfigFields, ResultReader), so there is one definition of valid CNI input.
 * terway's own data (leases, attachment records, pending releases, the daemon protocol's envelope) uses
 * Jackson; MiniJsonConfinementTest lists who may use this package. README, "Start-up of one `cni-terway`
 * call", has the full figures.
 */
public final class MiniJson {

    /** JSON null, distinct from an absent member. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    public static final int DEFAULT_MAX_DEPTH = 64;
    public static final int DEFAULT_MAX_LENGTH = 1 << 20;

    private final String text;
    private final int maxDepth;
    private int pos;

    private MiniJson(String text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    public static Object parse(String text) throws JsonSyntaxException {
        return parse(text, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH);
    }

    public static Object parse(String text, int maxDepth, int maxLength) throws JsonSyntaxException {
        if (text.length() > maxLength) {
            throw new JsonSyntaxException("JSON text is " + text.length() + " characters, more than the limit of "
                    + maxLength, maxLength);
        }
        MiniJson reader = new MiniJson(text, maxDepth);
        reader.skipWhitespace();
        if (reader.pos == text.length()) {
            throw reader.error("empty input, expected a JSON value");
        }
        Object value = reader.value(0);
        reader.skipWhitespace();
        if (reader.pos != text.length()) {
            throw reader.error("unexpected " + reader.describeHere() + " after the JSON value");
        }
        return value;
    }

    /** Parses text that must be a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) throws JsonSyntaxException {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new JsonSyntaxException("expected a JSON object, got " + typeName(value), 0);
        }
        return (Map<String, Object>) value;
    }

    /** The JSON type name of a value this reader produced, for error messages. */
    public static String typeName(Object value) {
        if (value instanceof Map) {
            return "object";
        } else if (value instanceof List) {
            return "array";
        } else if (value instanceof String) {
            return "string";
        } else if (value instanceof JsonNumber) {
            return "number";
        } else if (value instanceof Boolean) {
            return "boolean";
        } else if (value == NULL) {
            return "null";
        }
        return "absent";
    }

    private Object value(int depth) throws JsonSyntaxException {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a JSON value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describeHere() + ", expected a JSON value");
        }
    }

    private Map<String, Object> object(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++; // {
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(members);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describeHere() + ", expected a member name in double quotes");
            }
            int nameAt = pos;
            String name = string();
            skipWhitespace();
            expect(':', "after member name \"" + name + "\"");
            skipWhitespace();
            Object value = value(depth);
            if (members.containsKey(name)) {
                pos = nameAt;
                throw error("duplicate member name \"" + name + "\"");
            }
            members.put(name, value);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return Collections.unmodifiableMap(members);
            } else {
                throw error("unexpected " + describeHere() + " in object, expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++; // [
        List<Object> items = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(items);
        }
        while (true) {
            skipWhitespace();
            items.add(value(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return Collections.unmodifiableList(items);
            } else {
                throw error("unexpected " + describeHere() + " in array, expected ',' or ']'");
            }
        }
    }

    private String string() throws JsonSyntaxException {
        int start = pos;
        pos++; // opening quote
        StringBuilder out = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String result;
                if (out == null) {
                    result = text.substring(runStart, pos);
                } else {
                    out.append(text, runStart, pos);
                    result = out.toString();
                }
                pos++;
                return result;
            }
            if (c < 0x20) {
                throw error("unescaped control character U+" + hex4(c) + " in string");
            }
            if (Character.isSurrogate(c)) {
                // Text decoded from UTF-8 cannot hold a lone surrogate, but a String handed in directly can.
                if (Character.isHighSurrogate(c) && pos + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(pos + 1))) {
                    pos += 2;
                    continue;
                }
                throw error("lone surrogate U+" + hex4(c) + " in string");
            }
            if (c == '\\') {
                if (out == null) {
                    out = new StringBuilder();
                }
                out.append(text, runStart, pos);
                pos++;
                escape(out);
                runStart = pos;
                continue;
            }
            pos++;
        }
    }

    private void escape(StringBuilder out) throws JsonSyntaxException {
        if (pos >= text.length()) {
            throw error("unterminated escape sequence");
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"': out.append('"'); break;
            case '\\': out.append('\\'); break;
            case '/': out.append('/'); break;
            case 'b': out.append('\b'); break;
            case 'f': out.append('\f'); break;
            case 'n': out.append('\n'); break;
            case 'r': out.append('\r'); break;
            case 't': out.append('\t'); break;
            case 'u': {
                char unit = hexUnit();
                if (Character.isHighSurrogate(unit)) {
                    if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                        pos += 2;
                        char low = hexUnit();
                        if (!Character.isLowSurrogate(low)) {
                            throw error("escaped high surrogate U+" + hex4(unit) + " is not followed by a low surrogate");
                        }
                        out.append(unit).append(low);
                        break;
                    }
                    throw error("escaped high surrogate U+" + hex4(unit) + " is not followed by a low surrogate");
                }
                if (Character.isLowSurrogate(unit)) {
                    throw error("escaped low surrogate U+" + hex4(unit) + " without a high surrogate");
                }
                out.append(unit);
                break;
            }
            default:
                pos--;
                throw error("invalid escape sequence \\" + printable(c));
        }
    }

    private char hexUnit() throws JsonSyntaxException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw error("invalid hex digit in \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private JsonNumber number() throws JsonSyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("number with a leading zero");
            }
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("'-' not followed by a digit");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("'.' in a number not followed by a digit");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("exponent of a number has no digits");
            }
            digits();
        }
        return new JsonNumber(text.substring(start, pos));
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) throws JsonSyntaxException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describeHere() + ", expected a JSON value");
        }
        pos += word.length();
    }

    private void checkDepth(int depth) throws JsonSyntaxException {
        if (depth > maxDepth) {
            throw error("nesting deeper than " + maxDepth + " levels");
        }
    }

    private void expect(char c, String where) throws JsonSyntaxException {
        if (peek() != c) {
            throw error("unexpected " + describeHere() + " " + where + ", expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or U+FFFF past the end (never valid at any point of the grammar). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\uffff';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    private String describeHere() {
        if (pos >= text.length()) {
            return "end of input";
        }
        return "'" + printable(text.charAt(pos)) + "'";
    }

    private static String printable(char c) {
        if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\ufeff') {
            return "U+" + hex4(c);
        }
        return String.valueOf(c);
    }

    private static String hex4(char c) {
        String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0000".substring(h.length()) + h;
    }

    private JsonSyntaxException error(String what) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < pos && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new JsonSyntaxException(what + " at line " + line + ", column " + column, pos);
    }
}
