package dev.terway.cli;

import dev.terway.cli.dhcp.SocketOption;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.Response;
import dev.terway.migration.BridgeMigration;
import dev.terway.migration.Host;
import dev.terway.migration.StateDirectory;
import dev.terway.status.DaemonStatus;
import dev.terway.status.NodeHealth;
import dev.terway.status.NodeObservation;
import dev.terway.status.NodeReader;
import dev.terway.status.StatusOp;
import dev.terway.status.StatusReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code terway status}: is this node healthy? Reads the setup record, the node's links and bridge ports and
 * asks the daemon for its {@code status}; {@link NodeHealth} judges. Read-only and bounded in time (two `ip`
 * and `bridge` queries, one daemon request with {@code --timeout}), so it serves as a probe.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Tells whether this node's terway is healthy: the setup record, the bridge and its ports"
                + " against the pods' attachments (orphans either way), the leases with their state and time to"
                + " renewal and expiry, the DHCP servers seen, the daemon's recent warnings and errors, its uptime"
                + " and version. Changes nothing.",
                "Exit codes: 0 healthy; 1 something needs attention (each problem is named); 3 the daemon did not"
                        + " answer; 2 wrong usage."})
public final class StatusCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private SocketOption socket;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDirectory.DEFAULT_PATH,
            description = "Where the setup record is (default: ${DEFAULT-VALUE}).")
    private Path stateDir;

    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = BridgeMigration.DEFAULT_BRIDGE,
            description = "The bridge to look at when there is no setup record naming one (default: ${DEFAULT-VALUE}).")
    private String bridge;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    private boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long the daemon may take to answer (default: ${DEFAULT-VALUE}).")
    private Duration timeout;

    private final Host host;

    public StatusCommand(Host host) {
        this.host = host;
    }

    @Override
    public Integer call() {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new ParameterException(spec.commandLine(), "--timeout must be more than 0");
        }
        NodeObservation node = new NodeReader(host.commands(), new StateDirectory(stateDir).records()).read(bridge);
        Optional<DaemonStatus> daemon = Optional.empty();
        String daemonProblem = "";
        try {
            Response answer = new DaemonClient(socket.socket(), timeout).call("{\"op\":\"" + StatusOp.OP + "\"}");
            if (answer.status() != 0) {
                daemonProblem = "it answered status " + answer.status() + ": " + answer.body().strip();
            } else {
                daemon = Optional.of(DaemonStatus.parse(answer.body()));
            }
        } catch (IOException e) {
            daemonProblem = e.getMessage();
        } catch (IllegalArgumentException e) {
            daemonProblem = "its answer is not a status: " + e.getMessage();
        }
        StatusReport report = NodeHealth.assess(node, daemon, daemonProblem);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson().toString() + "\n" : report.text());
        out.flush();
        return report.exitCode();
    }
}
