package dev.terway.cni.attachment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.terway.cni.pod.VethNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The attachment records: one small JSON file per attachment, {@code <host veth>.json}, in
 * {@code <socket dir>/attachments/}. ADD writes one when it succeeds, DEL and GC remove it with the veth,
 * and the daemon's repair reads them all to put host veths back on a bridge that was created again.
 *
 * <p>The directory sits beside the socket, as the pending releases do, because both the daemon and the
 * thin client (which runs DEL while the daemon is down) know the socket path. The socket lives in /run, a
 * tmpfs: the records vanish exactly when a real reboot destroys the veths they describe. For the same
 * reason nothing is fsynced: a crash that loses a record also lost its veth.
 *
 * <p>Files are written {@code 0600} in a {@code 0700} directory, atomically (temp file, rename), and never
 * through a symbolic link: a linked directory is refused, a linked or oversized record is skipped with a
 * warning, and reads use {@code O_NOFOLLOW} and a size limit.
 */
public final class AttachmentRecords {

    public static final String DIR_NAME = "attachments";
    /** A record is a few hundred bytes; anything far larger was not written by {@link #put}. */
    static final int MAX_RECORD_BYTES = 8192;
    private static final String SUFFIX = ".json";
    private static final String TEMP_PREFIX = ".tmp-";
    /** Daemon-side data, so Jackson (the plugin's MiniJson is for CNI documents only); as strict as it. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path dir;

    public AttachmentRecords(Path dir) {
        this.dir = dir;
    }

    public static AttachmentRecords besideSocket(Path socket) {
        return new AttachmentRecords(socket.toAbsolutePath().getParent().resolve(DIR_NAME));
    }

    public Path dir() {
        return dir;
    }

    /** Stores (or replaces) the record of an attachment; a reader never sees half a file. */
    public void put(AttachmentRecord record) {
        Path tmp = null;
        try {
            ensureDirectory();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("containerId", record.containerId());
            entry.put("ifname", record.ifname());
            entry.put("netns", record.netns().toString());
            entry.put("hostVeth", record.hostVeth());
            entry.put("bridge", record.bridge());
            entry.put("hairpin", record.hairpin());
            record.address().ifPresent(a -> entry.put("address", a));
            record.addressChange().ifPresent(c -> {
                Map<String, Object> change = new LinkedHashMap<>();
                change.put("at", c.at().toString());
                change.put("from", c.from());
                change.put("to", c.to());
                change.put("policy", c.policy());
                change.put("cause", c.cause());
                entry.put("addressChange", change);
            });
            tmp = Files.createTempFile(dir, TEMP_PREFIX, SUFFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, JSON.writeValueAsString(entry) + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            // rename(2) replaces a link at the target name, it never writes through it
            Files.move(tmp, fileOf(record.hostVeth()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the attachment record of " + record.attachment() + " in "
                    + dir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Removes the record of an attachment; no record is fine. */
    public void remove(String containerId, String ifname) {
        forget(VethNames.hostVeth(containerId, ifname));
    }

    /** Removes the record of the attachment whose host veth is {@code hostVeth}; no record is fine. */
    public void forget(String hostVeth) {
        if (!VethNames.HOST_VETH.matcher(hostVeth).matches()) {
            throw new IllegalArgumentException("cannot remove the attachment record of \"" + hostVeth
                    + "\": not the name of a terway host veth");
        }
        try {
            // deletes a link itself, never its target
            Files.deleteIfExists(fileOf(hostVeth));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the attachment record of " + hostVeth + " from " + dir
                    + ": " + e.getMessage(), e);
        }
    }

    /** The record of an attachment, if there is one (and it is readable). */
    public Optional<AttachmentRecord> get(String containerId, String ifname, Consumer<String> warn) {
        Path file = fileOf(VethNames.hostVeth(containerId, ifname));
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(read(file)));
        } catch (JsonProcessingException e) {
            warn.accept("attachment records: cannot read " + file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException | IllegalArgumentException e) {
            warn.accept("attachment records: cannot read " + file + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Every stored record. Files that are links, too large, unreadable or invalid are reported and skipped. */
    public List<AttachmentRecord> all(Consumer<String> warn) {
        List<AttachmentRecord> out = new ArrayList<>();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            warn.accept("attachment records: " + dir + " is not a directory (a symbolic link is never followed);"
                    + " no records read");
            return out;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "tw*" + SUFFIX)) {
            entries.forEach(files::add);
        } catch (IOException e) {
            warn.accept("attachment records: cannot list " + dir + ": " + e.getMessage());
            return out;
        }
        files.sort(null);
        for (Path file : files) {
            try {
                AttachmentRecord record = parse(read(file));
                if (!file.getFileName().toString().equals(record.hostVeth() + SUFFIX)) {
                    throw new IllegalArgumentException("it describes " + record.hostVeth() + ", which belongs in "
                            + record.hostVeth() + SUFFIX);
                }
                out.add(record);
            } catch (JsonProcessingException e) {
                warn.accept("attachment records: skipping " + file + ": not valid JSON: " + e.getOriginalMessage());
            } catch (IOException | IllegalArgumentException e) {
                warn.accept("attachment records: skipping " + file + ": " + e.getMessage());
            }
        }
        return out;
    }

    private void ensureDirectory() throws IOException {
        if (Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is a symbolic link, which terway never follows");
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another writer made it first; the check below still applies
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (a symbolic link is never followed)");
        }
    }

    private static String read(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile() || attributes.size() > MAX_RECORD_BYTES) {
            throw new IOException("not a small regular file (a symbolic link is never followed)");
        }
        // O_NOFOLLOW and a bounded read: the file may have been swapped since the look above
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(MAX_RECORD_BYTES + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // until end of file or one byte past the limit
            }
            if (!buffer.hasRemaining()) {
                throw new IOException("larger than a record can be (" + MAX_RECORD_BYTES + " bytes)");
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
    }

    private static AttachmentRecord parse(String text) throws JsonProcessingException {
        JsonNode m = JSON.readTree(text);
        if (m != null && m.isObject() && m.path("containerId").isTextual() && m.path("ifname").isTextual()
                && m.path("netns").isTextual() && m.path("hostVeth").isTextual() && m.path("bridge").isTextual()
                && m.path("hairpin").isBoolean()) {
            return new AttachmentRecord(m.get("containerId").textValue(), m.get("ifname").textValue(),
                    Path.of(m.get("netns").textValue()), m.get("hostVeth").textValue(), m.get("bridge").textValue(),
                    m.get("hairpin").booleanValue(), optionalText(m, "address"), addressChange(m.get("addressChange")));
        }
        throw new IllegalArgumentException("it lacks one of containerId, ifname, netns, hostVeth, bridge (strings)"
                + " and hairpin (true/false)");
    }

    private static Optional<String> optionalText(JsonNode m, String field) {
        JsonNode value = m.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (value.isTextual()) {
            return Optional.of(value.textValue());
        }
        throw new IllegalArgumentException(field + " must be a string");
    }

    private static Optional<AttachmentRecord.AddressChange> addressChange(JsonNode c) {
        if (c == null || c.isNull()) {
            return Optional.empty();
        }
        if (c.isObject() && c.path("at").isTextual() && c.path("from").isTextual() && c.path("to").isTextual()
                && c.path("policy").isTextual() && c.path("cause").isTextual()) {
            try {
                return Optional.of(new AttachmentRecord.AddressChange(Instant.parse(c.get("at").textValue()),
                        c.get("from").textValue(), c.get("to").textValue(), c.get("policy").textValue(),
                        c.get("cause").textValue()));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("addressChange.at is not an ISO-8601 instant");
            }
        }
        throw new IllegalArgumentException("addressChange must be an object of at, from, to, policy and cause"
                + " (strings)");
    }

    private Path fileOf(String hostVeth) {
        return dir.resolve(hostVeth + SUFFIX);
    }

    private static void deleteQuietly(Path tmp) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // the write already failed and says so; a stray temp file is never read as a record
        }
    }
}
