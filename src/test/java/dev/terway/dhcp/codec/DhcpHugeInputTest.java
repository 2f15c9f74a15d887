package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Inputs far beyond a datagram: the decoder is handed a byte array by callers that might not bound it,
 * so ten megabytes of options (every code, split into RFC 3396 fragments that concatenate) must end in a
 * decoded message or a parse error, not a hang or an out-of-memory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class DhcpHugeInputTest {

    private static byte[] withOptions(byte[] options) {
        byte[] head = Arrays.copyOf(DhcpMessageTest.DNSMASQ_ACK, DhcpMessage.OPTIONS_OFFSET);
        byte[] packet = Arrays.copyOf(head, head.length + options.length + 1);
        System.arraycopy(options, 0, packet, head.length, options.length);
        packet[packet.length - 1] = (byte) 255;
        return packet;
    }

    private static void decodeOrRefuse(byte[] packet) {
        try {
            DhcpMessage.decode(packet);
        } catch (DhcpParseException refused) {
            assertTrue(refused.getMessage() != null);
        }
    }

    @Test
    void tenMegabytesOfFragmentsOfOneOptionForEachInterestingCode() {
        for (int code : new int[] {1, 3, 6, 12, 15, 51, 52, 53, 54, 61, 119, 121, 0}) {
            ByteArrayOutputStream options = new ByteArrayOutputStream();
            options.write(53);
            options.write(1);
            options.write(5);
            byte[] fragment = new byte[255];
            Arrays.fill(fragment, (byte) (code == 121 ? 8 : 1));
            while (options.size() < 10 << 20) {
                options.write(code);
                if (code != 0) {
                    options.write(255);
                    options.write(fragment, 0, 255);
                }
            }
            decodeOrRefuse(withOptions(options.toByteArray()));
        }
    }

    @Test
    void tenMegabytesOfRandomBytesAfterAValidHeader() {
        byte[] junk = new byte[10 << 20];
        new java.util.Random(42).nextBytes(junk);
        decodeOrRefuse(withOptions(junk));
        byte[] raw = new byte[10 << 20];
        new java.util.Random(43).nextBytes(raw);
        decodeOrRefuse(raw);
    }
}
