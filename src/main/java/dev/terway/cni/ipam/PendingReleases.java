package dev.terway.cni.ipam;

import dev.terway.log.LogPod;
import dev.terway.log.EventLog;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.terway.cni.pod.VethNames;
import dev.terway.store.RecordDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Releases that DEL could not hand to the daemon because it was down: one small JSON file per attachment
 * in {@code <socket dir>/pending-release/}. The daemon's cni handler releases them when it starts and
 * before each request it serves, so a lease of a deleted pod is never renewed for long.
 *
 * <p>The directory sits beside the socket because both ends know the socket path: the thin client from
 * the network configuration, the daemon from its own option. The daemon also keeps the DELs it accepted but
 * has not finished in one ({@code del-in-progress/}, see DeferredDeletes).
 *
 * <p>Written through a {@link RecordDirectory} (atomic, {@code 0600} in a {@code 0700} directory, no symbolic
 * link followed) with {@link RecordDirectory.Fsync#NONE}: the socket's directory is in {@code /run} (by default),
 * a tmpfs, where fsync does nothing; what these records guard against is a daemon that is down or killed, and a
 * rename survives that. A power loss empties the directory whatever is fsynced, and takes the pods with it.
 */
public final class PendingReleases {

    public static final String DIR_NAME = "pending-release";
    /** A record is a few dozen bytes; anything far larger was not written by {@link #mark}. */
    static final int MAX_RECORD_BYTES = 4096;
    /** Daemon-side data, so Jackson (the plugin's MiniJson is for CNI documents only); as strict as it. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final RecordDirectory records;

    public PendingReleases(Path dir) {
        this.records = RecordDirectory.of(dir, RecordDirectory.Fsync.NONE);
    }

    public static PendingReleases besideSocket(Path socket) {
        Path parent = socket.toAbsolutePath().getParent();
        return new PendingReleases(parent.resolve(DIR_NAME));
    }

    public Path dir() {
        return records.path();
    }

    /** Records that the attachment's lease must be released; atomic, so a reader never sees half a file. */
    public void mark(String containerId, String ifname) {
        try {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("containerId", containerId);
            entry.put("ifname", ifname);
            records.write(name(containerId, ifname),
                    (JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the pending release of " + containerId + "/" + ifname
                    + " in " + dir(), e);
        }
    }

    /** The attachments waiting for release. Unreadable files are reported and skipped. */
    public List<LeaseGateway.Attachment> pending(Consumer<String> warn) {
        List<LeaseGateway.Attachment> out = new ArrayList<>();
        List<String> names;
        try {
            names = records.names("tw*.json");
        } catch (IOException e) {
            warn.accept("cannot list pending releases in " + dir() + ": " + e.getMessage());
            return out;
        }
        for (String name : names) {
            Path f = records.file(name);
            try {
                Optional<byte[]> bytes = records.read(name, MAX_RECORD_BYTES);
                if (bytes.isEmpty()) {
                    continue; // done since the listing
                }
                JsonNode m = JSON.readTree(new String(bytes.get(), StandardCharsets.UTF_8));
                if (m != null && m.isObject() && m.path("containerId").isTextual() && m.path("ifname").isTextual()) {
                    out.add(new LeaseGateway.Attachment(m.get("containerId").textValue(),
                            m.get("ifname").textValue()));
                } else {
                    warn.accept("pending release " + f + " lacks containerId/ifname; ignored");
                }
            } catch (JsonProcessingException e) {
                warn.accept("pending release " + f + " is unreadable (not valid JSON: " + e.getOriginalMessage()
                        + "); ignored");
            } catch (IOException e) {
                warn.accept("pending release " + f + " is unreadable (" + e.getMessage() + "); ignored");
            }
        }
        return out;
    }

    public void done(LeaseGateway.Attachment a) {
        try {
            records.delete(name(a.containerId(), a.ifname()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the pending release of " + a, e);
        }
    }

    /** Releases every pending attachment through {@code gateway}; returns how many were handled. */
    public int drain(LeaseGateway gateway, EventLog log) {
        int n = 0;
        for (LeaseGateway.Attachment a : pending(log.warnings("cni.pending_unreadable"))) {
            boolean released = gateway.release(a.containerId(), a.ifname());
            log.info("cni.pending_released", LogPod.of(a.containerId(), a.ifname()), "pending release of "
                    + a.containerId() + "/" + a.ifname() + ": " + (released ? "lease released" : "no lease was held"));
            done(a);
            n++;
        }
        return n;
    }

    private static String name(String containerId, String ifname) {
        return VethNames.hostVeth(containerId, ifname) + ".json";
    }
}
