package dev.terway.dhcp.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;

    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private LeaseStore store;

    @BeforeEach
    void open() throws IOException {
        store = LeaseStore.open(stateDir, warnings::add);
    }

    private static ObjectNode lease(String address) {
        ObjectNode node = JSON.createObjectNode();
        node.put("address", address);
        return node;
    }

    private static String address(JsonNode document) {
        JsonNode address = document.get("address");
        if (address == null || !address.isTextual()) {
            throw new IllegalArgumentException("no address");
        }
        return address.asText();
    }

    @Test
    void savedLeasesLoadBackWithTheirKeys() throws IOException {
        store.save(new LeaseKey("c1", "eth0"), lease("10.0.0.5/24"));
        store.save(new LeaseKey("c2", "net1"), lease("10.0.0.6/24"));

        List<LeaseStore.Loaded<String>> loaded = store.loadAll(LeaseStoreTest::address);

        assertEquals(2, loaded.size());
        assertEquals(new LeaseKey("c1", "eth0"), loaded.get(0).key());
        assertEquals("10.0.0.5/24", loaded.get(0).value());
        assertEquals(new LeaseKey("c2", "net1"), loaded.get(1).key());
        assertEquals("10.0.0.6/24", loaded.get(1).value());
        assertEquals(List.of(), warnings);
    }

    @Test
    void dhcp6LeasesLiveBesideTheIpv4OnesAndEachStoreLoadsOnlyItsOwn() throws IOException {
        LeaseStore store6 = LeaseStore.openDhcp6(stateDir, warnings::add);
        store.save(new LeaseKey("c1", "eth0"), lease("10.0.0.5"));
        // An IPv4 lease whose container id is "dhcp6": its file starts like a DHCPv6 one, and must stay IPv4's.
        store.save(new LeaseKey("dhcp6", "sha256-x"), lease("10.0.0.6"));
        store6.save(new LeaseKey("c1", "eth0"), lease("fd00::5"));
        store6.save(new LeaseKey("c".repeat(300), "eth0"), lease("fd00::6"));
        assertTrue(Files.exists(stateDir.resolve("leases/c1@eth0.json")));
        assertTrue(Files.exists(stateDir.resolve("leases/dhcp6@c1@eth0.json")));
        List<String> v4 = store.loadAll(d -> address(d)).stream().map(LeaseStore.Loaded::value).sorted().toList();
        List<String> v6 = store6.loadAll(d -> address(d)).stream().map(LeaseStore.Loaded::value).sorted().toList();
        assertEquals(List.of("10.0.0.5", "10.0.0.6"), v4);
        assertEquals(List.of("fd00::5", "fd00::6"), v6);
        assertTrue(warnings.isEmpty(), "no store calls the other's files corrupt: " + warnings);
        assertTrue(store6.delete(new LeaseKey("c1", "eth0")));
        assertTrue(Files.exists(stateDir.resolve("leases/c1@eth0.json")), "the IPv4 lease of the same key stays");
    }

    @Test
    void filesAreOwnerOnlyAndTheDirectoryToo() throws IOException {
        LeaseKey key = new LeaseKey("c1", "eth0");
        store.save(key, lease("10.0.0.5/24"));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.fileOf(key))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.directory())));
        assertEquals(stateDir.resolve("leases"), store.directory());
    }

    @Test
    void saveReplacesTheDocumentAndLeavesNoTempFiles() throws IOException {
        LeaseKey key = new LeaseKey("c1", "eth0");
        store.save(key, lease("10.0.0.5/24"));
        store.save(key, lease("10.0.0.9/24"));

        assertEquals(List.of("10.0.0.9/24"),
                store.loadAll(LeaseStoreTest::address).stream().map(LeaseStore.Loaded::value).toList());
        assertEquals(List.of(store.fileOf(key)), listDir());
    }

    @Test
    void deleteRemovesTheFileAndReportsWhetherThereWasOne() throws IOException {
        LeaseKey key = new LeaseKey("c1", "eth0");
        store.save(key, lease("10.0.0.5/24"));

        assertTrue(store.delete(key));
        assertFalse(store.delete(key));
        assertEquals(List.of(), store.loadAll(LeaseStoreTest::address));
    }

    @Test
    void hostileKeysStayInsideTheDirectoryAndNeverCollide() throws IOException {
        List<LeaseKey> keys = List.of(
                new LeaseKey("../../etc/passwd", "eth0"),
                new LeaseKey("a@b", "c"),
                new LeaseKey("a", "b@c"),
                new LeaseKey("a%40b", "c"),
                new LeaseKey(".", "eth0"),
                new LeaseKey("..", "eth0"),
                new LeaseKey("x/y", "z"),
                new LeaseKey("ünïcode", "eth0"),
                new LeaseKey("x".repeat(500), "eth0"),
                new LeaseKey("x".repeat(500), "eth1"));
        Set<String> names = new HashSet<>();
        for (LeaseKey key : keys) {
            Path file = store.fileOf(key);
            assertEquals(store.directory(), file.getParent(), key + " must stay in the lease directory");
            assertFalse(file.getFileName().toString().startsWith("."), key + " must not be a hidden file");
            assertTrue(file.getFileName().toString().length() < 255);
            names.add(file.getFileName().toString());
            store.save(key, lease("10.0.0.1/24"));
        }
        assertEquals(keys.size(), names.size(), "every key gets its own file");

        List<LeaseKey> loaded = store.loadAll(LeaseStoreTest::address).stream().map(LeaseStore.Loaded::key).toList();
        assertEquals(new HashSet<>(keys), new HashSet<>(loaded));
        assertEquals(List.of(), warnings);
        try (Stream<Path> outside = Files.list(stateDir)) {
            assertEquals(List.of(store.directory()), outside.toList());
        }
    }

    @Test
    void aCorruptFileIsReportedAndSkippedWhileTheOthersLoad() throws IOException {
        store.save(new LeaseKey("good", "eth0"), lease("10.0.0.5/24"));
        Path truncated = store.directory().resolve("bad@eth0.json");
        Files.writeString(truncated, "{\"containerId\":\"bad\",\"ifname\":\"eth0\",\"addr");
        Path notObject = store.directory().resolve("arr@eth0.json");
        Files.writeString(notObject, "[1,2]");
        Path empty = store.directory().resolve("empty@eth0.json");
        Files.writeString(empty, "");
        Path binary = store.directory().resolve("bin@eth0.json");
        Files.write(binary, new byte[] {(byte) 0xff, 0, 1, 2, (byte) 0xfe});

        List<LeaseStore.Loaded<String>> loaded = store.loadAll(LeaseStoreTest::address);

        assertEquals(List.of("10.0.0.5/24"), loaded.stream().map(LeaseStore.Loaded::value).toList());
        assertEquals(4, warnings.size(), warnings.toString());
        for (Path bad : List.of(truncated, notObject, empty, binary)) {
            assertTrue(warnings.stream().anyMatch(w -> w.contains("skipping corrupt lease file " + bad)),
                    bad + " must be named in a warning: " + warnings);
        }
    }

    @Test
    void aDocumentTheDecoderRejectsIsSkipped() throws IOException {
        ObjectNode noAddress = JSON.createObjectNode();
        noAddress.put("something", "else");
        store.save(new LeaseKey("c1", "eth0"), noAddress);

        assertEquals(List.of(), store.loadAll(LeaseStoreTest::address));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("no address"), warnings.get(0));
    }

    @Test
    void aDocumentUnderAnotherKeysNameIsSkipped() throws IOException {
        store.save(new LeaseKey("c1", "eth0"), lease("10.0.0.5/24"));
        Files.move(store.fileOf(new LeaseKey("c1", "eth0")), store.directory().resolve("c2@eth0.json"));

        assertEquals(List.of(), store.loadAll(LeaseStoreTest::address));
        assertTrue(warnings.get(0).contains("holds the lease of c1/eth0"), warnings.toString());
    }

    @Test
    void symlinkedLeaseFilesAreRefusedNotFollowed() throws IOException {
        Path outside = Files.createTempFile(stateDir, "outside", ".json");
        Files.writeString(outside, "{\"containerId\":\"c1\",\"ifname\":\"eth0\",\"address\":\"6.6.6.6/32\"}");
        Path link = store.fileOf(new LeaseKey("c1", "eth0"));
        Files.createSymbolicLink(link, outside);

        assertEquals(List.of(), store.loadAll(LeaseStoreTest::address));
        assertTrue(warnings.get(0).contains("symbolic link"), warnings.toString());

        // Saving replaces the link itself; the file it pointed to is untouched.
        store.save(new LeaseKey("c1", "eth0"), lease("10.0.0.5/24"));
        assertFalse(Files.isSymbolicLink(link));
        assertTrue(Files.readString(outside).contains("6.6.6.6"));
    }

    @Test
    void aSymlinkedLeaseDirectoryIsRefused() throws IOException {
        Path other = Files.createDirectory(stateDir.resolve("other-state"));
        Path elsewhere = Files.createDirectory(stateDir.resolve("elsewhere"));
        Files.createSymbolicLink(other.resolve("leases"), elsewhere);

        IOException e = assertThrows(IOException.class, () -> LeaseStore.open(other, warnings::add));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void oversizedFilesAreSkipped() throws IOException {
        Path big = store.directory().resolve("big@eth0.json");
        Files.writeString(big, "{\"containerId\":\"big\",\"ifname\":\"eth0\",\"pad\":\""
                + "x".repeat(LeaseStore.MAX_DOCUMENT_BYTES) + "\"}");

        assertEquals(List.of(), store.loadAll(LeaseStoreTest::address));
        assertTrue(warnings.get(0).contains("more than the " + LeaseStore.MAX_DOCUMENT_BYTES), warnings.toString());
    }

    @Test
    void tempFilesLeftByACrashAreRemovedAndOtherFilesIgnored() throws IOException {
        Path stale = store.directory().resolve(".lease-123.tmp");
        Files.writeString(stale, "{\"half\":");
        Path stray = store.directory().resolve("README");
        Files.writeString(stray, "hello");
        store.save(new LeaseKey("c1", "eth0"), lease("10.0.0.5/24"));

        assertEquals(1, store.loadAll(LeaseStoreTest::address).size());
        assertTrue(Files.exists(stale), "a temp file may be a write in progress while the store is open");
        store = LeaseStore.open(stateDir, warnings::add);
        assertFalse(Files.exists(stale), "opening the store removes writes a crash interrupted");
        assertEquals(1, store.loadAll(LeaseStoreTest::address).size());
        assertTrue(Files.exists(stray), "files the store did not write are left alone");
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("not a lease file"));
    }

    @Test
    void concurrentWritesToOneKeyLeaveOneCompleteDocument() throws Exception {
        LeaseKey key = new LeaseKey("c1", "eth0");
        int writers = 8;
        int writesEach = 40;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        Set<String> written = new HashSet<>();
        for (int w = 0; w < writers; w++) {
            for (int i = 0; i < writesEach; i++) {
                written.add("10." + w + "." + i + ".1/24");
            }
            int writer = w;
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < writesEach; i++) {
                    ObjectNode doc = lease("10." + writer + "." + i + ".1/24");
                    doc.put("padding", "p".repeat(4000 + writer * 100 + i));
                    store.save(key, doc);
                    // a concurrent reader must always see a whole document
                    List<LeaseStore.Loaded<String>> seen = store.loadAll(LeaseStoreTest::address);
                    if (seen.size() != 1 || !written.contains(seen.get(0).value())) {
                        throw new AssertionError("reader saw " + seen);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();

        List<LeaseStore.Loaded<String>> loaded = store.loadAll(LeaseStoreTest::address);
        assertEquals(1, loaded.size());
        assertTrue(written.contains(loaded.get(0).value()));
        assertEquals(List.of(), warnings);
        assertEquals(List.of(store.fileOf(key)), listDir());
    }

    @Test
    void concurrentWritesToManyKeysAllLand() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                store.save(new LeaseKey("c" + n, "eth0"), lease("10.1." + (n / 250) + "." + (n % 250) + "/16"));
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();

        assertEquals(200, store.loadAll(LeaseStoreTest::address).size());
        assertEquals(List.of(), warnings);
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> files = Files.list(store.directory())) {
            return files.filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
    }
}
