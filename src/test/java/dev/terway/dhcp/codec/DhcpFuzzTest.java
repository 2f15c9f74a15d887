package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds the DHCPv4 decoder random, structured-random, mutated and truncated packets through
 * {@link DecoderFuzzer}: a decoded message must be fully readable and survive an encode/decode round trip.
 * The timeout guards against hangs, not speed.
 */
class DhcpFuzzTest {

    private static final long SEED = 0x7e77a4L;

    private int decodedWithKnownOptions;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void decoderOnlyEverThrowsParseExceptions() {
        DecoderFuzzer<DhcpMessage> fuzzer = new DecoderFuzzer<>(
                packet -> DhcpMessage.decode(packet, 0, packet.length), this::check);
        fuzzer.run(new Random(SEED), corpus(), new DecoderFuzzer.Mix(4000, 700, 5000, 5000),
                DhcpFuzzTest::structured, DhcpFuzzTest::mutate);

        int total = fuzzer.total();
        int rejected = fuzzer.rejected();
        System.out.printf("fuzz: %d packets, %d decoded (%d with registered options), %d rejected%n", total,
                fuzzer.decoded(), decodedWithKnownOptions, rejected);
        assertTrue(total >= 10_000, "fed " + total);
        // The mix must reach deep: plenty of packets decode and exercise typed options, plenty are refused.
        assertTrue(decodedWithKnownOptions > 1000, "decoded with options: " + decodedWithKnownOptions);
        assertTrue(rejected > 1000, "rejected: " + rejected);
    }

    /** A decoded message must be fully readable and survive an encode/decode round trip, capped or not. */
    private void check(DhcpMessage m) throws DhcpParseException {
        boolean known = false;
        for (OptionKey<?> key : DhcpOptions.all()) {
            known |= m.get(key).isPresent();
        }
        if (known) {
            decodedWithKnownOptions++;
        }
        m.toString();
        byte[] again = m.encode();
        assertEquals(m, DhcpMessage.decode(again));
        if (m.sname().isEmpty() && m.file().isEmpty()) {
            byte[] capped;
            try {
                capped = m.encode(576);
            } catch (IllegalArgumentException tooBig) {
                return;
            }
            assertEquals(m, DhcpMessage.decode(capped));
        }
    }

    /** A few bit flips or random bytes, mostly in the options area, where the interesting parsing is. */
    private static byte[] mutate(Random random, byte[] packet) {
        int edits = 1 + random.nextInt(8);
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(4) == 0 ? random.nextInt(packet.length)
                    : DhcpMessage.OPTIONS_OFFSET + random.nextInt(packet.length - DhcpMessage.OPTIONS_OFFSET);
            packet[at] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : packet[at] ^ (1 << random.nextInt(8)));
        }
        if (random.nextBoolean()) {
            return Arrays.copyOf(packet, random.nextInt(packet.length + 1));
        }
        return packet;
    }

    /** A valid header and cookie followed by random options with plausible codes, lengths and values. */
    private static byte[] structured(Random random) {
        byte[] head = Arrays.copyOf(DhcpMessageTest.DNSMASQ_ACK, DhcpMessage.OPTIONS_OFFSET);
        int[] codes = {1, 3, 6, 12, 15, 26, 28, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61, 119, 121, 0, 255, 224};
        int[] sizes = {0, 1, 2, 4, 5, 8, 13};
        byte[] sname = new byte[64];
        byte[] file = new byte[128];
        List<byte[]> options = new ArrayList<>();
        int count = random.nextInt(12);
        for (int i = 0; i < count; i++) {
            int code = codes[random.nextInt(codes.length)];
            int length = random.nextInt(3) == 0 ? random.nextInt(256) : sizes[random.nextInt(sizes.length)];
            byte[] value = new byte[length];
            if (code == 53 && length == 1) {
                value[0] = (byte) (1 + random.nextInt(9));
            } else if (code == 52 && length == 1) {
                value[0] = (byte) (1 + random.nextInt(3));
                random.nextBytes(sname);
                random.nextBytes(file);
            } else if (code == 119 || code == 121) {
                fillPlausibly(random, value, code);
            } else {
                random.nextBytes(value);
            }
            byte[] option = new byte[2 + length];
            option[0] = (byte) code;
            option[1] = (byte) length;
            System.arraycopy(value, 0, option, 2, length);
            options.add(option);
        }
        int size = DhcpMessage.OPTIONS_OFFSET + options.stream().mapToInt(o -> o.length).sum() + 1;
        byte[] out = Arrays.copyOf(head, size);
        System.arraycopy(sname, 0, out, 44, 64);
        System.arraycopy(file, 0, out, 108, 128);
        int at = DhcpMessage.OPTIONS_OFFSET;
        for (byte[] option : options) {
            System.arraycopy(option, 0, out, at, option.length);
            at += option.length;
        }
        out[at] = (byte) 0xff;
        return out;
    }

    /** Name labels and pointers for 119, small widths for 121, so the decoders get past their first check. */
    private static void fillPlausibly(Random random, byte[] value, int code) {
        int i = 0;
        while (i < value.length) {
            int pick = random.nextInt(code == 119 ? 4 : 2);
            if (code == 121) {
                value[i++] = (byte) random.nextInt(34);
                continue;
            }
            switch (pick) {
                case 0 -> value[i++] = 0;
                case 1 -> {
                    value[i++] = (byte) (0xc0 | random.nextInt(2));
                    if (i < value.length) {
                        value[i++] = (byte) random.nextInt(Math.max(1, value.length));
                    }
                }
                default -> {
                    int label = 1 + random.nextInt(5);
                    value[i++] = (byte) label;
                    for (int k = 0; k < label && i < value.length; k++) {
                        value[i++] = (byte) ('a' + random.nextInt(26));
                    }
                }
            }
        }
    }

    private static List<byte[]> corpus() {
        DhcpMessage withSearch = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).xid(1)
                .chaddr(HardwareAddress.parse("02:00:00:00:00:01"))
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.OFFER)
                .put(DhcpOptions.DOMAIN_SEARCH, List.of("eng.apple.com", "marketing.apple.com", "apple.com"))
                .put(DhcpOptions.CLASSLESS_ROUTES, List.of(ClasslessRoute.of("10.229.0.128/25", "10.0.0.1"),
                        ClasslessRoute.of("0.0.0.0/0", "10.0.0.1")))
                .put(DhcpOptions.CLIENT_ID, ClientIdentifier.ofText("ns/pod"))
                .build();
        List<ClasslessRoute> many = new ArrayList<>();
        for (int i = 0; i < 66; i++) {
            many.add(new ClasslessRoute(Ipv4.of(10, i, 0, 0), 16, Ipv4.parse("192.168.0.1")));
        }
        DhcpMessage overloaded = withSearch.toBuilder().put(DhcpOptions.CLASSLESS_ROUTES, many).build();
        return List.of(DhcpMessageTest.DISCOVER_WIRE, DhcpMessageTest.DNSMASQ_ACK, withSearch.encode(),
                overloaded.encode(576));
    }
}
