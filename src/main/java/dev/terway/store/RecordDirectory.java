package dev.terway.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A directory of small records, one file each, written the one way terway writes state: every store (leases,
 * the setup record, attachment records, pending releases, DELs in progress) goes through here, and says with
 * its {@link Fsync} policy how much a record must survive.
 *
 * <ul>
 *   <li><b>Atomic:</b> a record is written to a fresh temp file in the same directory ({@code .<name>.<random>.tmp},
 *       created exclusively), then renamed over the record. A reader sees the old or the new record, never
 *       half of one, and so does the next process after a crash of this one.</li>
 *   <li><b>Durable per policy:</b> with {@link Fsync#FILE_AND_DIRECTORY} the temp file is fsynced before the
 *       rename and the directory after every rename and unlink, so power loss keeps the old or the new record
 *       and a deletion stays done; with {@link Fsync#NONE} nothing is fsynced.</li>
 *   <li><b>Private:</b> records are created {@code 0600}, a directory this class creates {@code 0700}.</li>
 *   <li><b>No symbolic links followed:</b> a record that is a link is refused when read (and reads use
 *       {@code O_NOFOLLOW}, so a swap after the check does not help); a write renames over a link, never
 *       through it; a delete removes the link, never its target. The directory itself must not be a link
 *       either, unless the store accepts one ({@link #acceptingALinkedDirectory()}: a directory the operator
 *       names, such as {@code --state-dir}, may be a link to another disk).</li>
 *   <li><b>Bounded reads:</b> every read states the largest record it accepts.</li>
 * </ul>
 * Names beginning with a dot are never records (temp files are dot files), so {@link #names} skips them.
 */
public final class RecordDirectory {

    /** How much of a write must survive power loss or a kernel crash. Each store says which and why. */
    public enum Fsync {
        /**
         * fsync the temp file before the rename and the directory after each rename and unlink: after power
         * loss the record is the old or the new one, and a deleted record stays deleted. Costs two flushes to
         * disk per write; for state on disk that a restart or teardown trusts.
         */
        FILE_AND_DIRECTORY,
        /**
         * No fsync. The rename is still atomic for readers and for a crash of the process; after power loss
         * on a disk file system the last writes may be lost or a record found empty (readers skip it). For
         * directories on tmpfs ({@code /run}), where fsync does nothing and a power loss or reboot empties the
         * directory anyway.
         */
        NONE
    }

    private static final String TEMP_SUFFIX = ".tmp";
    private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final LinkOption[] FOLLOW = {};

    private final Path dir;
    private final Fsync fsync;
    private final boolean linkedDirectoryAccepted;

    private RecordDirectory(Path dir, Fsync fsync, boolean linkedDirectoryAccepted) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.fsync = Objects.requireNonNull(fsync, "fsync");
        this.linkedDirectoryAccepted = linkedDirectoryAccepted;
    }

    /** The records in {@code dir}, which is created on the first write; nothing is touched before. */
    public static RecordDirectory of(Path dir, Fsync fsync) {
        return new RecordDirectory(dir, fsync, false);
    }

    /** The same directory, which may itself be a symbolic link (records in it are still never followed). */
    public RecordDirectory acceptingALinkedDirectory() {
        return new RecordDirectory(dir, fsync, true);
    }

    public Path path() {
        return dir;
    }

    public Fsync fsync() {
        return fsync;
    }

    /** The file of the record {@code name}. */
    public Path file(String name) {
        return dir.resolve(checkName(name));
    }

    /** Creates the directory ({@code 0700}; missing parents with the default mode) unless it exists. */
    public void create() throws IOException {
        refuseLinkedDirectory();
        if (!Files.exists(dir, linkOptions())) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(dir, DIRECTORY_ATTRIBUTE);
            } catch (FileAlreadyExistsException raced) {
                // another writer made it first; the check below still applies
            }
        }
        if (!Files.isDirectory(dir, linkOptions())) {
            throw new IOException(dir + " is not a directory" + (linkedDirectoryAccepted ? ""
                    : " (a symbolic link is never followed)"));
        }
    }

    /** Writes (or replaces) the record {@code name} atomically, {@code 0600}, fsynced per the policy. */
    public void write(String name, byte[] content) throws IOException {
        Path target = file(name);
        create();
        Path temp = Files.createTempFile(dir, "." + name + ".", TEMP_SUFFIX, FILE_ATTRIBUTE);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (fsync == Fsync.FILE_AND_DIRECTORY) {
                    channel.force(true);
                }
            }
            try {
                // rename(2) replaces a link at the target name, it never writes through it
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically", e);
            }
            temp = null;
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
        syncDirectory();
    }

    /**
     * The record {@code name}, or empty when there is none.
     *
     * @throws IOException saying why it cannot be a record ("it is a symbolic link, …", "it is 9000 bytes, more
     *                     than …") or why it cannot be read
     */
    public Optional<byte[]> read(String name, int maxBytes) throws IOException {
        Path file = file(name);
        refuseLinkedDirectory();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (attributes.isSymbolicLink()) {
            throw new IOException("it is a symbolic link, which terway never follows");
        }
        if (!attributes.isRegularFile()) {
            throw new IOException("it is not a regular file");
        }
        if (attributes.size() > maxBytes) {
            throw new IOException("it is " + attributes.size() + " bytes, more than the " + maxBytes
                    + " a record can be");
        }
        // O_NOFOLLOW and a bounded read: the file may have been swapped since the look above
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(maxBytes + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // until end of file or one byte past the limit
            }
            if (!buffer.hasRemaining()) {
                throw new IOException("it is more than the " + maxBytes + " bytes a record can be");
            }
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            return Optional.of(bytes);
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted since the look above
        }
    }

    /**
     * The names in the directory that match {@code glob} (as {@link Files#newDirectoryStream(Path, String)}
     * takes it), sorted, without dot files (temp files among them). None when the directory does not exist.
     */
    public List<String> names(String glob) throws IOException {
        if (!Files.exists(dir, linkOptions()) && !Files.isSymbolicLink(dir)) {
            return List.of();
        }
        refuseLinkedDirectory();
        if (!Files.isDirectory(dir, linkOptions())) {
            throw new IOException(dir + " is not a directory");
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(".")) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Removes the record {@code name} (a link itself, never its target). Returns false when there was none. */
    public boolean delete(String name) throws IOException {
        Path file = file(name);
        if (!Files.exists(dir, linkOptions()) && !Files.isSymbolicLink(dir)) {
            return false;
        }
        refuseLinkedDirectory();
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory();
        }
        return existed;
    }

    /**
     * Removes the temp files of writes that a crash interrupted (the rename never happened, so each record
     * still holds its previous version). Only safe while nobody else writes here, as when a daemon opens its
     * store. Returns how many were removed.
     */
    public int removeInterruptedWrites() throws IOException {
        if (!Files.isDirectory(dir, linkOptions())) {
            return 0;
        }
        refuseLinkedDirectory();
        int removed = 0;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, ".*" + TEMP_SUFFIX)) {
            for (Path temp : temps) {
                if (Files.isRegularFile(temp, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(temp)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private void refuseLinkedDirectory() throws IOException {
        if (!linkedDirectoryAccepted && Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is a symbolic link, which terway never follows");
        }
    }

    private LinkOption[] linkOptions() {
        return linkedDirectoryAccepted ? FOLLOW : NOFOLLOW;
    }

    /** Makes a rename or unlink durable: on Linux a directory is fsynced through a read-only channel. */
    private void syncDirectory() throws IOException {
        if (fsync != Fsync.FILE_AND_DIRECTORY) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static String checkName(String name) {
        if (name.isEmpty() || name.startsWith(".") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("\"" + name + "\" cannot name a record: it must be a plain file name"
                    + " that does not begin with a dot");
        }
        return name;
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // the write already failed and says so; a stray temp file is never read as a record
        }
    }
}
