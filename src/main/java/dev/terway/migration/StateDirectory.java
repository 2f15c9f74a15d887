package dev.terway.migration;

import dev.terway.plan.AuditLog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * The state directory ({@code /var/lib/terway} by default): the setup record, the audit log and the lock
 * that serialises terway runs on one node.
 */
public final class StateDirectory {

    public static final String DEFAULT_PATH = "/var/lib/terway";

    private final Path dir;

    public StateDirectory(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    public SetupRecordStore records() {
        return new SetupRecordStore(dir.resolve("setup.json"));
    }

    public AuditLog auditLog(Clock clock) {
        return new AuditLog(dir.resolve("audit.log"), clock);
    }

    public Path lockFile() {
        return dir.resolve("lock");
    }

    /**
     * Takes the exclusive lock of this directory, waiting for a concurrent run to finish. The kernel
     * releases the lock when the process dies, so a crashed run never blocks the next one.
     *
     * @param onWait told once, before waiting, that another run holds the lock
     */
    public Lock lock(Consumer<String> onWait) throws MigrationException {
        FileChannel channel = null;
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            channel = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                onWait.accept("waiting for another terway run that holds " + lockFile());
                lock = channel.lock();
            }
            return new Lock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new MigrationException("cannot lock state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // reporting the original failure matters more
            }
        }
    }

    /** Held for the whole run; closing releases it. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel below releases it as well
            }
            closeQuietly(channel);
        }
    }
}
