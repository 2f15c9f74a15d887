package dev.terway.cni.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MiniJsonTest {

    @Test
    void readsEveryKindOfValue() throws Exception {
        Object v = MiniJson.parse(" {\"s\":\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\",\"n\":-12.5e+3,\"i\":0,"
                + "\"t\":true,\"f\":false,\"z\":null,\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a\"b\\c/\né\uD83D\uDE00", m.get("s"));
        assertEquals("-12.5e+3", ((JsonNumber) m.get("n")).text());
        assertEquals(0L, ((JsonNumber) m.get("i")).longValueExact());
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertSame(MiniJson.NULL, m.get("z"));
        assertEquals(3, ((List<?>) m.get("a")).size());
        assertEquals(Map.of("k", "v"), m.get("o"));
        assertEquals(List.of("s", "n", "i", "t", "f", "z", "a", "o"), List.copyOf(m.keySet()), "member order kept");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "[01]", "[1.]", "[.5]", "[-]",
        "[1e]", "[+1]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\uZZZZ\"",
        "\"\u0001\"", "\"tab\there\"", "[1] [2]", "{\"a\":1}x", "// comment\n{}", "/* c */{}", "\ufeff{}",
        "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "[\"\ud800\"]", "{\"a\":1}\u0000"
    })
    void rejectsWhatIsNotStrictJson(String text) {
        assertThrows(JsonSyntaxException.class, () -> MiniJson.parse(text), text);
    }

    @Test
    void duplicateMemberNamesAreRefusedWithTheName() {
        JsonSyntaxException e = assertThrows(JsonSyntaxException.class,
                () -> MiniJson.parse("{\"type\":\"a\",\n\"type\":\"b\"}"));
        assertTrue(e.getMessage().contains("duplicate member name \"type\""), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void deepNestingIsBoundedNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> MiniJson.parse(deep, 64, 1 << 20));
        assertTrue(e.getMessage().contains("nesting deeper than 64"), e.getMessage());
        String objects = "{\"a\":".repeat(65) + "1" + "}".repeat(65);
        assertThrows(JsonSyntaxException.class, () -> MiniJson.parse(objects, 64, 1 << 20));
    }

    @Test
    void nestingUpToTheLimitIsFine() throws Exception {
        String ok = "[".repeat(64) + "]".repeat(64);
        MiniJson.parse(ok, 64, 1 << 20);
    }

    @Test
    void lengthIsBoundedBeforeParsing() {
        String big = "\"" + "a".repeat(2000) + "\"";
        JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> MiniJson.parse(big, 64, 1000));
        assertTrue(e.getMessage().contains("more than the limit of 1000"), e.getMessage());
    }

    @Test
    void hugeNumbersStayTextUntilAsked() throws Exception {
        JsonNumber n = (JsonNumber) MiniJson.parse("1e999999999");
        assertEquals("1e999999999", n.text());
        assertThrows(NumberFormatException.class, n::longValueExact);
        JsonNumber big = (JsonNumber) MiniJson.parse("123456789012345678901234567890");
        assertTrue(big.isIntegral());
        assertThrows(NumberFormatException.class, big::longValueExact);
    }

    @Test
    void errorsNameLineAndColumn() {
        JsonSyntaxException e = assertThrows(JsonSyntaxException.class,
                () -> MiniJson.parse("{\n  \"a\": [1,\n  2,,3]\n}"));
        assertEquals("unexpected ',', expected a JSON value at line 3, column 5", e.getMessage());
    }

    @Test
    void parseObjectInsistsOnAnObject() {
        assertThrows(JsonSyntaxException.class, () -> MiniJson.parseObject("[1]"));
    }

    @Test
    void writerRoundTripsThroughTheReader() throws Exception {
        String text = "{\"a\":\"\\u0001\\n\\\"\\\\é\uD83D\uDE00\",\"b\":[1,true,null,{\"c\":-0.5}]}";
        Object v = MiniJson.parse(text);
        assertEquals(text, JsonText.write(v));
        assertEquals(v, MiniJson.parse(JsonText.write(v)));
    }

    @Test
    void writerEscapesLoneSurrogatesAndControlCharacters() throws Exception {
        // a lone surrogate is not Unicode: written as U+FFFD, so the output is JSON every reader accepts
        assertEquals("\"\\ufffdx\\u001f\\u007f\"", JsonText.quote("\ud800x\u001f\u007f"));
        assertEquals("\ufffdx\ufffd", MiniJson.parse(JsonText.quote("\ud800x\udc00")), "each lone half becomes U+FFFD");
    }
}
