package dev.terway.cli;

import dev.terway.cli.dhcp.DhcpDaemonCommand;
import dev.terway.cli.dhcp.SocketOption;
import dev.terway.log.LogFormat;
import dev.terway.migration.BridgeMigration;
import dev.terway.migration.Host;
import dev.terway.migration.StateDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code terway run}: what the DaemonSet's container runs. {@code terway setup} (a no-op when the node is
 * already bridged, as after a restart or an upgrade), then {@code terway dhcp daemon} in the same process,
 * both through the same command line an operator would type, so there is one implementation of each.
 *
 * <p>The node's bridge is kept: setup repairs one that was deleted before the start ({@code BridgeRepair}),
 * and the daemon re-creates one deleted while it runs (and puts the pods back on it).
 *
 * <p>SIGTERM stops the daemon (leases stay on disk) and nothing else: the bridge is never torn down here,
 * so running pods keep their network while the DaemonSet is upgraded. `terway teardown` is a separate,
 * deliberate act.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Bridges the node (terway setup) and then serves the DHCP leases and CNI requests"
                + " (terway dhcp daemon) in one process: the command of the terway DaemonSet.",
                "A bridge deleted before or while it runs is re-created from the setup record, and the pods are put"
                        + " back on it.",
                "SIGTERM stops the daemon and keeps the bridge, the pods' network and their leases."})
public final class RunCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--iface", paramLabel = "IF",
            description = "Interface to bridge; empty or absent: the device of the IPv4 default route (an empty"
                    + " value lets a ConfigMap leave it to the node).")
    private String iface;

    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = BridgeMigration.DEFAULT_BRIDGE,
            description = "Name of the bridge (default: ${DEFAULT-VALUE}).")
    private String bridge;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDirectory.DEFAULT_PATH,
            description = "Setup record, leases and audit log (default: ${DEFAULT-VALUE}).")
    private Path stateDir;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = SocketOption.DEFAULT,
            description = "The daemon's unix socket (default: ${DEFAULT-VALUE}).")
    private Path socket;

    @Option(names = "--verify-timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How long the default gateway may take to answer through the bridge (default: ${DEFAULT-VALUE}).")
    private Duration verifyTimeout;

    @Option(names = "--dhcp-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long an acquire may take unless the request says otherwise (default: ${DEFAULT-VALUE}).")
    private Duration dhcpTimeout;

    @Option(names = "--arp-probe", paramLabel = "DURATION",
            defaultValue = DhcpDaemonCommand.DEFAULT_ARP_PROBE, converter = DurationConverter.class,
            description = "How long the daemon ARP-probes a newly leased address before a pod gets it; 0: off"
                    + " (default: ${DEFAULT-VALUE}).")
    private Duration arpProbe;

    @Option(names = "--decline-wait", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long the daemon waits after declining an address in use (default: ${DEFAULT-VALUE}).")
    private Duration declineWait;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve the daemon's Prometheus metrics at http://HOST:PORT/metrics; absent or empty: off"
                    + " (the DaemonSet's ConfigMap sets it).")
    private String metricsAddress;
    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            converter = LogFormatConverter.class,
            description = "The daemon's log: text (key=value lines) or json (one object per line)"
                    + " (default: ${DEFAULT-VALUE}).")
    private LogFormat logFormat;

    @Mixin
    private FaultOption faults;

    private final Host host;

    public RunCommand(Host host) {
        this.host = host;
    }

    @Override
    public Integer call() {
        // Before setup and the daemon: a missing program fails here, with its package named, not in a plan.
        host.programs().requireAll();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> setup = setupArgs();
        int code = TerwayCli.create(out, err, host).execute(setup.toArray(String[]::new));
        if (code != 0) {
            err.println("terway run: `terway " + String.join(" ", setup) + "` failed with exit code " + code
                    + "; the daemon was not started");
            err.flush();
            return code;
        }
        return TerwayCli.create(out, err, host).execute(daemonArgs().toArray(String[]::new));
    }

    /** The `terway setup` invocation this run makes. */
    List<String> setupArgs() {
        List<String> args = new ArrayList<>(List.of("setup", "--bridge", bridge, "--state-dir", stateDir.toString(),
                "--verify-timeout", verifyTimeout.toMillis() + "ms"));
        if (iface != null && !iface.isBlank()) {
            args.add("--iface");
            args.add(iface);
        }
        addFaults(args);
        return args;
    }

    /**
     * The `terway dhcp daemon` invocation this run makes once the node is bridged: with the setup options,
     * so that the daemon re-creates the bridge if it is deleted while it runs (as `terway setup` would).
     */
    List<String> daemonArgs() {
        List<String> args = new ArrayList<>(List.of("dhcp", "daemon", "--socket", socket.toString(), "--state-dir",
                stateDir.toString(), "--timeout", dhcpTimeout.toMillis() + "ms", "--arp-probe",
                arpProbe.toMillis() + "ms", "--decline-wait", declineWait.toMillis() + "ms", "--repair-bridge", bridge,
                "--repair-verify-timeout", verifyTimeout.toMillis() + "ms", "--log-format",
                logFormat.name().toLowerCase(Locale.ROOT)));
        if (iface != null && !iface.isBlank()) {
            args.add("--repair-iface");
            args.add(iface);
        }
        if (metricsAddress != null && !metricsAddress.isBlank()) {
            args.add("--metrics-address");
            args.add(metricsAddress);
        }
        addFaults(args);
        return args;
    }

    /** The test's faults go to both halves; each uses its own (see {@link dev.terway.plan.FaultInjection}). */
    private void addFaults(List<String> args) {
        if (!faults.faults().isNone()) {
            args.add("--inject-fault");
            args.add(faults.faults().toString());
        }
    }
}
