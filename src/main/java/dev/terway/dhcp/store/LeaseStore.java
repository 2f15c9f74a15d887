package dev.terway.dhcp.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Leases on disk: one JSON document per lease in {@code <state-dir>/leases/}, so that a daemon restart
 * (or crash) resumes every lease instead of forgetting it.
 *
 * <p>Every write is atomic: a fresh temp file in the same directory (created exclusively, mode 0600),
 * fsync, rename over the target, fsync of the directory. A reader therefore sees the old or the new
 * document, never a torn one, even after power loss. Symbolic links are never followed: a lease file
 * that is a symlink is refused, and rename replaces a link instead of writing through it.
 *
 * <p>A file that cannot be read or decoded is reported through the warning sink and skipped: one bad
 * file must not keep the daemon, and every other pod's lease, from starting.
 */
public final class LeaseStore {

    /** Decodes one stored document; throws {@link IllegalArgumentException} when it is not a lease. */
    @FunctionalInterface
    public interface Decoder<T> {
        T decode(JsonNode document);
    }

    /** A decoded lease and the file it came from. */
    public record Loaded<T>(LeaseKey key, Path file, T value) {
    }

    static final String SUFFIX = ".json";
    private static final String TEMP_PREFIX = ".lease-";
    private static final String TEMP_SUFFIX = ".tmp";
    /** Far above any lease document; bounds what a hostile or broken file can make us read. */
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;
    private static final int MAX_NAME = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Consumer<String> warnings;
    private final ConcurrentHashMap<LeaseKey, Object> keyLocks = new ConcurrentHashMap<>();

    private LeaseStore(Path dir, Consumer<String> warnings) {
        this.dir = dir;
        this.warnings = warnings;
    }

