package dev.terway.plan;

import java.nio.file.Path;
import java.time.Clock;

/**
 * A separate process writing the audit log, for {@link AuditLogTest}: as `terway setup` and the daemon
 * do. Arguments: file, maxBytes, keep, writer name, line count.
 */
public final class AuditLogWriter {

    private AuditLogWriter() {
    }

    public static void main(String[] args) {
        AuditLog log = new AuditLog(Path.of(args[0]), Clock.systemUTC(),
                new AuditLog.Rotation(Long.parseLong(args[1]), Integer.parseInt(args[2])));
        int count = Integer.parseInt(args[4]);
        for (int i = 0; i < count; i++) {
            log.record(AuditLogTest.line(args[3], i));
        }
    }
}
