package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.plan.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PingNeighbourProbeTest {

    private final FakeTime time = new FakeTime();
    private final List<List<String>> ran = new ArrayList<>();

    private PingNeighbourProbe probe(Function<List<String>, CommandResult> answers) {
        return new PingNeighbourProbe(argv -> {
            ran.add(argv);
            if (argv.get(0).equals("ping")) {
                time.advance(Duration.ofSeconds(1)); // an unanswered ping waits for its -W 1
            }
            return answers.apply(argv);
        }, time, time);
    }

    private static CommandResult result(List<String> argv, int exit, String stdout) {
        return new CommandResult(argv, exit, stdout, "", Duration.ZERO);
    }

    private static final Gateway V4 = new Gateway(Family.INET, "10.99.0.1", "eth0");
    private static final Gateway V6 = new Gateway(Family.INET6, "fe80::1", "eth0");

    @Test
    void aPingReplyIsAnAnswer() {
        GatewayProbe.Result r = probe(argv -> result(argv, 0, "")).probe(V4, "mybr0", Duration.ofSeconds(5));
        assertTrue(r.answered());
        assertEquals("answered ping", r.evidence());
        assertEquals(List.of(List.of("ping", "-4", "-n", "-q", "-c", "1", "-W", "1", "-I", "mybr0", "10.99.0.1")), ran);
    }

    @Test
    void aGatewayThatDropsIcmpAnswersThroughItsNeighbourEntry() {
        GatewayProbe.Result r = probe(argv -> argv.get(0).equals("ping") ? result(argv, 1, "")
                : result(argv, 0, "[{\"dst\":\"fe80::1\",\"lladdr\":\"02:00:00:00:00:01\",\"state\":[\"REACHABLE\"]}]"))
                .probe(V6, "mybr0", Duration.ofSeconds(5));
        assertTrue(r.answered());
        assertEquals("no ping reply, but its neighbour entry is REACHABLE", r.evidence());
        assertEquals(List.of("ping", "-6", "-n", "-q", "-c", "1", "-W", "1", "-I", "mybr0", "fe80::1"), ran.get(0));
        assertEquals(List.of("ip", "-j", "-6", "neigh", "show", "fe80::1", "dev", "mybr0"), ran.get(1));
    }

    @Test
    void entriesThatProveNothingNowAreNotAnswersAndTheProbeStopsAtTheDeadline() {
        for (String state : List.of("STALE", "DELAY", "PROBE", "INCOMPLETE", "FAILED", "PERMANENT")) {
            ran.clear();
            String neigh = "[{\"dst\":\"10.99.0.1\",\"lladdr\":\"02:00:00:00:00:01\",\"state\":[\"" + state + "\"]}]";
            GatewayProbe.Result r = probe(argv -> argv.get(0).equals("ping") ? result(argv, 1, "")
                    : result(argv, 0, neigh)).probe(V4, "mybr0", Duration.ofSeconds(3));
            assertFalse(r.answered(), state);
            assertEquals(3, ran.stream().filter(a -> a.get(0).equals("ping")).count(), state);
            assertEquals("no ping reply and no resolved neighbour entry in 3 attempts", r.evidence());
        }
    }

    @Test
    void quickFailuresArePacedAndAZeroTimeoutTriesOnce() {
        // ping fails at once (no route): attempts are 100 ms apart instead of spinning, the last one at the deadline
        PingNeighbourProbe p = new PingNeighbourProbe(argv -> {
            ran.add(argv);
            return result(argv, 2, "");
        }, time, time);
        GatewayProbe.Result r = p.probe(V4, "mybr0", Duration.ofMillis(450));
        assertFalse(r.answered());
        assertEquals(6, ran.stream().filter(a -> a.get(0).equals("ping")).count());
        assertEquals(Duration.ofMillis(450), r.elapsed());

        ran.clear();
        assertFalse(p.probe(V4, "mybr0", Duration.ZERO).answered());
        assertEquals(1, ran.stream().filter(a -> a.get(0).equals("ping")).count());
    }

    @Test
    void aGatewayThatStartsAnsweringLaterIsFound() {
        int[] pings = {0};
        GatewayProbe.Result r = probe(argv -> argv.get(0).equals("ping")
                ? result(argv, ++pings[0] < 3 ? 1 : 0, "") : result(argv, 0, "[]"))
                .probe(V4, "mybr0", Duration.ofSeconds(5));
        assertTrue(r.answered());
        assertEquals(Duration.ofSeconds(3), r.elapsed());
    }
}
