package dev.terway.migration;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Route;
import dev.terway.store.RecordDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Keeps the {@link SetupRecord} in {@code <state-dir>/setup.json}. The file format is its own small,
 * versioned JSON shape rather than a dump of the in-memory records, so that refactoring those records
 * never makes an existing node's record unreadable.
 *
 * <p>Written through a {@link RecordDirectory} (atomic, {@code 0600}, never through a symbolic link) with
 * {@link RecordDirectory.Fsync#FILE_AND_DIRECTORY}: the record is what teardown trusts to restore the node,
 * so power loss right after setup must leave the old or the new record, never an empty or vanished one. The
 * state directory itself may be a link (an operator may put {@code --state-dir} on another disk).
 */
public final class SetupRecordStore {

    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Far above any record (a NIC with thousands of routes); bounds what a broken file can make us read. */
    static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private final Path file;
    private final RecordDirectory records;

    public SetupRecordStore(Path file) {
        this.file = file;
        this.records = RecordDirectory.of(file.toAbsolutePath().getParent(), RecordDirectory.Fsync.FILE_AND_DIRECTORY)
                .acceptingALinkedDirectory();
    }

    public Path file() {
        return file;
    }

    public Optional<SetupRecord> load() throws MigrationException {
        Optional<byte[]> bytes;
        try {
            bytes = records.read(name(), MAX_RECORD_BYTES);
        } catch (IOException e) {
            throw new MigrationException("cannot read setup record " + file + ": " + e.getMessage(), e);
        }
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        try {
            FileFormat stored = JSON.readValue(bytes.get(), FileFormat.class);
            if (stored.version() != FORMAT_VERSION) {
                throw new MigrationException("cannot read setup record " + file + ": format version "
                        + stored.version() + " is not the supported version " + FORMAT_VERSION);
            }
            return Optional.of(stored.toRecord());
        } catch (IOException | RuntimeException e) {
            throw new MigrationException("cannot read setup record " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the record atomically: temp file, fsync, rename, fsync of the directory; mode 0600. */
    public void save(SetupRecord record) throws MigrationException {
        try {
            records.write(name(), JSON.writeValueAsBytes(FileFormat.of(record)));
        } catch (IOException e) {
            throw new MigrationException("cannot write setup record " + file + ": " + e.getMessage(), e);
        }
    }

    public void delete() throws MigrationException {
        try {
            records.delete(name());
        } catch (IOException e) {
            throw new MigrationException("cannot delete setup record " + file + ": " + e.getMessage(), e);
        }
    }

    private String name() {
        return file.getFileName().toString();
    }

    /** The stored shape. Nulls stand for "absent", as in the JSON of {@code ip -j}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FileFormat(int version, String iface, String bridge, int mtu, String mac, List<StoredAddress> addresses,
                      List<StoredRoute> routes, StoredIpv6 nicIpv6, StoredNetns netns) {

        static FileFormat of(SetupRecord r) {
            return new FileFormat(FORMAT_VERSION, r.iface(), r.bridge(), r.mtu(), r.mac(),
                    r.addresses().stream().map(StoredAddress::of).toList(),
                    r.routes().stream().map(StoredRoute::of).toList(), r.nicIpv6().map(StoredIpv6::of).orElse(null),
                    r.netns().map(StoredNetns::of).orElse(null));
        }

        SetupRecord toRecord() {
            return new SetupRecord(require(iface, "iface"), require(bridge, "bridge"), mtu, require(mac, "mac"),
                    addresses == null ? List.of() : addresses.stream().map(StoredAddress::toAddress).toList(),
                    routes == null ? List.of() : routes.stream().map(StoredRoute::toRoute).toList(),
                    Optional.ofNullable(nicIpv6).map(StoredIpv6::toConf),
                    Optional.ofNullable(netns).map(StoredNetns::toBridged));
        }
    }

    /** The bridged namespace: nsfs device and inode, and the boot they are valid for. */
    record StoredNetns(long dev, long ino, String bootId) {

        static StoredNetns of(SetupRecord.BridgedNamespace n) {
            return new StoredNetns(n.identity().dev(), n.identity().ino(), n.bootId());
        }

        SetupRecord.BridgedNamespace toBridged() {
            return new SetupRecord.BridgedNamespace(new NetnsIdentity(dev, ino), require(bootId, "netns bootId"));
        }
    }

    /** Fields added after the first release are optional (null), so that records of that release still load. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StoredAddress(String dev, String family, String local, int prefixlen, String scope, boolean secondary,
                         String broadcast, String label, long validLifetime, long preferredLifetime,
                         List<String> flags, Integer metric) {

        static StoredAddress of(IpAddress a) {
            return new StoredAddress(a.dev(), a.family().jsonName(), a.local(), a.prefixLen(), a.scope(),
                    a.secondary(), a.broadcast().orElse(null), a.label().orElse(null), a.validLifetime(),
                    a.preferredLifetime(), a.flags().isEmpty() ? null : a.flags().stream().sorted().toList(),
                    a.metric().orElse(null));
        }

        IpAddress toAddress() {
            return new IpAddress(require(dev, "address dev"), Family.fromJson(require(family, "address family")),
                    require(local, "address local"), prefixlen, scope == null ? "global" : scope, secondary,
                    Optional.ofNullable(broadcast), Optional.ofNullable(label), validLifetime, preferredLifetime,
                    flags == null ? Set.of() : Set.copyOf(flags), Optional.ofNullable(metric));
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StoredRoute(String family, String dst, String gateway, String dev, String protocol, String scope,
                       String prefsrc, Integer metric, List<String> flags, String type, String pref, Integer expires,
                       Map<String, String> metrics) {

        static StoredRoute of(Route r) {
            return new StoredRoute(r.family().jsonName(), r.dst(), r.gateway().orElse(null), r.dev().orElse(null),
                    r.protocol().orElse(null), r.scope().orElse(null), r.prefsrc().orElse(null),
                    r.metric().orElse(null), r.flags().stream().sorted().toList(), r.type().orElse(null),
                    r.pref().orElse(null), r.expires().orElse(null),
                    r.metrics().isEmpty() ? null : new TreeMap<>(r.metrics()));
        }

        Route toRoute() {
            return new Route(Family.fromJson(require(family, "route family")), require(dst, "route dst"),
                    Optional.ofNullable(gateway), Optional.ofNullable(dev), Optional.ofNullable(protocol),
                    Optional.ofNullable(scope), Optional.ofNullable(prefsrc), Optional.ofNullable(metric),
                    flags == null ? Set.of() : Set.copyOf(flags), Optional.ofNullable(type),
                    Optional.ofNullable(pref), Optional.ofNullable(expires), metrics == null ? Map.of() : metrics);
        }
    }

    record StoredIpv6(int disableIpv6, int acceptRa, int autoconf, int forwarding) {

        static StoredIpv6 of(Ipv6Conf c) {
            return new StoredIpv6(c.disableIpv6(), c.acceptRa(), c.autoconf(), c.forwarding());
        }

        Ipv6Conf toConf() {
            return new Ipv6Conf(disableIpv6, acceptRa, autoconf, forwarding);
        }
    }

    private static String require(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("missing \"" + field + "\"");
        }
        return value;
    }
}
