package dev.terway.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.store.RecordDirectory.Fsync;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordDirectoryTest {

    @TempDir
    Path tmp;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(Fsync.class)
    void aRecordIsWrittenPrivatelyReadBackAndReplacedWithoutLeftovers(Fsync fsync) throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("run/records"), fsync);
        assertFalse(Files.exists(records.path()), "nothing is created before the first write");
        records.write("a.json", bytes("one"));
        records.write("a.json", bytes("two"));
        assertArrayEquals(bytes("two"), records.read("a.json", 100).orElseThrow());
        assertEquals(List.of("a.json"), listing(records.path()));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(records.path())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(records.file("a.json"))));
        assertEquals(fsync, records.fsync());
    }

    @Test
    void missingRecordsAndDirectoriesAreEmptyNotErrors() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("none"), Fsync.NONE);
        assertEquals(Optional.empty(), records.read("a.json", 100));
        assertEquals(List.of(), records.names("*"));
        assertFalse(records.delete("a.json"));
        assertEquals(0, records.removeInterruptedWrites());
        assertFalse(Files.exists(tmp.resolve("none")), "reading and deleting create nothing");
    }

    @Test
    void namesAreSortedMatchTheGlobAndSkipDotFiles() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.FILE_AND_DIRECTORY);
        records.write("tw2.json", bytes("{}"));
        records.write("tw1.json", bytes("{}"));
        records.write("notes.txt", bytes("x"));
        Files.writeString(records.path().resolve(".tw3.json.123.tmp"), "half");
        assertEquals(List.of("notes.txt", "tw1.json", "tw2.json"), records.names("*"));
        assertEquals(List.of("tw1.json", "tw2.json"), records.names("tw*.json"));
    }

    @Test
    void deleteSaysWhetherThereWasARecord() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.FILE_AND_DIRECTORY);
        records.write("a", bytes("x"));
        assertTrue(records.delete("a"));
        assertFalse(records.delete("a"));
        assertEquals(List.of(), records.names("*"));
    }

    @Test
    void aRecordLargerThanTheReaderAcceptsIsRefusedWithItsSize() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.NONE);
        records.write("big", new byte[101]);
        IOException e = assertThrows(IOException.class, () -> records.read("big", 100));
        assertEquals("it is 101 bytes, more than the 100 a record can be", e.getMessage());
        assertEquals(101, records.read("big", 101).orElseThrow().length);
    }

    @Test
    void aLinkedRecordIsNeverFollowedWrittenThroughOrDeletedThrough() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.FILE_AND_DIRECTORY);
        records.create();
        Path secret = Files.writeString(tmp.resolve("secret"), "do not touch");
        Path link = Files.createSymbolicLink(records.file("a"), secret);
        IOException e = assertThrows(IOException.class, () -> records.read("a", 100));
        assertEquals("it is a symbolic link, which terway never follows", e.getMessage());

        records.write("a", bytes("mine"));
        assertFalse(Files.isSymbolicLink(link), "the rename replaced the link");
        assertEquals("do not touch", Files.readString(secret));

        Files.delete(link);
        Files.createSymbolicLink(link, secret);
        assertTrue(records.delete("a"));
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals("do not touch", Files.readString(secret));
    }

    @Test
    void aLinkedDirectoryIsRefusedUnlessTheStoreAcceptsOne() throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path linked = Files.createSymbolicLink(tmp.resolve("linked"), elsewhere);
        RecordDirectory records = RecordDirectory.of(linked, Fsync.NONE);
        for (IOException e : List.of(assertThrows(IOException.class, () -> records.write("a", bytes("x"))),
                assertThrows(IOException.class, () -> records.read("a", 100)),
                assertThrows(IOException.class, () -> records.names("*")),
                assertThrows(IOException.class, () -> records.delete("a")))) {
            assertEquals(linked + " is a symbolic link, which terway never follows", e.getMessage());
        }
        assertEquals(List.of(), listing(elsewhere));

        RecordDirectory operators = records.acceptingALinkedDirectory();
        operators.write("a", bytes("x"));
        assertEquals(List.of("a"), listing(elsewhere));
        assertEquals(List.of("a"), operators.names("*"));
        assertTrue(operators.delete("a"));
    }

    @Test
    void somethingOtherThanADirectoryIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        RecordDirectory records = RecordDirectory.of(file, Fsync.NONE);
        IOException e = assertThrows(IOException.class, () -> records.write("a", bytes("x")));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void interruptedWritesAreRemovedAndNothingElse() throws IOException {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.FILE_AND_DIRECTORY);
        records.write("a.json", bytes("{}"));
        Files.writeString(records.path().resolve(".a.json.123.tmp"), "half");
        Files.writeString(records.path().resolve(".lease-456.tmp"), "half, by an older terway");
        Files.writeString(records.path().resolve("README"), "not ours");
        assertEquals(2, records.removeInterruptedWrites());
        assertEquals(List.of("README", "a.json"), listing(records.path()));
    }

    @Test
    void onlyPlainFileNamesNameARecord() {
        RecordDirectory records = RecordDirectory.of(tmp.resolve("r"), Fsync.NONE);
        for (String bad : List.of("", ".hidden", "..", "../x", "a/b", "a\u0000b")) {
            assertThrows(IllegalArgumentException.class, () -> records.write(bad, bytes("x")), bad);
            assertThrows(IllegalArgumentException.class, () -> records.read(bad, 1), bad);
            assertThrows(IllegalArgumentException.class, () -> records.delete(bad), bad);
        }
    }
}
