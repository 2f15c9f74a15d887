package dev.terway.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InterfaceNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"eth0", "a", "abcdefghijklmno", "mybr0", "net-1_x.y", "-rf", "$(reboot)", "é", "日本",
        "ééééééé", "\u202e", "x*", ".x", "...", "tw6ad2516ced2a6"})
    void namesTheKernelTakesAreValid(String name) {
        assertNull(InterfaceName.problem(name), name);
        assertEquals(name, InterfaceName.of(name).value());
        assertEquals(name, InterfaceName.of(name).toString());
    }

    @Test
    void eachRefusalSaysWhy() {
        assertEquals("must not be empty", InterfaceName.problem(""));
        assertEquals("must be given", InterfaceName.problem(null));
        assertEquals("must not be \".\" or \"..\"", InterfaceName.problem("."));
        assertEquals("must not be \".\" or \"..\"", InterfaceName.problem(".."));
        assertEquals("must be at most 15 bytes long (IFNAMSIZ less the NUL); it is 16",
                InterfaceName.problem("abcdefghijklmnop"));
        // 8 characters, 16 bytes: too long for IFNAMSIZ although it looks short
        assertEquals("must be at most 15 bytes long (IFNAMSIZ less the NUL); it is 16 bytes in UTF-8",
                InterfaceName.problem("éééééééé"));
        assertEquals("must not contain '/'", InterfaceName.problem("eth/0"));
        assertEquals("must not contain ':'", InterfaceName.problem("eth0:1"));
        assertEquals("must not contain a space", InterfaceName.problem("eth 0"));
        assertEquals("must not contain a tab (U+0009)", InterfaceName.problem("eth\t0"));
        assertEquals("must not contain a newline (U+000A)", InterfaceName.problem("eth\n0"));
        assertEquals("must not contain whitespace (U+000B)", InterfaceName.problem("eth\u000b0"));
        assertEquals("must not contain a NUL byte", InterfaceName.problem("eth\u00000"));
        assertEquals("must not contain a control character (U+0001)", InterfaceName.problem("eth\u00010"));
        assertEquals("must not contain a control character (U+007F)", InterfaceName.problem("eth\u007f"));
        assertEquals("must not contain whitespace (U+00A0)", InterfaceName.problem("eth\u00a00"));
        assertEquals("must not contain whitespace (U+2028)", InterfaceName.problem("a\u2028b"));
        assertEquals("must not contain 'à' (U+00E0): its UTF-8 has the byte 0xA0, which the kernel's isspace()"
                + " takes for a space", InterfaceName.problem("voilà"));
        assertEquals("is not valid Unicode (an unpaired surrogate, U+D800, at character 2)",
                InterfaceName.problem("a\ud800b"));
    }

    @Test
    void theConstructorNamesTheNameEscaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("ab\u0000c"));
        assertEquals("interface name \"ab\\x00c\" must not contain a NUL byte", e.getMessage());
        assertThrows(NullPointerException.class, () -> new InterfaceName(null));
    }

    @Test
    void bytesAreUtf8WithTheNulForC() {
        assertArrayEquals(new byte[] {'e', 't', 'h', '0', 0}, InterfaceName.of("eth0").nulTerminated());
        assertEquals(15, InterfaceName.of("ééééééé").nulTerminated().length); // 14 bytes + NUL
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), InterfaceName.of("é").utf8());
    }

    /**
     * The rule is the kernel's: every name is tried with {@code ip link add} in a scratch network namespace
     * ({@code unshare -n}, never the node's), and the kernel must take exactly the names this type accepts,
     * except where it is stricter on purpose (control characters and Unicode whitespace). Needs root and
     * veth; skipped elsewhere.
     */
    @Test
    void theKernelAgrees() throws Exception {
        List<String> names = List.of("eth0", "abcdefghijklmno", "abcdefghijklmnop", "ééééééé", "éééééééé", ".", "..",
                "...", "a/b", "a:b", "a b", "a\tb", "a\u000bb", "a\u000cb", "a\rb", "a\u00a0b", "voilà", "a\u2003b",
                "日本", "é", "-rf", "$x", "a\"b", "\u202e");
        List<String> strictOnPurpose = List.of("a\u2003b");
        String script = "i=0; for e in \"$@\"; do i=$((i+1)); n=$(printf \"${e}x\"); n=${n%x};"
                + " if ip link add \"$n\" type veth peer name p$i 2>/dev/null; then echo 1; else echo 0; fi; done";
        List<String> argv = new ArrayList<>(List.of("unshare", "-n", "sh", "-c", script, "sh", "ok0"));
        for (String name : names) {
            argv.add(octal(name));
        }
        List<String> answers;
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            answers = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "unshare -n is not allowed here");
        } catch (java.io.IOException e) {
            assumeTrue(false, "no unshare here: " + e.getMessage());
            return;
        }
        assumeTrue(answers.size() == names.size() + 1 && answers.get(0).equals("1"),
                "cannot create a veth in a scratch namespace here: " + answers);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            boolean kernel = answers.get(i + 1).equals("1");
            if (strictOnPurpose.contains(name)) {
                assertTrue(kernel, name + ": the kernel takes it");
                assertFalse(InterfaceName.isValid(name), name + ": refused on purpose");
            } else {
                assertEquals(kernel, InterfaceName.isValid(name), InterfaceName.quoted(name) + ": kernel "
                        + (kernel ? "takes" : "refuses") + " it; InterfaceName says " + InterfaceName.problem(name));
            }
        }
    }

    /** {@code name}'s UTF-8 as printf's octal escapes, so any byte survives argv and the locale. */
    private static String octal(String name) {
        StringBuilder s = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            s.append(String.format("\\%03o", b & 0xff));
        }
        return s.toString();
    }
}
