package dev.terway.cli;

import dev.terway.migration.Host;
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
        return create(out, err, Host.local());
    }

    /** As {@link #create(PrintWriter, PrintWriter)}, acting on {@code host}; tests pass a scripted one. */
    public static CommandLine create(PrintWriter out, PrintWriter err, Host host) {
        CommandLine cli = new CommandLine(new TerwayCommand(), new HostFactory(host));
        cli.setOut(out);
        cli.setErr(err);
        // picocli consults this mapper for usage errors too; keep those apart from refused operations.
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_FAILED);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Domain failures carry a complete message for the operator; a stack trace would bury it.
            commandLine.getErr().println("terway: " + describe(ex));
            commandLine.getErr().flush();
            return EXIT_FAILED;
        });
        return cli;
    }

    /** Gives the commands that act on (or look at) the host their {@link Host}; everything else as picocli would. */
    private static final class HostFactory implements CommandLine.IFactory {
        private final Host host;

        HostFactory(Host host) {
            this.host = host;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == SetupCommand.class) {
                return cls.cast(new SetupCommand(host));
            }
            if (cls == TeardownCommand.class) {
                return cls.cast(new TeardownCommand(host));
            }
            if (cls == RunCommand.class) {
                return cls.cast(new RunCommand(host));
            }
            if (cls == StatusCommand.class) {
                return cls.cast(new StatusCommand(host));
            }
            if (cls == ProgramsCommand.class) {
                return cls.cast(new ProgramsCommand(host));
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    private static String describe(Throwable ex) {
        String message = ex.getMessage();
        return message == null || message.isBlank() ? ex.getClass().getSimpleName() : message;
    }
}
