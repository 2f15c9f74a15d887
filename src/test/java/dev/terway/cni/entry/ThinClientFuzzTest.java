package dev.terway.cni.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.json.JsonSyntaxException;
import dev.terway.cni.json.MiniJson;
import dev.terway.cni.spec.CniReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the thin client reads: the daemon's {@code <status>\n<body>} answer and JSON (its network
 * configuration) with the java.base-only reader. Generated input only ever yields the documented
 * exception types.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class ThinClientFuzzTest {

    private static final Path SOCKET = Path.of("/run/terway/dhcp.sock");

    @Test
    void daemonAnswersAreParsedOrRefusedAsIoErrors() {
        Random random = new Random(0xa5a5L);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] answer;
            if (i % 2 == 0) {
                answer = new byte[random.nextInt(40)];
                random.nextBytes(answer);
            } else {
                String status = (random.nextBoolean() ? "-" : "") + Long.toString(Math.abs(random.nextLong()))
                        .substring(0, 1 + random.nextInt(15));
                answer = (status + "\n" + "{\"x\":1}").getBytes(StandardCharsets.UTF_8);
            }
            try {
                CniReply reply = UnixSocketTransport.parse(SOCKET, answer);
                parsed++;
                String text = new String(answer, StandardCharsets.ISO_8859_1);
                assertEquals(Integer.parseInt(text.substring(0, text.indexOf('\n'))), reply.exitCode(), text);
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("terway daemon"), expected.getMessage());
            }
        }
        assertTrue(parsed > 1000, "parsed " + parsed);
    }

    @Test
    void aStatusThatWouldOverflowIsMalformedNotAWrappedExitCode() {
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(SOCKET,
                "99999999999\n{}".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(SOCKET,
                "4294967297\n{}".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void theJsonReaderOnlyEverThrowsItsSyntaxError() throws Exception {
        Random random = new Random(0x5eedL);
        String seed = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"mtu\":1500,"
                + "\"dns\":{\"nameservers\":[\"10.0.0.53\"]},\"x\":[true,false,null,-1.5e3,\"\\u00e9\\n\"]}";
        int ok = 0;
        for (int i = 0; i < 20_000; i++) {
            String text;
            switch (i % 4) {
                case 0 -> {
                    byte[] b = new byte[random.nextInt(120)];
                    random.nextBytes(b);
                    text = new String(b, StandardCharsets.UTF_8);
                }
                case 1 -> {
                    char[] c = seed.toCharArray();
                    for (int k = 0; k < 1 + random.nextInt(3); k++) {
                        c[random.nextInt(c.length)] = (char) random.nextInt(0x10000);
                    }
                    text = new String(c);
                }
                case 2 -> text = seed.substring(0, random.nextInt(seed.length() + 1));
                default -> text = "[".repeat(random.nextInt(3000)) + "1" + "]".repeat(random.nextInt(3000));
            }
            try {
                MiniJson.parse(text, 32, 1 << 20);
                ok++;
            } catch (JsonSyntaxException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            }
        }
        assertTrue(ok > 0, "some mutations stay valid JSON");
        String tenMegabytes = "\"" + "a".repeat(10 << 20) + "\"";
        JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> MiniJson.parse(tenMegabytes, 32, 1 << 20));
        assertTrue(e.getMessage().contains("more than the limit"), e.getMessage());
        // A huge number is kept as its text: reading it costs no more than its length.
        MiniJson.parse("[" + "9".repeat(900_000) + "e99999999999]");
    }
}