    /** Opens (creating with mode 0700 if needed) the store in {@code <stateDir>/leases}. */
    public static LeaseStore open(Path stateDir, Consumer<String> warnings) throws IOException {
        Path dir = stateDir.resolve("leases");
        Files.createDirectories(stateDir);
        if (Files.isSymbolicLink(dir)) {
            throw new IOException("refusing lease directory " + dir + ": it is a symbolic link");
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another opener made it first; the checks below still apply
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("refusing lease directory " + dir + ": it is not a directory");
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        removeInterruptedWrites(dir);
        return new LeaseStore(dir, Objects.requireNonNull(warnings));
    }

    /**
     * Temp files of writes a crash interrupted. Only safe while nobody writes, i.e. when the daemon opens
     * its store; the rename never happened, so the lease file still holds the previous document.
     */
    private static void removeInterruptedWrites(Path dir) throws IOException {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path temp : temps) {
                Files.deleteIfExists(temp);
            }
        }
    }

    public Path directory() {
        return dir;
    }

    /** The file a key is stored in. */
    public Path fileOf(LeaseKey key) {
        return dir.resolve(fileName(key));
    }

    /**
     * Writes the document for {@code key} atomically. The document is stored with {@code containerId} and
     * {@code ifname} set to the key, which is how {@link #loadAll} checks a file belongs where it is.
     */
    public void save(LeaseKey key, ObjectNode document) throws IOException {
        ObjectNode stored = document.deepCopy();
        stored.put("containerId", key.containerId());
        stored.put("ifname", key.ifname());
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stored);
        Path target = fileOf(key);
        synchronized (lockOf(key)) {
            Path temp = Files.createTempFile(dir, TEMP_PREFIX, TEMP_SUFFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    ByteBuffer buffer = ByteBuffer.wrap(bytes);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true);
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw new IOException("failed to save lease " + key + " to " + target + ": " + e.getMessage(), e);
            }
            syncDirectory();
        }
    }

    /** Removes the lease's file. Returns false when there was none. */
    public boolean delete(LeaseKey key) throws IOException {
        Path target = fileOf(key);
        synchronized (lockOf(key)) {
            boolean existed = Files.deleteIfExists(target);
            if (existed) {
                syncDirectory();
            }
            return existed;
        }
    }

    /**
     * Reads every stored lease. Files that are unreadable, symlinks, too large, not JSON, not for the key
     * their name says, or rejected by the decoder are reported and skipped. Temp files are not leases
     * and are passed over.
     */
    public <T> List<Loaded<T>> loadAll(Decoder<T> decoder) throws IOException {
        List<Loaded<T>> loaded = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(files::add);
        }
        files.sort(Comparator.naturalOrder());
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX)) {
                continue; // a write in progress, or one a crash interrupted (removed by open)
            }
            if (!name.endsWith(SUFFIX)) {
                warnings.accept("lease store: ignoring " + file + ": not a lease file (no " + SUFFIX + " suffix)");
                continue;
            }
            try {
                JsonNode document = read(file);
                LeaseKey key = keyOf(document);
                if (!fileName(key).equals(name)) {
                    throw new IllegalArgumentException("it holds the lease of " + key + ", which belongs in "
                            + fileName(key));
                }
                loaded.add(new Loaded<>(key, file, decoder.decode(document)));
            } catch (IOException | IllegalArgumentException e) {
                warnings.accept("lease store: skipping corrupt lease file " + file + ": " + e.getMessage());
            }
        }
        return loaded;
    }

    private JsonNode read(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            throw new IOException("it is a symbolic link, which the store never follows");
        }
        if (!attributes.isRegularFile()) {
            throw new IOException("it is not a regular file");
        }
        if (attributes.size() > MAX_DOCUMENT_BYTES) {
            throw new IOException("it is " + attributes.size() + " bytes, more than a lease can be ("
                    + MAX_DOCUMENT_BYTES + ")");
        }
        byte[] bytes;
        // O_NOFOLLOW: the file could have been swapped for a link since the check above.
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(MAX_DOCUMENT_BYTES + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // keep reading until EOF or one byte past the limit
            }
            if (!buffer.hasRemaining()) {
                throw new IOException("it is larger than a lease can be (" + MAX_DOCUMENT_BYTES + " bytes)");
            }
            bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
        }
        try {
            JsonNode document = JSON.readTree(bytes);
            if (document == null || !document.isObject()) {
                throw new IllegalArgumentException("it is not a JSON object");
            }
            return document;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("it is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    private static LeaseKey keyOf(JsonNode document) {
        JsonNode containerId = document.get("containerId");
        JsonNode ifname = document.get("ifname");
        if (containerId == null || !containerId.isTextual() || containerId.asText().isEmpty()
                || ifname == null || !ifname.isTextual() || ifname.asText().isEmpty()) {
            throw new IllegalArgumentException("it has no containerId/ifname strings");
        }
        return new LeaseKey(containerId.asText(), ifname.asText());
    }

    private Object lockOf(LeaseKey key) {
        return keyLocks.computeIfAbsent(key, k -> new Object());
    }

    private void syncDirectory() throws IOException {
        // Makes the rename or unlink itself durable; without it a crash can resurrect the old file.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * The file name for a key: container id and interface name, percent-encoded byte-wise outside
     * {@code [A-Za-z0-9_.-]} (and a leading dot), joined by {@code @}. Injective, so two keys never share a
     * file; names that would be too long for the file system become a SHA-256 of the key instead.
     */
    static String fileName(LeaseKey key) {
        String name = encode(key.containerId()) + "@" + encode(key.ifname());
        if (name.length() > MAX_NAME) {
            name = "sha256-" + sha256(key.containerId() + "\0" + key.ifname());
        }
        return name + SUFFIX;
    }

    private static String encode(String part) {
        StringBuilder out = new StringBuilder();
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || b == '_' || b == '-' || (b == '.' && i > 0);
            if (plain) {
                out.append((char) b);
            } else {
                out.append('%').append(String.format("%02X", b));
            }
        }
        return out.toString();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
