package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShellQuoteTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "eth0|eth0",
        "10.0.0.1/24|10.0.0.1/24",
        "fe80::1|fe80::1",
        "a b|'a b'",
        "it's|'it'\\''s'",
        "$(reboot)|'$(reboot)'",
        "x;y|'x;y'",
        "*|'*'",
    })
    void quotesOnlyWhatTheShellWouldInterpret(String word, String expected) {
        assertEquals(expected, ShellQuote.quote(word));
    }

    @Test
    void quotesEmptyWord() {
        assertEquals("''", ShellQuote.quote(""));
    }

    @Test
    void quotedArgvRoundTripsThroughARealShell() throws Exception {
        List<String> argv = List.of("printf", "%s\\n", "a b", "it's", "$HOME", "`id`", "new\nline", "");
        Process p = new ProcessBuilder("sh", "-c", ShellQuote.join(argv)).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        assertEquals("a b\nit's\n$HOME\n`id`\nnew\nline\n\n", out);
    }
}
