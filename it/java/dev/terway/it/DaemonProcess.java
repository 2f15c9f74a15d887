package dev.terway.it;

import dev.terway.cni.entry.UnixSocketTransport;
import dev.terway.cni.spec.CniReply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the ITs do with a `terway dhcp daemon` they started: talk to its socket, read its log, stop it. */
public final class DaemonProcess {

    private DaemonProcess() {
    }

    /** One request on the daemon's socket, waiting at most {@code timeoutMillis} for the reply. */
    public static CniReply call(Path socket, int timeoutMillis, String request) throws IOException {
        return new UnixSocketTransport(timeoutMillis).exchange(socket, request);
    }

    /** Whether the daemon answers a ping on its socket. */
    public static boolean ping(Path socket, int timeoutMillis) {
        try {
            return call(socket, timeoutMillis, "{\"op\":\"ping\"}").exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The daemon's log, or "(no log)" when it cannot be read. */
    public static String log(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** SIGTERM, and waits until the daemon has exited; nothing when it is not running. */
    public static void stop(Process daemon) {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            try {
                daemon.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
