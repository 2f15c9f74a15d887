package dev.terway.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Asks the gateway with one ping at a time, bound to the device, until the deadline. A gateway that drops
 * ICMP still has to answer ARP or neighbour solicitation (the ping triggers one), so a REACHABLE neighbour
 * entry also counts. No other state does: STALE, DELAY and PROBE only say the gateway answered at some
 * time in the past (an entry stays STALE for minutes), INCOMPLETE and FAILED that it did not answer,
 * PERMANENT and NOARP were configured, not learnt.
 *
 * <p>The deadline is checked between attempts, and one attempt waits at most one second for its reply,
 * so a probe takes at most timeout + 1 s.
 */
public final class PingNeighbourProbe implements GatewayProbe {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RESOLVED = Set.of("REACHABLE");
    /** The least time between two attempts, so that attempts failing at once (no route) do not spin. */
    private static final Duration PAUSE = Duration.ofMillis(100);

    private final CommandRunner runner;
    private final Clock clock;
    private final Sleeper sleeper;

    public PingNeighbourProbe(CommandRunner runner, Clock clock, Sleeper sleeper) {
        this.runner = runner;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    public PingNeighbourProbe(Host host) {
        this(host.commands(), host.clock(), host.sleeper());
    }

    @Override
    public Result probe(Gateway gateway, String device, Duration timeout) {
        Instant start = clock.instant();
        Instant deadline = start.plus(timeout);
        int attempts = 0;
        while (true) {
            attempts++;
            Instant attemptStart = clock.instant();
            CommandResult ping = runner.run(List.of("ping", gateway.family().flag(), "-n", "-q", "-c", "1",
                    "-W", "1", "-I", device, gateway.address()));
            if (ping.succeeded()) {
                return new Result(true, "answered ping", Duration.between(start, clock.instant()));
            }
            String state = neighbourState(gateway, device);
            if (RESOLVED.contains(state)) {
                return new Result(true, "no ping reply, but its neighbour entry is " + state,
                        Duration.between(start, clock.instant()));
            }
            Instant now = clock.instant();
            if (!now.isBefore(deadline)) {
                return new Result(false, "no ping reply and no resolved neighbour entry in " + attempts
                        + (attempts == 1 ? " attempt" : " attempts"), Duration.between(start, now));
            }
            // An unanswered ping has waited a second already; one that failed at once has not.
            Duration pause = min(PAUSE.minus(Duration.between(attemptStart, now)), Duration.between(now, deadline));
            try {
                if (!pause.isNegative() && !pause.isZero()) {
                    sleeper.sleep(pause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(false, "interrupted", Duration.between(start, clock.instant()));
            }
        }
    }

    /** The state of the neighbour entry of the gateway on the device, or "" if there is none. */
    private String neighbourState(Gateway gateway, String device) {
        CommandResult result = runner.run(List.of("ip", "-j", gateway.family().flag(), "neigh", "show",
                gateway.address(), "dev", device));
        if (!result.succeeded() || result.stdout().isBlank()) {
            return "";
        }
        try {
            for (JsonNode entry : JSON.readTree(result.stdout())) {
                for (JsonNode s : entry.path("state")) {
                    if (RESOLVED.contains(s.asText())) {
                        return s.asText();
                    }
                }
                if (entry.path("state").size() > 0) {
                    return entry.path("state").get(0).asText();
                }
            }
        } catch (IOException e) {
            return ""; // an unreadable answer proves nothing; ping keeps trying until the deadline
        }
        return "";
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
