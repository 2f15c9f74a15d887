package dev.terway.log;

import java.time.Instant;
import java.util.Objects;

/** An event as the sink wrote it: with the time it was logged. */
public record LoggedEvent(Instant time, LogEvent event) {

    public LoggedEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(event, "event");
    }
}
