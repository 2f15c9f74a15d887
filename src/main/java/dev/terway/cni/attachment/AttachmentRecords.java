package dev.terway.cni.attachment;

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
 * tmpfs: the records vanish exactly when a real reboot destroys the veths they describe.
 *
 * <p>Written through a {@link RecordDirectory} (atomic, {@code 0600} in a {@code 0700} directory, no symbolic
 * link followed: a linked directory is refused, a linked or oversized record is skipped with a warning) with
 * {@link RecordDirectory.Fsync#NONE}: on tmpfs fsync does nothing, and the power loss or crash of the node
 * that could lose a record also destroys the veth it describes. A crash of the daemon alone loses nothing.
 */
public final class AttachmentRecords {

    public static final String DIR_NAME = "attachments";
    /** A record is a few hundred bytes; anything far larger was not written by {@link #put}. */
    static final int MAX_RECORD_BYTES = 8192;
    private static final String SUFFIX = ".json";
    /** Daemon-side data, so Jackson (the plugin's MiniJson is for CNI documents only); as strict as it. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final RecordDirectory records;

    public AttachmentRecords(Path dir) {
        this.records = RecordDirectory.of(dir, RecordDirectory.Fsync.NONE);
    }

    public static AttachmentRecords besideSocket(Path socket) {
        return new AttachmentRecords(socket.toAbsolutePath().getParent().resolve(DIR_NAME));
    }

    public Path dir() {
        return records.path();
    }

    /** Stores (or replaces) the record of an attachment; a reader never sees half a file. */
    public void put(AttachmentRecord record) {
        try {
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
            records.write(record.hostVeth() + SUFFIX,
                    (JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the attachment record of " + record.attachment() + " in "
                    + dir() + ": " + e.getMessage(), e);
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
            records.delete(hostVeth + SUFFIX);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the attachment record of " + hostVeth + " from " + dir()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The record of an attachment, if there is one (and it is readable). */
    public Optional<AttachmentRecord> get(String containerId, String ifname, Consumer<String> warn) {
        String name = VethNames.hostVeth(containerId, ifname) + SUFFIX;
        Path file = records.file(name);
        try {
            Optional<byte[]> bytes = records.read(name, MAX_RECORD_BYTES);
            return bytes.isEmpty() ? Optional.empty()
                    : Optional.of(parse(new String(bytes.get(), StandardCharsets.UTF_8)));
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
        List<String> names;
        try {
            names = records.names("tw*" + SUFFIX);
        } catch (IOException e) {
            warn.accept("attachment records: cannot list " + dir() + ": " + e.getMessage() + "; no records read");
            return out;
        }
        for (String name : names) {
            Path file = records.file(name);
            try {
                Optional<byte[]> bytes = records.read(name, MAX_RECORD_BYTES);
                if (bytes.isEmpty()) {
                    continue; // removed since the listing
                }
                AttachmentRecord record = parse(new String(bytes.get(), StandardCharsets.UTF_8));
                if (!name.equals(record.hostVeth() + SUFFIX)) {
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
}
