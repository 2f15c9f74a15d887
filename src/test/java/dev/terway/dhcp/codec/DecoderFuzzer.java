package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The fuzzing loop the DHCPv4 and DHCPv6 decoder tests share: every truncation of a corpus of real
 * packets, random junk, structured-random packets and mutated corpus packets. The only acceptable outcomes
 * are a message or a {@link DhcpParseException} with a message; a decoded message goes to the caller's check
 * (round trip, readability), and anything it throws fails the test with the packet in hex.
 *
 * @param <M> the decoded message type
 */
public final class DecoderFuzzer<M> {

    /** A decoder of one whole packet. */
    @FunctionalInterface
    public interface Decoder<M> {
        M decode(byte[] packet) throws DhcpParseException;
    }

    /** What a decoded message must survive. */
    @FunctionalInterface
    public interface Check<M> {
        void check(M message) throws Exception;
    }

    /** How many packets of each kind to feed, and how long a junk packet may be. */
    public record Mix(int junkPackets, int junkMaxLength, int structuredPackets, int mutatedPackets) {
    }

    private final Decoder<M> decoder;
    private final Check<M> check;
    private int decoded;
    private int rejected;

    public DecoderFuzzer(Decoder<M> decoder, Check<M> check) {
        this.decoder = decoder;
        this.check = check;
    }

    /**
     * Feeds the mix, drawing from {@code random} in a fixed order (junk, structured, mutated) so a seed
     * always gives the same packets.
     *
     * @param structured makes one structured-random packet
     * @param mutate edits a copy of a corpus packet in place or returns a new one
     */
    public void run(Random random, List<byte[]> corpus, Mix mix, Function<Random, byte[]> structured,
            BiFunction<Random, byte[], byte[]> mutate) {
        for (byte[] packet : corpus) {
            for (int length = 0; length <= packet.length; length++) {
                feed(Arrays.copyOf(packet, length));
            }
        }
        for (int i = 0; i < mix.junkPackets(); i++) {
            byte[] junk = new byte[random.nextInt(mix.junkMaxLength())];
            random.nextBytes(junk);
            feed(junk);
        }
        for (int i = 0; i < mix.structuredPackets(); i++) {
            feed(structured.apply(random));
        }
        for (int i = 0; i < mix.mutatedPackets(); i++) {
            byte[] packet = corpus.get(random.nextInt(corpus.size())).clone();
            feed(mutate.apply(random, packet));
        }
    }

    /** Decodes one packet and checks the outcome. */
    public void feed(byte[] packet) {
        M message;
        try {
            message = decoder.decode(packet);
        } catch (DhcpParseException e) {
            rejected++;
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                fail("parse exception without a message for " + Hex.of(packet));
            }
            return;
        } catch (Throwable t) {
            throw new AssertionError("decoder threw " + t + " for " + Hex.of(packet), t);
        }
        decoded++;
        try {
            check.check(message);
        } catch (Throwable t) {
            throw new AssertionError("decoded message misbehaved: " + t + " for " + Hex.of(packet), t);
        }
    }

    public int decoded() {
        return decoded;
    }

    public int rejected() {
        return rejected;
    }

    public int total() {
        return decoded + rejected;
    }
}
