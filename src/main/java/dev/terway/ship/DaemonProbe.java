package dev.terway.ship;

import dev.terway.cni.entry.CniEntry;
import dev.terway.cni.entry.UnixSocketTransport;
import dev.terway.cni.spec.CniReply;
import java.io.IOException;
import java.nio.file.Path;

/**
 * `terway-probe [--socket PATH] [--timeout-ms N]`: the DaemonSet's readiness and liveness probe. Sends the
 * daemon's {@code ping} op over its socket and exits 0 when it answers {@code 0\n{"ok":true}}, 1 otherwise
 * with the reason on stderr.
 *
 * <p>java.base only, like `cni-terway`, and started from the same class-data archive: kubelet runs a probe
 * every few seconds on every node, so it must cost a fraction of a full `terway` CLI start.
 */
public final class DaemonProbe {

    static final long DEFAULT_TIMEOUT_MILLIS = 3_000;

    private DaemonProbe() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = probe(args);
        } catch (IllegalArgumentException e) {
            System.err.println("terway-probe: " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    /** The probe's command line. */
    public record Arguments(Path socket, long timeoutMillis) {
    }

    /** Runs the probe; 0 healthy, 1 unhealthy (reason printed on stderr). */
    static int probe(String[] args) {
        Arguments a = parse(args);
        return check(new UnixSocketTransport(a.timeoutMillis()), a.socket());
    }

    /** Reads {@code [--socket PATH] [--timeout-ms N]}; the DaemonSet's probe commands are checked with it. */
    public static Arguments parse(String[] args) {
        Path socket = Path.of(CniEntry.DEFAULT_SOCKET);
        long timeout = DEFAULT_TIMEOUT_MILLIS;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--socket") || a.equals("--timeout-ms")) && i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            switch (a) {
                case "--socket" -> socket = Path.of(args[++i]);
                case "--timeout-ms" -> timeout = parseTimeout(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + a
                        + " (usage: terway-probe [--socket PATH] [--timeout-ms N])");
            }
        }
        return new Arguments(socket, timeout);
    }

    static int check(UnixSocketTransport transport, Path socket) {
        CniReply reply;
        try {
            reply = transport.exchange(socket, "{\"op\":\"ping\"}");
        } catch (IOException e) {
            System.err.println("terway-probe: the terway daemon at " + socket + " did not answer a ping: "
                    + e.getMessage());
            return 1;
        }
        if (reply.exitCode() != 0 || !reply.stdout().replace(" ", "").contains("\"ok\":true")) {
            System.err.println("terway-probe: the terway daemon at " + socket + " answered a ping with status "
                    + reply.exitCode() + ": " + reply.stdout().strip());
            return 1;
        }
        return 0;
    }

    private static long parseTimeout(String text) {
        try {
            long ms = Long.parseLong(text);
            if (ms > 0) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--timeout-ms must be a positive number of milliseconds, got '"
                + text + "'");
    }
}
