package dev.terway.cli;

import dev.terway.migration.BridgeTeardown;
import dev.terway.migration.Host;
import dev.terway.migration.StateDirectory;
import dev.terway.plan.PlanPrinter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code terway teardown}: gives the NIC its recorded configuration back and deletes the bridge. */
@Command(name = "teardown", mixinStandardHelpOptions = true,
        description = "Restores the addresses, routes, MTU and MAC that `terway setup` recorded on the network"
                + " interface and deletes the bridge. Harmless on a node that was never set up.")
public final class TeardownCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDirectory.DEFAULT_PATH,
            description = "Where setup left its record (default: ${DEFAULT-VALUE}).")
    private Path stateDir;

    @Option(names = "--dry-run", description = "Print the plan as a shell script and change nothing.")
    private boolean dryRun;

    private final Host host;

    public TeardownCommand(Host host) {
        this.host = host;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BridgeTeardown.Report report = new BridgeTeardown(host).run(new BridgeTeardown.Request(stateDir, dryRun),
                w -> {
                    err.println("terway: " + w);
                    err.flush();
                });
        switch (report.outcome()) {
            case NOT_SET_UP -> out.println("not set up: there is no record " + report.recordFile()
                    + " of an earlier `terway setup`; nothing to tear down");
            case PLANNED -> out.print(PlanPrinter.render(report.plan()));
            case RESTORED -> {
                var record = report.record().orElseThrow();
                out.println("restored " + record.iface() + " and removed " + record.bridge() + ": "
                        + report.plan().steps().size() + " steps in " + report.elapsed().toMillis()
                        + " ms; removed the record " + report.recordFile());
            }
        }
        out.flush();
        return 0;
    }
}
