package dev.terway.cni.ipam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.terway.cni.pod.VethNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Releases that DEL could not hand to the daemon because it was down: one small JSON file per attachment
 * in {@code <socket dir>/pending-release/}. The daemon's cni handler releases them when it starts and
 * before each request it serves, so a lease of a deleted pod is never renewed for long.
 *
 * <p>The directory sits beside the socket because both ends know the socket path: the thin client from
 * the network configuration, the daemon from its own option.
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

    private final Path dir;

    public PendingReleases(Path dir) {
        this.dir = dir;
    }

    public static PendingReleases besideSocket(Path socket) {
        Path parent = socket.toAbsolutePath().getParent();
        return new PendingReleases(parent.resolve(DIR_NAME));
    }

    public Path dir() {
        return dir;
    }

    /** Records that the attachment's lease must be released; atomic, so a reader never sees half a file. */
    public void mark(String containerId, String ifname) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (Files.isSymbolicLink(dir)) {
                // createDirectories accepts a link to a directory; the records must not land wherever it points
                throw new IOException(dir + " is a symbolic link, which terway never follows");
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("containerId", containerId);
            entry.put("ifname", ifname);
            String name = VethNames.hostVeth(containerId, ifname) + ".json";
            Path tmp = Files.createTempFile(dir, ".tmp-", ".json");
            Files.writeString(tmp, JSON.writeValueAsString(entry) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the pending release of " + containerId + "/" + ifname
                    + " in " + dir, e);
        }
    }

    /** The attachments waiting for release. Unreadable files are reported and skipped. */
    public List<LeaseGateway.Attachment> pending(Consumer<String> warn) {
        List<LeaseGateway.Attachment> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "tw*.json")) {
            for (Path f : files) {
                try {
                    java.nio.file.attribute.BasicFileAttributes attributes = Files.readAttributes(f,
                            java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (!attributes.isRegularFile() || attributes.size() > MAX_RECORD_BYTES) {
                        // a link or a huge file is not something mark() wrote; never read through it
                        warn.accept("pending release " + f + " is not a small regular file; ignored");
                        continue;
                    }
                    JsonNode m = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
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
        } catch (IOException e) {
            warn.accept("cannot list pending releases in " + dir + ": " + e.getMessage());
        }
        return out;
    }

    public void done(LeaseGateway.Attachment a) {
        try {
            Files.deleteIfExists(dir.resolve(VethNames.hostVeth(a.containerId(), a.ifname()) + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the pending release of " + a, e);
        }
    }

    /** Releases every pending attachment through {@code gateway}; returns how many were handled. */
    public int drain(LeaseGateway gateway, Consumer<String> log) {
        int n = 0;
        for (LeaseGateway.Attachment a : pending(log)) {
            boolean released = gateway.release(a.containerId(), a.ifname());
            log.accept("pending release of " + a.containerId() + "/" + a.ifname() + ": "
                    + (released ? "lease released" : "no lease was held"));
            done(a);
            n++;
        }
        return n;
    }
}
