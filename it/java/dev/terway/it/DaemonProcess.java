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

    /**
     * The body of {@code GET /metrics} from the daemon's metrics address {@code host:port} inside network namespace
     * {@code ns} (an HTTP/1.0 request through bash's /dev/tcp: nothing to install); fails unless the answer is 200.
     */
    public static String scrapeMetrics(String ns, String host, int port) {
        dev.terway.plan.CommandResult r = NetnsLab.exec(ns, "timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/$0/$1 && printf 'GET /metrics HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' \"$0\" >&3 && cat <&3",
                host, Integer.toString(port));
        String response = r.stdout();
        int body = response.indexOf("\r\n\r\n");
        if (r.exitCode() != 0 || !response.startsWith("HTTP/1.1 200") || body < 0) {
            throw new IllegalStateException("GET http://" + host + ":" + port + "/metrics in " + ns + " failed: exit "
                    + r.exitCode() + ": " + r.stderr().strip() + "\n" + response.lines().limit(5).toList());
        }
        return response.substring(body + 4);
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
