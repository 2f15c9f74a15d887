package dev.terway.cni.attachment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.VethNames;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttachmentRecordsTest {

    @TempDir
    Path tmp;

    static final AttachmentRecord A = AttachmentRecord.of("c1", "eth0", Path.of("/run/netns/pod-a"), "mybr0", true);
    static final AttachmentRecord B = AttachmentRecord.of("c2", "net1", Path.of("/var/run/netns/pod \"b\""), "br1",
            false);

    AttachmentRecords store() {
        return AttachmentRecords.besideSocket(tmp.resolve("run/dhcp.sock"));
    }

    static List<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void recordsSitBesideTheSocketNamedAfterTheHostVethAndReadBackEqual() throws Exception {
        AttachmentRecords store = store();
        assertEquals(tmp.resolve("run/attachments"), store.dir());
        store.put(A);
        store.put(B);
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of(A, B).stream().sorted((x, y) -> x.hostVeth().compareTo(y.hostVeth())).toList(),
                store.all(warnings::add));
        assertEquals(List.of(), warnings);
        assertEquals(List.of(A.hostVeth() + ".json", B.hostVeth() + ".json").stream().sorted().toList(),
                names(store.dir()), "one file per attachment, no temp file left");
    }

    @Test
    void theAddressAndAnAddressChangeAreKeptAndReadBack() throws Exception {
        AttachmentRecords store = store();
        AttachmentRecord.AddressChange change = new AttachmentRecord.AddressChange(
                java.time.Instant.parse("2030-01-01T00:00:10Z"), "10.0.0.110/24", "10.0.0.201/24", "follow",
                "server 10.0.0.1 sent DHCPNAK in RENEWING: \"lease not found\"");
        AttachmentRecord changed = A.withAddress(Optional.of("10.0.0.110/24")).withAddressChange(change);
        assertEquals(Optional.of("10.0.0.201/24"), changed.address(), "follow: the new address is the pod's");
        store.put(changed);
        assertEquals(Optional.of(changed), store.get("c1", "eth0", w -> { throw new AssertionError(w); }));
        assertEquals(List.of(changed), store.all(w -> { throw new AssertionError(w); }));
        String text = Files.readString(store.dir().resolve(A.hostVeth() + ".json"));
        assertTrue(text.contains("\"address\":\"10.0.0.201/24\",\"addressChange\":{\"at\":\"2030-01-01T00:00:10Z\","
                + "\"from\":\"10.0.0.110/24\",\"to\":\"10.0.0.201/24\",\"policy\":\"follow\""), text);
        assertEquals(Optional.empty(), store.get("c9", "eth0", w -> { throw new AssertionError(w); }));
        // a record written before these fields existed still reads
        Files.writeString(store.dir().resolve(B.hostVeth() + ".json"), "{\"containerId\":\"c2\",\"ifname\":\"net1\","
                + "\"netns\":\"/run/netns/b\",\"hostVeth\":\"" + B.hostVeth() + "\",\"bridge\":\"br1\",\"hairpin\":false}");
        assertEquals(Optional.empty(), store.get("c2", "net1", w -> { throw new AssertionError(w); }).orElseThrow()
                .address());
    }

    @Test
    void putReplacesTheRecordOfTheSameAttachment() {
        AttachmentRecords store = store();
        store.put(A);
        AttachmentRecord again = AttachmentRecord.of("c1", "eth0", Path.of("/run/netns/pod-a2"), "mybr0", false);
        store.put(again);
        assertEquals(List.of(again), store.all(w -> { }));
    }

    @Test
    void filesAreOwnerOnlyInAnOwnerOnlyDirectory() throws Exception {
        AttachmentRecords store = store();
        store.put(A);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.dir())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                store.dir().resolve(A.hostVeth() + ".json"))));
    }

    @Test
    void removeAndForgetDeleteTheRecordAndAMissingOneIsFine() {
        AttachmentRecords store = store();
        store.put(A);
        store.put(B);
        store.remove("c1", "eth0");
        assertEquals(List.of(B), store.all(w -> { }));
        store.forget(B.hostVeth());
        assertEquals(List.of(), store.all(w -> { }));
        store.remove("c1", "eth0");
        store.forget(B.hostVeth());
        AttachmentRecords never = new AttachmentRecords(tmp.resolve("none"));
        never.remove("c1", "eth0");
        assertEquals(List.of(), never.all(w -> { }));
        assertFalse(Files.exists(tmp.resolve("none")), "reading or removing creates nothing");
    }

    @Test
    void forgetTakesOnlyHostVethNames() {
        assertThrows(IllegalArgumentException.class, () -> store().forget("../../etc/passwd"));
    }

    @Test
    void aSymlinkedDirectoryIsRefusedNeitherWrittenNorRead() throws Exception {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.createDirectories(tmp.resolve("run"));
        Files.createSymbolicLink(tmp.resolve("run").resolve(AttachmentRecords.DIR_NAME), elsewhere);
        AttachmentRecords store = store();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> store.put(A));
        assertTrue(e.getMessage().contains("symbolic link") && e.getMessage().contains("c1/eth0"), e.getMessage());
        assertEquals(List.of(), names(elsewhere));
        Files.writeString(elsewhere.resolve(A.hostVeth() + ".json"), "{}");
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of(), store.all(warnings::add), "a linked directory is not read either");
        assertEquals(1, warnings.size(), warnings.toString());
    }

    @Test
    void aSymlinkedRecordIsSkippedWithAWarningAndPutReplacesTheLinkNotItsTarget() throws Exception {
        AttachmentRecords store = store();
        store.put(B);
        Path secret = Files.writeString(tmp.resolve("secret"), "do not touch");
        Path link = store.dir().resolve(A.hostVeth() + ".json");
        Files.createSymbolicLink(link, secret);
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of(B), store.all(warnings::add));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("symbolic link"), warnings.get(0));

        store.put(A);
        assertEquals("do not touch", Files.readString(secret));
        assertFalse(Files.isSymbolicLink(link));
        store.remove("c1", "eth0");
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals("do not touch", Files.readString(secret));
    }

    @Test
    void corruptOversizedAndMisplacedRecordsAreSkippedWithAWarningEach() throws Exception {
        AttachmentRecords store = store();
        store.put(A);
        Path dir = store.dir();
        Files.writeString(dir.resolve("tw0000000000001.json"), "{\"containerId\":");
        Files.writeString(dir.resolve("tw0000000000002.json"), " ".repeat(100_000) + "{}");
        Files.writeString(dir.resolve("tw0000000000003.json"), "{\"containerId\":\"c9\",\"ifname\":\"eth0\"}");
        // a valid record stored under another veth's name
        String misplaced = Files.readString(dir.resolve(A.hostVeth() + ".json"));
        Files.writeString(dir.resolve("tw0000000000004.json"), misplaced);
        // a record whose veth is not the one its attachment derives to
        Files.writeString(dir.resolve("tw0000000000005.json"), misplaced.replace(A.hostVeth(), "tw0000000000005"));
        Files.writeString(dir.resolve("tw0000000000006.json"), misplaced.replace("\"mybr0\"", "\"my bridge\""));
        Files.writeString(dir.resolve("notes.txt"), "not a record, not read");
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of(A), store.all(warnings::add));
        assertEquals(6, warnings.size(), String.join("\n", warnings));
        for (int i = 1; i <= 6; i++) {
            String name = "tw000000000000" + i + ".json";
            assertTrue(warnings.stream().anyMatch(w -> w.contains(name)), name + " in " + warnings);
        }
    }

    @Test
    void invalidRecordsAreRefusedNamingTheField() {
        Path ns = Path.of("/run/netns/x");
        String veth = VethNames.hostVeth("c1", "eth0");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new AttachmentRecord("c1", "eth0", ns, "tw0000000000000", "mybr0", true))
                .getMessage().contains("host veth"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new AttachmentRecord("../c1", "eth0", ns, veth, "mybr0", true)).getMessage().contains("container id"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AttachmentRecord.of("c1", "eth0/x", ns, "mybr0", true)).getMessage().contains("interface name"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new AttachmentRecord("c1", "eth0", Path.of("run/netns/x"), veth, "mybr0", true))
                .getMessage().contains("absolute"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new AttachmentRecord("c1", "eth0", ns, veth, "a-bridge-name-too-long", true))
                .getMessage().contains("bridge"));
        assertEquals(veth, AttachmentRecord.of("c1", "eth0", ns, "mybr0", true).hostVeth());
    }
}
