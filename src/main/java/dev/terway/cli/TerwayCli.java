package dev.terway.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Builds the configured command line. {@link Main} and the tests use the same factory, so what the
 * tests exercise is what operators run; only {@link Main} calls System.exit.
 */
public final class TerwayCli {

    /** Exit code for an operation that was refused or failed for a reason the operator must fix. */
    public static final int EXIT_FAILED = 1;
    /** Exit code for wrong usage (unknown option, missing argument). */
    public static final int EXIT_USAGE = 2;

    private TerwayCli() {
    }

    public static CommandLine create(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new TerwayCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> EXIT_FAILED);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Domain failures carry a complete message for the operator; a stack trace would bury it.
            commandLine.getErr().println("terway: " + describe(ex));
            commandLine.getErr().flush();
            return EXIT_FAILED;
        });
        return cli;
    }

    private static String describe(Throwable ex) {
        String message = ex.getMessage();
        return message == null || message.isBlank() ? ex.getClass().getSimpleName() : message;
    }
}
