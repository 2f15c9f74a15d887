package dev.terway.dhcp.daemon;

import java.io.PrintWriter;
import java.time.Clock;

/**
 * The daemon's log: one plain-text line per event, timestamped, on stderr (journald or the container
 * runtime adds nothing it needs). Lease events read
 * {@code <time> acquired default/web-1 eth0 address 10.0.0.5/24 server 10.0.0.1 ...}.
 */
public final class DaemonLog {

    private final PrintWriter out;
    private final Clock clock;

    public DaemonLog(PrintWriter out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    public void info(String message) {
        line("", message);
    }

    public void warn(String message) {
        line("warning: ", message);
    }

    private void line(String level, String message) {
        // One println per event: concurrent events never interleave within a line.
        String text = clock.instant() + " " + level + message.replace('\n', ' ');
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }
}
