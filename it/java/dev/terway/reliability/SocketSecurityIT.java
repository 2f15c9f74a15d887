package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.daemon.DaemonServer;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import dev.terway.plan.ExecCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who may talk to the daemon: a real unprivileged process (uid/gid 65534 through setpriv) against the
 * daemon's socket. As installed (0600 socket in a 0700 directory) it cannot even connect; with the
 * permissions loosened by mistake, SO_PEERCRED still refuses it, the attempt is logged, and no handler
 * runs. Root only (to switch users).
 */
class SocketSecurityIT {

    private final List<String> log = new CopyOnWriteArrayList<>();
    private final AtomicInteger handled = new AtomicInteger();
    private Path dir;
    private DaemonServer server;

    @BeforeEach
    void start() throws IOException {
        assumeTrue(NetnsLab.isRoot(), "switching to an unprivileged user needs root");
        // A parent everyone may traverse (as /run is), so only the socket directory's own mode matters.
        dir = Files.createTempDirectory("twsec");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        server = DaemonServer.start(dir.resolve("run/dhcp.sock"), RequestHandlers.builder()
                .register("list", r -> {
                    handled.incrementAndGet();
                    return Response.ok("[]");
                }).build(), 4, log::add);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private CommandResult listAs(boolean nobody) {
        List<String> argv = new ArrayList<>();
        if (nobody) {
            argv.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        argv.addAll(List.of("env", "JAVA_HOME=" + System.getProperty("java.home"), "HOME=/tmp",
                FaultNode.home().resolve("bin/terway").toString(), "dhcp", "list", "--socket",
                server.socket().toString()));
        return new ExecCommandRunner(Duration.ofSeconds(60)).run(argv);
    }

    @Test
    void asInstalledTheSocketIsOwnerOnlyAndAnUnprivilegedUserCannotConnect() throws IOException {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket().getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket())));
        CommandResult nobody = listAs(true);
        assertNotEquals(0, nobody.exitCode(), nobody.stdout());
        assertTrue(nobody.stderr().toLowerCase().contains("permission denied")
                || nobody.stderr().toLowerCase().contains("cannot"), nobody.stderr());
        assertEquals(0, handled.get(), "no request reached a handler");

        CommandResult root = listAs(false);
        assertEquals(0, root.exitCode(), root.stderr());
        assertEquals(1, handled.get(), "root is served");
    }

    @Test
    void withLoosenedPermissionsThePeerCredentialCheckStillRefusesAndLogs() throws IOException {
        // The mistake an operator could make: a world-accessible socket.
        Files.setPosixFilePermissions(server.socket().getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(server.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        CommandResult nobody = listAs(true);
        assertNotEquals(0, nobody.exitCode(), nobody.stdout());
        assertTrue(nobody.stderr().contains("permission denied: user nobody may not use the terway daemon"),
                nobody.stderr());
        assertEquals(0, handled.get(), "the refused request reached no handler");
        assertTrue(log.stream().anyMatch(l -> l.contains("refused a connection from user nobody")), log.toString());
    }
}
