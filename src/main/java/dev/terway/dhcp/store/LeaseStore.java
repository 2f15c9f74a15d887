package dev.terway.dhcp.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.store.RecordDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Leases on disk: one JSON document per lease in {@code <state-dir>/leases/}, so that a daemon restart
 * (or crash) resumes every lease instead of forgetting it.
 *
 * <p>Written through a {@link RecordDirectory} (atomic, 0600 in a 0700 directory, no symbolic link
 * followed) with {@link RecordDirectory.Fsync#FILE_AND_DIRECTORY}: the leases live on disk to survive a
 * restart, and a lease file that power loss rolled back or emptied would make the daemon forget a lease the
 * server still holds for the pod, or renew one it had released.
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
    /** Far above any lease document; bounds what a hostile or broken file can make us read. */
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;
    private static final int MAX_NAME = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What starts the file names of the DHCPv6 leases, kept in the same directory as the IPv4 ones: a DHCPv4
     * file name never has a second {@code @} ({@link #encode} escapes it), so the two families never share a
     * file, and the IPv4 store passes over the DHCPv6 files (and the other way round).
     */
    static final String DHCP6_PREFIX = "dhcp6@";

    private final RecordDirectory records;
    private final Consumer<String> warnings;
    /** "" for the IPv4 leases, {@link #DHCP6_PREFIX} for the DHCPv6 ones. */
    private final String prefix;
    private final ConcurrentHashMap<LeaseKey, Object> keyLocks = new ConcurrentHashMap<>();

    private LeaseStore(RecordDirectory records, Consumer<String> warnings, String prefix) {
        this.records = records;
        this.warnings = warnings;
        this.prefix = prefix;
    }

    /** Opens (creating with mode 0700 if needed) the store of the DHCPv4 leases in {@code <stateDir>/leases}. */
    public static LeaseStore open(Path stateDir, Consumer<String> warnings) throws IOException {
        return open(stateDir, warnings, "");
    }

    /**
     * The DHCPv6 leases: the same directory, files named {@code dhcp6@<container>@<ifname>.json}, so a pod
     * interface's two leases are two files side by side and a store from before DHCPv6 loads unchanged.
     */
    public static LeaseStore openDhcp6(Path stateDir, Consumer<String> warnings) throws IOException {
        return open(stateDir, warnings, DHCP6_PREFIX);
    }

    private static LeaseStore open(Path stateDir, Consumer<String> warnings, String prefix) throws IOException {
        Files.createDirectories(stateDir);
        RecordDirectory records = RecordDirectory.of(stateDir.resolve("leases"), RecordDirectory.Fsync.FILE_AND_DIRECTORY);
        try {
            records.create();
        } catch (IOException e) {
            throw new IOException("refusing lease directory " + records.path() + ": " + e.getMessage(), e);
        }
        // One made by an older terway, or by hand, may have the umask's mode.
        Files.setPosixFilePermissions(records.path(), PosixFilePermissions.fromString("rwx------"));
        // Nobody writes yet: temp files are writes a crash interrupted, whose lease file still holds the
        // previous document.
        records.removeInterruptedWrites();
        return new LeaseStore(records, Objects.requireNonNull(warnings), prefix);
    }

    public Path directory() {
        return records.path();
    }

    /** The file a key is stored in. */
    public Path fileOf(LeaseKey key) {
        return records.file(fileName(key));
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
        synchronized (lockOf(key)) {
            try {
                records.write(fileName(key), bytes);
            } catch (IOException | RuntimeException e) {
                throw new IOException("failed to save lease " + key + " to " + fileOf(key) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Removes the lease's file. Returns false when there was none. */
    public boolean delete(LeaseKey key) throws IOException {
        synchronized (lockOf(key)) {
            return records.delete(fileName(key));
        }
    }

    /**
     * Reads every stored lease. Files that are unreadable, symlinks, too large, not JSON, not for the key
     * their name says, or rejected by the decoder are reported and skipped. Temp files are not leases
     * and are passed over.
     */
    public <T> List<Loaded<T>> loadAll(Decoder<T> decoder) throws IOException {
        List<Loaded<T>> loaded = new ArrayList<>();
        for (String name : records.names("*")) {
            Path file = records.file(name);
            if (isDhcp6Name(name) != !prefix.isEmpty()) {
                continue; // the other family's lease
            }
            if (!name.endsWith(SUFFIX)) {
                warnings.accept("lease store: ignoring " + file + ": not a lease file (no " + SUFFIX + " suffix)");
                continue;
            }
            try {
                Optional<byte[]> bytes = records.read(name, MAX_DOCUMENT_BYTES);
                if (bytes.isEmpty()) {
                    continue; // deleted since the listing
                }
                JsonNode document = parse(bytes.get());
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

    private static JsonNode parse(byte[] bytes) {
        try {
            JsonNode document = JSON.readTree(bytes);
            if (document == null || !document.isObject()) {
                throw new IllegalArgumentException("it is not a JSON object");
            }
            return document;
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("it is not valid JSON (" + why + ")");
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

    /**
     * The file name for a key: container id and interface name, percent-encoded byte-wise outside
     * {@code [A-Za-z0-9_.-]} (and a leading dot), joined by {@code @}. Injective, so two keys never share a
     * file; names that would be too long for the file system become a SHA-256 of the key instead.
     */
    String fileName(LeaseKey key) {
        return prefix + fileName4(key);
    }

    /**
     * Whether a file holds a DHCPv6 lease: {@link #DHCP6_PREFIX} and then an IPv4-style name, which has an
     * {@code @} of its own or is a SHA-256 name (an IPv4 lease of container "dhcp6" has neither after it).
     */
    static boolean isDhcp6Name(String name) {
        if (!name.startsWith(DHCP6_PREFIX)) {
            return false;
        }
        String rest = name.substring(DHCP6_PREFIX.length());
        return rest.indexOf('@') >= 0 || rest.matches("sha256-[0-9a-f]{64}\\.json");
    }

    /** The IPv4 lease's file name, which a DHCPv6 lease's has after {@link #DHCP6_PREFIX}. */
    static String fileName4(LeaseKey key) {
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
