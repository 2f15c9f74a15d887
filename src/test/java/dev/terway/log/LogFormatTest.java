package dev.terway.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LogFormatTest {

    private static final Instant AT = Instant.parse("2026-12-05T01:30:00.123Z");
    private static final LogPod WEB = new LogPod("c0ffee", Optional.of("default"), Optional.of("web-1"), "eth0");

    private static LoggedEvent acquired(LogPod pod) {
        return new LoggedEvent(AT, LogEvent.of(LogLevel.INFO, "lease.acquired", Optional.of(pod),
                "acquired " + pod.namespace().orElse("") + "/" + pod.name().orElse("") + " eth0 address 10.0.0.5/24",
                "address", "10.0.0.5/24", "server", "10.0.0.1"));
    }

    @Test
    void textHasTheKeysInTheirOrderAndQuotesOnlyWhatNeedsIt() {
        assertEquals("time=2026-12-05T01:30:00.123Z level=info event=lease.acquired containerId=c0ffee"
                + " podNamespace=default podName=web-1 ifname=eth0 address=10.0.0.5/24 server=10.0.0.1"
                + " msg=\"acquired default/web-1 eth0 address 10.0.0.5/24\"", LogFormat.TEXT.format(acquired(WEB)));
    }

    @Test
    void aLineWithoutAPodHasNoPodKeysAndAnUnknownPodNameIsEmpty() {
        String daemon = LogFormat.TEXT.format(new LoggedEvent(AT, LogEvent.of(LogLevel.WARN, "daemon.started",
                Optional.empty(), "listening")));
        assertEquals("time=2026-12-05T01:30:00.123Z level=warn event=daemon.started msg=listening", daemon);
        String unnamed = LogFormat.TEXT.format(new LoggedEvent(AT, LogEvent.of(LogLevel.INFO, "cni.del",
                Optional.of(LogPod.of("c1", "eth0")), "DEL")));
        assertEquals(Map.of("time", AT.toString(), "level", "info", "event", "cni.del", "containerId", "c1",
                "podNamespace", "", "podName", "", "ifname", "eth0", "msg", "DEL"), parseLogfmt(unnamed));
    }

    @Test
    void aHostilePodNameCanForgeNeitherKeysNorLines() {
        String hostile = "x level=error event=forged\n2026-12-05T00:00:00Z level=info event=lease.released msg=\"a\\\"b"
                + "\r\t\u0000\u2028=";
        LogPod pod = new LogPod("c0ffee", Optional.of("default"), Optional.of(hostile), "eth0");
        String line = LogFormat.TEXT.format(acquired(pod));
        assertEquals(1, line.lines().count(), line);
        assertFalse(line.contains("\u2028") || line.contains("\u0000"), line);
        Map<String, String> parsed = parseLogfmt(line);
        assertEquals(List.of("time", "level", "event", "containerId", "podNamespace", "podName", "ifname", "address",
                "server", "msg"), new ArrayList<>(parsed.keySet()));
        assertEquals(hostile, parsed.get("podName"), "the value reads back as itself");
        assertEquals("info", parsed.get("level"));
        assertEquals("lease.acquired", parsed.get("event"));

        JsonNode json = readJson(LogFormat.JSON.format(acquired(pod)));
        assertEquals(hostile, json.get("podName").asText());
        assertEquals(1, LogFormat.JSON.format(acquired(pod)).lines().count());
    }

    @Test
    void jsonHasTheSameKeysAndNullsForAnUnknownPodName() {
        JsonNode json = readJson(LogFormat.JSON.format(acquired(WEB)));
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("time", "level", "event", "containerId", "podNamespace", "podName", "ifname", "address",
                "server", "msg"), keys);
        assertEquals("web-1", json.get("podName").asText());
        assertEquals("acquired default/web-1 eth0 address 10.0.0.5/24", json.get("msg").asText());
        JsonNode unnamed = readJson(LogFormat.JSON.format(new LoggedEvent(AT, LogEvent.of(LogLevel.INFO, "cni.del",
                Optional.of(LogPod.of("c1", "eth0")), "DEL"))));
        assertTrue(unnamed.get("podName").isNull());
    }

    @Test
    void eventNamesAndKeysAreTheCodesOwn() {
        assertThrows(IllegalArgumentException.class, () -> LogEvent.of(LogLevel.INFO, "acquired", Optional.empty(), "m"));
        assertThrows(IllegalArgumentException.class, () -> LogEvent.of(LogLevel.INFO, "lease.acquired",
                Optional.empty(), "m", "msg", "forged"));
        assertThrows(IllegalArgumentException.class, () -> LogEvent.of(LogLevel.INFO, "lease.acquired",
                Optional.empty(), "m", "a b", "x"));
        assertThrows(IllegalArgumentException.class, () -> LogEvent.of(LogLevel.INFO, "lease.acquired",
                Optional.empty(), "m", "odd"));
        assertEquals(LogFormat.JSON, LogFormat.parse("JSON"));
        assertThrows(IllegalArgumentException.class, () -> LogFormat.parse("xml"));
    }

    @Test
    void theSinkWritesOneLinePerEventAndKeepsTheLastProblemsOnly() {
        StringWriter text = new StringWriter();
        DaemonLog log = new DaemonLog(new PrintWriter(text), Clock.fixed(AT, ZoneOffset.UTC), LogFormat.JSON, 2);
        log.info("lease.acquired", WEB, "acquired");
        log.warn("lease.conflict", WEB, "first");
        log.error("bridge.recreate_failed", "second", "bridge", "mybr0");
        log.warn("lease.lost", WEB, "third");
        List<String> lines = text.toString().lines().toList();
        assertEquals(4, lines.size());
        lines.forEach(LogFormatTest::readJson);
        assertEquals(List.of("second", "third"), log.recentProblems().stream().map(e -> e.event().message()).toList());
        assertEquals(LogLevel.ERROR, log.recentProblems().get(0).event().level());
    }

    /** A strict logfmt reader: bare values, or quoted ones with the escapes the text format writes. */
    static Map<String, String> parseLogfmt(String line) {
        Map<String, String> pairs = new LinkedHashMap<>();
        int i = 0;
        while (i < line.length()) {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq);
            assertTrue(key.matches("[a-z][A-Za-z0-9]*"), "key '" + key + "' in " + line);
            assertFalse(pairs.containsKey(key), "key " + key + " twice in " + line);
            i = eq + 1;
            StringBuilder value = new StringBuilder();
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i);
                    if (c == '\\') {
                        char n = line.charAt(++i);
                        switch (n) {
                            case 'n' -> value.append('\n');
                            case 'r' -> value.append('\r');
                            case 't' -> value.append('\t');
                            case 'u' -> {
                                value.append((char) Integer.parseInt(line.substring(i + 1, i + 5), 16));
                                i += 4;
                            }
                            default -> value.append(n);
                        }
                    } else {
                        value.append(c);
                    }
                    i++;
                }
                i++;
            } else {
                while (i < line.length() && line.charAt(i) != ' ') {
                    value.append(line.charAt(i++));
                }
            }
            pairs.put(key, value.toString());
            if (i < line.length()) {
                assertEquals(' ', line.charAt(i), "pairs are separated by one space: " + line);
                i++;
            }
        }
        return pairs;
    }

    private static JsonNode readJson(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
