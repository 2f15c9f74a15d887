package dev.terway.it;

import dev.terway.plan.CommandResult;
import dev.terway.plan.ShellQuote;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the real launcher, `bin/terway`, inside a lab namespace: what an operator would run on a node. */
final class Terway {

    private Terway() {
    }

    /** The project root: failsafe passes it as `terway.home`; a run from the IDE starts there. */
    static Path home() {
        Path home = Path.of(System.getProperty("terway.home", System.getProperty("user.dir")));
        if (!Files.isDirectory(home.resolve("target/classes")) || !Files.isDirectory(home.resolve("target/lib"))) {
            throw new IllegalStateException("terway is not built in " + home
                    + " (target/classes and target/lib missing): run `mvn -B -DskipTests package` first");
        }
        return home;
    }

    static List<String> argv(String ns, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, home().resolve("bin/terway").toString()));
        argv.addAll(args);
        return argv;
    }

    static Run run(String ns, String... args) {
        return Run.of(Cmd.run(argv(ns, List.of(args))));
    }

    /** What one run printed and returned. */
    record Run(List<String> argv, int exit, String out, String err) {

        static Run of(CommandResult r) {
            return new Run(r.argv(), r.exitCode(), r.stdout(), r.stderr());
        }

        /** For assertion messages: the whole exchange. */
        String describe() {
            return ShellQuote.join(argv) + "\n  exit " + exit + "\n  stdout: " + out.strip().replace("\n", "\n          ")
                    + "\n  stderr: " + err.strip().replace("\n", "\n          ");
        }

        /** The commands of a dry-run plan: its lines that are not comments. */
        List<String> planCommands() {
            return out.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }
}
