package dev.terway.cli;

import dev.terway.migration.Host;
import dev.terway.plan.Program;
import dev.terway.plan.ProgramLookup;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code terway programs}: the programs terway runs ({@link Program}) and, with --check, whether PATH has them. */
@Command(name = "programs", mixinStandardHelpOptions = true,
        description = {"Lists every program terway runs and the Debian package that provides it; the terway image"
                + " installs them all.",
                "With --check, finds each on PATH and fails, naming the missing ones and their packages, if any is"
                        + " not there. `terway run` and `terway setup` make the same check before they start."})
public final class ProgramsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--check", description = "Find each program on PATH; exit 1 if any is missing.")
    private boolean check;

    private final ProgramLookup lookup;

    public ProgramsCommand(Host host) {
        this.lookup = host.programs();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String format = "%-8s %-14s%s%n";
        out.printf(format, "PROGRAM", "PACKAGE", check ? " FOUND" : "");
        for (Program p : Program.values()) {
            String found = check ? " " + lookup.find(p.command()).map(Object::toString).orElse("MISSING") : "";
            out.printf(format, p.command(), p.debianPackage(), found);
        }
        out.flush();
        if (check) {
            lookup.requireAll();
        }
        return 0;
    }
}
