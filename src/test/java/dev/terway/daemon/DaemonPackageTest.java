package dev.terway.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import dev.terway.cni.handler.CniOps;
import dev.terway.dhcp.daemon.LeaseOps;
import dev.terway.dhcp.daemon.LeaseService;
import dev.terway.status.StatusOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the daemon package what it is for: the socket server and its framing, knowing nothing of DHCP or
 * CNI (they register their ops into it), with a client side the plugin can load per pod event; and keeps
 * docs/protocol.md, the protocol's one description, in step with the code.
 */
class DaemonPackageTest {

    private static final Path PACKAGE = Path.of("src/main/java/dev/terway/daemon");
    private static final Pattern TERWAY_REFERENCE = Pattern.compile("dev\\.terway\\.(?!daemon\\b)[a-z]+");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)", Pattern.MULTILINE);
    /** The classes the plugin's thin client loads: java.base only. */
    private static final List<String> CLIENT_SIDE = List.of("DaemonProtocol.java", "DaemonUnreachableException.java",
            "DaemonClient.java");

    @Test
    void theDaemonPackageDependsOnNoOtherTerwayPackage() throws IOException {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(PACKAGE)) {
            for (Path file : files.toList()) {
                Matcher m = TERWAY_REFERENCE.matcher(Files.readString(file));
                if (m.find()) {
                    found.put(file.getFileName().toString(), m.group());
                }
            }
        }
        assertEquals(Map.of(), found);
    }

    @Test
    void theClientSideImportsJavaBaseOnly() throws IOException {
        List<String> foreign = new ArrayList<>();
        for (String name : CLIENT_SIDE) {
            Matcher m = IMPORT.matcher(Files.readString(PACKAGE.resolve(name)));
            while (m.find()) {
                if (!m.group(1).startsWith("java.")) {
                    foreign.add(name + ": " + m.group(1));
                }
            }
        }
        assertEquals(List.of(), foreign);
    }

    @Test
    void theProtocolDocumentStatesTheLimitsAndEveryOp() throws IOException {
        String doc = Files.readString(Path.of("docs/protocol.md"));
        List<String> missing = new ArrayList<>();
        for (String fact : List.of(
                "| request | 1 MiB (" + grouped(DaemonProtocol.MAX_REQUEST_BYTES) + " bytes)",
                "| answer (status line and body) | 4 MiB (" + grouped(DaemonProtocol.MAX_RESPONSE_BYTES) + " bytes)",
                "1 to " + DaemonProtocol.MAX_STATUS_DIGITS + " ASCII digits",
                "| " + DaemonProtocol.REQUEST_DEADLINE_MILLIS / 1000 + " s from the accept",
                "| " + DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS / 1000 + " s (`DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS`)",
                "`" + DaemonProtocol.DEFAULT_SOCKET + "`")) {
            if (!doc.contains(fact)) {
                missing.add(fact);
            }
        }
        RequestHandlers ops = new LeaseOps(mock(LeaseService.class), Duration.ofSeconds(10))
                .registerOn(RequestHandlers.builder()).register(CniOps.OP, request -> Response.ok(""))
                .register(StatusOp.OP, request -> Response.ok("")).build();
        for (String op : ops.ops().split(", ")) {
            if (!doc.contains("### `" + op + "`")) {
                missing.add("### `" + op + "`");
            }
        }
        assertEquals(List.of(), missing);
        assertTrue(ops.ops().contains("acquire"), ops.ops());
    }

    /** 1048576 as the document writes it: 1 048 576. */
    private static String grouped(long n) {
        return String.format("%,d", n).replace(',', ' ');
    }
}
