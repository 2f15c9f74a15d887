package dev.terway.cli;

import dev.terway.migration.BridgeMigration;
import dev.terway.migration.BridgeSetup;
import dev.terway.migration.Host;
import dev.terway.migration.StateDirectory;
import dev.terway.plan.PlanPrinter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code terway setup}: moves the node's NIC into a bridge without cutting the node off. */
@Command(name = "setup", mixinStandardHelpOptions = true,
        description = {"Moves the node's network interface into a bridge: the bridge takes the interface's MAC,"
                + " MTU, addresses and routes, so the node keeps its identity on the LAN and pods can join it.",
                "Rolls everything back if a step fails or the default gateway stops answering. A second run is a"
                        + " no-op.",
                "A node whose bridge was deleted (and took the node's addresses and routes with it) is repaired:"
                        + " the bridge is re-created from the setup record."})
public final class SetupCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--iface", paramLabel = "IF",
            description = "Interface to bridge (default: the device of the IPv4 default route).")
    private String iface;

    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = BridgeMigration.DEFAULT_BRIDGE,
            description = "Name of the bridge (default: ${DEFAULT-VALUE}).")
    private String bridge;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDirectory.DEFAULT_PATH,
            description = "Where the setup record, audit log and lock live (default: ${DEFAULT-VALUE}).")
    private Path stateDir;

    @Option(names = "--dry-run", description = "Print the plan as a shell script and change nothing.")
    private boolean dryRun;

    @Option(names = "--verify-timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How long the default gateway may take to answer through the bridge, e.g. 5s or 500ms"
                    + " (default: ${DEFAULT-VALUE}).")
    private Duration verifyTimeout;

    @Mixin
    private FaultOption faults;

    private final Host host;

    public SetupCommand(Host host) {
        this.host = host;
    }

    @Override
    public Integer call() throws Exception {
        // Every program first: a missing one would otherwise fail the plan half-way (and roll it back).
        host.programs().requireAll();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BridgeSetup.Request request = new BridgeSetup.Request(Optional.ofNullable(iface), bridge, stateDir, dryRun,
                verifyTimeout, faults.faults());
        BridgeSetup.Report report = new BridgeSetup(host).run(request, w -> {
            err.println("terway: " + w);
            err.flush();
        });
        String iface = report.migration().iface();
        switch (report.outcome()) {
            case PLANNED -> {
                report.migration().repair().ifPresent(why -> out.println("# repair: " + why));
                out.print(PlanPrinter.render(report.migration().plan()));
            }
            case NOTHING_TO_DO -> out.println("nothing to do: " + iface + " is already bridged into " + bridge);
            case APPLIED -> {
                out.println("bridged " + iface + " into " + bridge + ": " + report.migration().plan().steps().size()
                        + " steps in " + report.elapsed().toMillis() + " ms; the record for teardown is "
                        + new StateDirectory(stateDir).records().file());
                report.notes().forEach(out::println);
            }
            case REPAIRED -> {
                out.println("repaired bridge " + bridge + " on " + iface + " from the record "
                        + new StateDirectory(stateDir).records().file() + ": " + report.migration().plan().steps().size()
                        + " steps in " + report.elapsed().toMillis() + " ms");
                report.notes().forEach(out::println);
            }
        }
        out.flush();
        return 0;
    }
}
