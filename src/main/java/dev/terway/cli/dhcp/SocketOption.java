package dev.terway.cli.dhcp;

import dev.terway.daemon.DaemonProtocol;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --socket}, shared by the daemon and its clients. */
public final class SocketOption {

    public static final String DEFAULT = DaemonProtocol.DEFAULT_SOCKET;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DEFAULT,
            description = "The daemon's unix socket (default: ${DEFAULT-VALUE}).")
    Path socket;

    public Path socket() {
        return socket;
    }
}
