package dev.terway.cli;

import dev.terway.migration.StateDirectory;
import dev.terway.ship.BridgedNode;
import dev.terway.ship.InstallExecutor;
import dev.terway.ship.InstallPlan;
import dev.terway.ship.InstallPlanner;
import dev.terway.ship.InstallTarget;
import dev.terway.ship.InstalledState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code terway uninstall}: removes what `terway install` wrote. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {"Removes 10-terway.conflist, the cni-terway launcher and every terway runtime that"
                + " `terway install` wrote; files it did not write are kept and named.",
                "Refused while the node is still bridged (`terway setup`'s record is in --state-dir): `terway"
                        + " teardown` runs from the runtime uninstall removes, so tear down first, or pass"
                        + " --keep-bridge."})
public final class UninstallCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--cni-bin-dir", paramLabel = "DIR", defaultValue = InstallTarget.DEFAULT_CNI_BIN_DIR,
            description = "Where install put the plugin (default: ${DEFAULT-VALUE}).")
    private Path cniBinDir;

    @Option(names = "--cni-conf-dir", paramLabel = "DIR", defaultValue = InstallTarget.DEFAULT_CNI_CONF_DIR,
            description = "Where install put the network configuration (default: ${DEFAULT-VALUE}).")
    private Path cniConfDir;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDirectory.DEFAULT_PATH,
            description = "Where `terway setup` keeps its record, which says the node is bridged"
                    + " (default: ${DEFAULT-VALUE}).")
    private Path stateDir;

    @Option(names = "--keep-bridge", description = "Uninstall even though the node is still bridged, and leave it"
            + " bridged; `terway teardown` from the image can undo the bridge later.")
    private boolean keepBridge;

    @Option(names = "--dry-run", description = "Print the plan as a shell script and change nothing.")
    private boolean dryRun;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InstallTarget target = new InstallTarget(cniBinDir, cniConfDir);
        List<String> warnings = new ArrayList<>();
        InstallPlan plan = InstallPlanner.uninstall(InstalledState.read(target), target, BridgedNode.read(stateDir),
                keepBridge, warnings);
        warnings.forEach(w -> err.println("terway: " + w));
        err.flush();
        if (dryRun) {
            out.print(plan.render());
        } else if (plan.isEmpty()) {
            out.println("nothing to do: terway is not installed in " + cniBinDir + " and " + cniConfDir);
        } else {
            new InstallExecutor(step -> {
                out.println(step);
                out.flush();
            }).run(plan);
            out.println("uninstalled terway from " + cniBinDir + " and " + cniConfDir);
        }
        out.flush();
        return 0;
    }
}
