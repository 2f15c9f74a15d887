package dev.terway.log;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The daemon's log: the one sink of its {@link EventLog}. Each event is one line on the given writer (stderr:
 * journald or the container runtime adds nothing it needs), in the {@link LogFormat} chosen by
 * {@code --log-format}. The last {@code keep} warnings and errors are also kept in memory, in a bounded ring,
 * for the daemon's {@code status} answer: a sink, so nothing the daemon does waits on more than one write.
 */
public final class DaemonLog implements EventLog {

    /** How many warnings and errors {@code terway status} can show. */
    public static final int DEFAULT_KEEP = 20;

    private final PrintWriter out;
    private final Clock clock;
    private final LogFormat format;
    private final int keep;
    private final ArrayDeque<LoggedEvent> problems = new ArrayDeque<>();

    public DaemonLog(PrintWriter out, Clock clock, LogFormat format, int keep) {
        if (keep < 0) {
            throw new IllegalArgumentException("keep must not be negative, got " + keep);
        }
        this.out = out;
        this.clock = clock;
        this.format = format;
        this.keep = keep;
    }

    /** A text log keeping {@value #DEFAULT_KEEP} problems. */
    public DaemonLog(PrintWriter out, Clock clock) {
        this(out, clock, LogFormat.TEXT, DEFAULT_KEEP);
    }

    @Override
    public void emit(LogEvent event) {
        LoggedEvent logged = new LoggedEvent(clock.instant(), event);
        String line = format.format(logged);
        if (event.level() != LogLevel.INFO) {
            synchronized (problems) {
                if (problems.size() == keep && keep > 0) {
                    problems.removeFirst();
                }
                if (keep > 0) {
                    problems.addLast(logged);
                }
            }
        }
        // One println per event: concurrent events never interleave within a line.
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /** The last warnings and errors, oldest first. */
    public List<LoggedEvent> recentProblems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }
}
