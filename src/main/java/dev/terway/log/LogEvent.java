package dev.terway.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One event as a call site states it: its level, a stable short name ({@code lease.acquired},
 * {@code cni.add}, {@code bridge.recreated}), the pod it is about (if any), the human message, and extra
 * facts as ordered key/value pairs ({@code address}, {@code server}, …). The sink adds the time.
 *
 * <p>Names and keys are the code's, never the input's: they are checked here, so a value (which may come
 * from a pod's name) is the only thing a hostile input can put in a line, and the formats quote it.
 */
public record LogEvent(LogLevel level, String event, Optional<LogPod> pod, String message, Map<String, String> fields) {

    /** Keys every line may have; an extra field may not take one of them. */
    public static final Set<String> RESERVED_KEYS = Set.of("time", "level", "event", "containerId", "podNamespace",
            "podName", "ifname", "msg");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
    private static final Pattern KEY = Pattern.compile("[a-z][A-Za-z0-9]*");

    public LogEvent {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(message, "message");
        if (!NAME.matcher(event).matches()) {
            throw new IllegalArgumentException("event name \"" + event + "\" is not dotted lower-case words");
        }
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (!KEY.matcher(e.getKey()).matches() || RESERVED_KEYS.contains(e.getKey())) {
                throw new IllegalArgumentException("field key \"" + e.getKey() + "\" of " + event
                        + " is not a free camelCase key");
            }
            Objects.requireNonNull(e.getValue(), () -> "field " + e.getKey() + " of " + event);
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** An event with extra fields given as alternating keys and values: {@code "address", "10.0.0.5/24", …}. */
    public static LogEvent of(LogLevel level, String event, Optional<LogPod> pod, String message, String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("fields of " + event + " must be key/value pairs");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            fields.put(keyValues[i], keyValues[i + 1]);
        }
        return new LogEvent(level, event, pod, message, fields);
    }
}
