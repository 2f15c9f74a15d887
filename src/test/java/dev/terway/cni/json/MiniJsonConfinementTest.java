package dev.terway.cni.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link MiniJson}, {@link JsonText} and {@link JsonNumber} to the job they exist for (issue 12; why, with
 * the figures, in {@link MiniJson}): CNI documents, which the plugin must read and write without a library and
 * the daemon must hold to the same rules. Terway's own data uses Jackson; a new use outside the list fails here.
 */
class MiniJsonConfinementTest {

    private static final Path SOURCES = Path.of("src/main/java");

    /** The sources allowed to use dev.terway.cni.json, each with the CNI document it reads or writes. */
    private static final Map<String, String> ALLOWED = new TreeMap<>(Map.of(
            "dev/terway/cni/entry/CniEntry.java", "the plugin's request to the daemon, carrying its stdin",
            "dev/terway/cni/spec/InvocationValidator.java", "the network configuration on stdin; the VERSION answer",
            "dev/terway/cni/spec/CniReply.java", "error results",
            "dev/terway/cni/spec/ConfigFields.java", "typed members of a configuration or result tree",
            "dev/terway/cni/result/ResultWriter.java", "results (ADD's answer)",
            "dev/terway/cni/ipam/DelegatedIpam.java", "an IPAM plugin's result and error, read like a prevResult"));

    @Test
    void onlyCniDocumentCodeUsesTheHandWrittenJson() throws IOException {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String name = SOURCES.relativize(file).toString().replace('\\', '/');
                if (name.startsWith("dev/terway/cni/json/")) {
                    continue;
                }
                if (Files.readString(file).contains("dev.terway.cni.json.")) {
                    found.put(name, ALLOWED.getOrDefault(name, "NOT ALLOWED: use Jackson"));
                }
            }
        }
        assertEquals(ALLOWED, found);
    }
}
