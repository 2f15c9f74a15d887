package dev.terway.log;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the daemon's parts say what happened: one {@link LogEvent} per event. The daemon's implementation
 * is {@link DaemonLog}; tests collect the events.
 */
@FunctionalInterface
public interface EventLog {

    /** Drops every event. */
    EventLog NONE = event -> {
    };

    void emit(LogEvent event);

    default void info(String event, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.INFO, event, Optional.empty(), message, keyValues));
    }

    default void warn(String event, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.WARN, event, Optional.empty(), message, keyValues));
    }

    default void error(String event, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.ERROR, event, Optional.empty(), message, keyValues));
    }

    default void info(String event, LogPod pod, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.INFO, event, Optional.of(pod), message, keyValues));
    }

    default void warn(String event, LogPod pod, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.WARN, event, Optional.of(pod), message, keyValues));
    }

    default void error(String event, LogPod pod, String message, String... keyValues) {
        emit(LogEvent.of(LogLevel.ERROR, event, Optional.of(pod), message, keyValues));
    }

    /**
     * For the parts that report through a {@code Consumer<String>} (stores, the socket server, the audit
     * log): each message one {@code warn} line of {@code event}.
     */
    default Consumer<String> warnings(String event) {
        return message -> warn(event, message);
    }

    /** As {@link #warnings}, at level {@code info}. */
    default Consumer<String> infos(String event) {
        return message -> info(event, message);
    }
}
