package dev.terway.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.migration.MigrationException;
import dev.terway.migration.SetupRecord;
import dev.terway.migration.SetupRecordStore;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Link;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ShellQuote;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the node for {@code terway status}: the setup record and two read-only queries,
 * {@code ip -j -d link show} and {@code bridge -j link show}. It changes nothing; every query is bounded by
 * the runner's timeout.
 */
public final class NodeReader {

    private final CommandRunner queries;
    private final SetupRecordStore records;

    public NodeReader(CommandRunner queries, SetupRecordStore records) {
        this.queries = queries;
        this.records = records;
    }

    /** The node now; {@code bridge} is judged when no setup record names one. */
    public NodeObservation read(String bridge) {
        Optional<NodeObservation.Setup> setup = Optional.empty();
        Optional<String> setupProblem = Optional.empty();
        try {
            Optional<SetupRecord> record = records.load();
            if (record.isPresent()) {
                setup = Optional.of(new NodeObservation.Setup(record.get().iface(), record.get().bridge(), since()));
            }
        } catch (MigrationException e) {
            setupProblem = Optional.of(e.getMessage());
        }
        String judged = setup.map(NodeObservation.Setup::bridge).orElse(bridge);
        List<Link> links = List.of();
        Map<String, String> portStates = Map.of();
        Optional<String> linkProblem = Optional.empty();
        try {
            links = IpJson.links(query("ip", "-j", "-d", "link", "show"));
            portStates = portStates(query("bridge", "-j", "link", "show"));
        } catch (IllegalStateException | IllegalArgumentException e) {
            linkProblem = Optional.of(e.getMessage());
        }
        return new NodeObservation(judged, setup, setupProblem, links, portStates, linkProblem);
    }

    /** When the setup record was last written: when the node was bridged (or repaired) last. */
    private Optional<Instant> since() {
        try {
            return Optional.of(Files.getLastModifiedTime(records.file(), LinkOption.NOFOLLOW_LINKS).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** `bridge -j link show`: one object per port with "ifname" and "state". */
    static Map<String, String> portStates(String json) {
        JsonNode array;
        try {
            array = DaemonStatus.MAPPER.readTree(json.isBlank() ? "[]" : json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("`bridge -j link show` printed no JSON: " + e.getOriginalMessage());
        }
        if (!array.isArray()) {
            throw new IllegalArgumentException("`bridge -j link show` printed no JSON array");
        }
        Map<String, String> states = new HashMap<>();
        for (JsonNode port : array) {
            if (port.path("ifname").isTextual()) {
                states.put(port.get("ifname").asText(), port.path("state").asText("unknown"));
            }
        }
        return states;
    }

    private String query(String... argv) {
        CommandResult r = queries.run(List.of(argv));
        if (!r.succeeded()) {
            throw new IllegalStateException(ShellQuote.join(r.argv()) + " exited " + r.exitCode() + ": "
                    + r.stderr().strip());
        }
        return r.stdout();
    }
}
