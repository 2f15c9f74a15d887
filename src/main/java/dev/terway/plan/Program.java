package dev.terway.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every program terway runs, with the Debian package that provides it: the one list the image
 * (Containerfile), {@code terway programs --check} and the startup check of {@code terway run} and
 * {@code terway setup} go by. {@link ExecCommandRunner#registeredOnly} refuses any other program, and a unit
 * test derives the programs from the argv literals in the source, so the list cannot fall behind the code.
 */
public enum Program {

    /** Reads and changes links, addresses, routes and neighbours; also fed command lines (`ip -batch -`). */
    IP("ip", "iproute2"),
    /** Bridge-port options (hairpin) of a re-attached veth. */
    BRIDGE("bridge", "iproute2"),
    /** Runs `ip` inside a pod's network namespace, which CNI names by path (`ip -n` takes only names). */
    NSENTER("nsenter", "util-linux"),
    /** Reads and sets the IPv6 settings (net.ipv6.conf.*) that setup moves from the NIC to the bridge. */
    SYSCTL("sysctl", "procps"),
    /** Checks that the default gateway answers through the bridge, and refreshes neighbour entries. */
    PING("ping", "iputils-ping");

    private final String command;
    private final String debianPackage;

    Program(String command, String debianPackage) {
        this.command = command;
        this.debianPackage = debianPackage;
    }

    /** The name terway runs it by, looked up on PATH. */
    public String command() {
        return command;
    }

    /** The Debian package that installs it. */
    public String debianPackage() {
        return debianPackage;
    }

    /** {@code command args…}. */
    public List<String> argv(String... args) {
        return argv(Arrays.asList(args));
    }

    /** {@code command args…}. */
    public List<String> argv(List<String> args) {
        List<String> argv = new ArrayList<>(args.size() + 1);
        argv.add(command);
        argv.addAll(args);
        return argv;
    }

    public static Optional<Program> named(String command) {
        return Arrays.stream(values()).filter(p -> p.command.equals(command)).findFirst();
    }

    /** nsenter's options that take their value as the next argument (the others take it after '='). */
    private static final Set<String> NSENTER_VALUE_OPTIONS =
            Set.of("-t", "--target", "-S", "--setuid", "-G", "--setgid", "-W", "--wdns");

    /**
     * The programs {@code argv} starts: its first word and, for {@code nsenter [options] program …}, the
     * program nsenter runs (which may be nsenter again). Lines fed to {@code ip -batch -} are ip commands, run
     * by ip itself.
     *
     * @throws IllegalArgumentException for an empty argv, or an nsenter without a program (it would run a shell)
     */
    public static List<String> programsOf(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("an empty argv runs no program");
        }
        List<String> programs = new ArrayList<>();
        int i = 0;
        while (true) {
            String program = argv.get(i);
            programs.add(program);
            if (!program.equals(NSENTER.command)) {
                return programs;
            }
            i++;
            while (i < argv.size() && argv.get(i).startsWith("-")) {
                String option = argv.get(i++);
                if (option.equals("--")) {
                    break;
                }
                if (NSENTER_VALUE_OPTIONS.contains(option)) {
                    i++;
                }
            }
            if (i >= argv.size()) {
                throw new IllegalArgumentException("nsenter without a program would run a shell: " + argv);
            }
        }
    }

    /**
     * Refuses an argv that starts a program not in this registry.
     *
     * @throws IllegalArgumentException naming the program and this class
     */
    public static void requireRegistered(List<String> argv) {
        for (String program : programsOf(argv)) {
            if (named(program).isEmpty()) {
                throw new IllegalArgumentException("`" + program + "` is not a program terway may run: it is not"
                        + " registered in " + Program.class.getName() + " (argv: " + ShellQuote.join(argv)
                        + "). Register it there with its Debian package, which the Containerfile's final"
                        + " stage must install.");
            }
        }
    }
}
