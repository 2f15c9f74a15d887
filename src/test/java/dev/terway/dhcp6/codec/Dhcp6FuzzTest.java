package dev.terway.dhcp6.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.codec.DecoderFuzzer;
import dev.terway.dhcp.codec.DhcpParseException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds the DHCPv6 decoder random, structured-random, mutated and truncated messages through
 * {@link DecoderFuzzer}: a decoded message must survive an encode/decode round trip. The timeout guards
 * against hangs, not speed.
 */
class Dhcp6FuzzTest {

    private static final long SEED = 0x6d6863L;
    private static final int[] CODES = {1, 2, 3, 5, 6, 7, 8, 12, 13, 14, 23, 24, 99};

    private int decodedWithAddresses;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void decoderOnlyEverThrowsParseExceptions() {
        DecoderFuzzer<Dhcp6Message> fuzzer = new DecoderFuzzer<>(
                packet -> Dhcp6Message.decode(packet, 0, packet.length), this::check);
        List<byte[]> corpus = List.of(Dhcp6MessageTest.SOLICIT_WIRE, Dhcp6MessageTest.ADVERTISE_WIRE,
                Dhcp6MessageTest.DNSMASQ_ADVERTISE_CAPTURE);
        fuzzer.run(new Random(SEED), corpus, new DecoderFuzzer.Mix(3000, 400, 6000, 6000),
                Dhcp6FuzzTest::structured, Dhcp6FuzzTest::mutate);
        int total = fuzzer.total();
        int rejected = fuzzer.rejected();
        System.out.printf("dhcp6 fuzz: %d messages, %d decoded (%d with IA addresses), %d rejected%n", total,
                fuzzer.decoded(), decodedWithAddresses, rejected);
        assertTrue(total >= 15_000, "fed " + total);
        assertTrue(decodedWithAddresses > 1000, "decoded with addresses: " + decodedWithAddresses);
        assertTrue(rejected > 3000, "rejected: " + rejected);
    }

    /** A decoded message must be readable, describe its status and survive an encode/decode round trip. */
    private void check(Dhcp6Message m) throws DhcpParseException {
        if (m.all(Dhcp6Option.IaNa.class).stream().anyMatch(ia -> !ia.addresses().isEmpty())) {
            decodedWithAddresses++;
        }
        m.toString();
        m.status().describe();
        assertEquals(m, Dhcp6Message.decode(m.encode()));
    }

    /** A few bit flips or random bytes anywhere, and now and then a truncation. */
    private static byte[] mutate(Random random, byte[] packet) {
        int edits = 1 + random.nextInt(6);
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(packet.length);
            packet[at] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256)
                    : packet[at] ^ (1 << random.nextInt(8)));
        }
        if (random.nextInt(4) == 0) {
            return Arrays.copyOf(packet, random.nextInt(packet.length + 1));
        }
        return packet;
    }

    /** A valid header and random options with plausible codes and sizes, IA_NA holding IAADDRs and statuses. */
    private static byte[] structured(Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1 + random.nextInt(11));
        out.write(random.nextInt(256));
        out.write(random.nextInt(256));
        out.write(random.nextInt(256));
        int count = random.nextInt(7);
        for (int i = 0; i < count; i++) {
            writeOption(out, random, CODES[random.nextInt(CODES.length)], 0);
        }
        return out.toByteArray();
    }

    private static void writeOption(ByteArrayOutputStream out, Random random, int code, int depth) {
        byte[] value = switch (code) {
            case 1, 2 -> duid(random);
            case 3 -> nested(random, 12, depth, new int[] {5, 5, 13, 99});
            case 5 -> nested(random, 24, depth, new int[] {13, 99});
            case 7 -> sized(random, random.nextInt(8) == 0 ? 2 : 1);
            case 8 -> sized(random, random.nextInt(8) == 0 ? 1 : 2);
            case 12 -> sized(random, random.nextInt(8) == 0 ? 15 : 16);
            case 13 -> status(random);
            case 14 -> sized(random, random.nextInt(8) == 0 ? 1 : 0);
            case 23 -> sized(random, 16 * random.nextInt(3) + (random.nextInt(8) == 0 ? 1 : 0));
            case 24 -> names(random);
            default -> sized(random, random.nextInt(6));
        };
        out.write(code >>> 8);
        out.write(code);
        int length = random.nextInt(20) == 0 ? value.length + random.nextInt(5) - 2 : value.length;
        length = Math.max(0, length);
        out.write(length >>> 8);
        out.write(length);
        out.writeBytes(value);
    }

    private static byte[] nested(Random random, int fixed, int depth, int[] inner) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(sized(random, fixed));
        if (depth < 2) {
            int count = random.nextInt(3);
            for (int i = 0; i < count; i++) {
                writeOption(out, random, inner[random.nextInt(inner.length)], depth + 1);
            }
        }
        return out.toByteArray();
    }

    private static byte[] duid(Random random) {
        int type = 1 + random.nextInt(4);
        int length = switch (type) {
            case 1 -> 14;
            case 2 -> 10;
            case 3 -> 10;
            default -> 18;
        };
        byte[] bytes = sized(random, random.nextInt(10) == 0 ? random.nextInt(20) : length);
        if (bytes.length >= 2) {
            bytes[0] = 0;
            bytes[1] = (byte) type;
        }
        return bytes;
    }

    private static byte[] status(Random random) {
        byte[] text = new byte[random.nextInt(6)];
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) (random.nextInt(10) == 0 ? 0xc3 : 'a' + random.nextInt(26));
        }
        byte[] value = new byte[2 + text.length];
        value[1] = (byte) random.nextInt(7);
        System.arraycopy(text, 0, value, 2, text.length);
        return random.nextInt(10) == 0 ? Arrays.copyOf(value, 1) : value;
    }

    private static byte[] names(Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int names = 1 + random.nextInt(3);
        for (int n = 0; n < names; n++) {
            int labels = 1 + random.nextInt(3);
            for (int l = 0; l < labels; l++) {
                int length = 1 + random.nextInt(6);
                out.write(random.nextInt(20) == 0 ? 0xc0 : length);
                for (int k = 0; k < length; k++) {
                    out.write(random.nextInt(30) == 0 ? ' ' : 'a' + random.nextInt(26));
                }
            }
            out.write(0);
        }
        return out.toByteArray();
    }

    private static byte[] sized(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
